"""A buggy submission: forgets padding, ignores strides in the receptive field,
loses RMSProp's (1 - beta), no ANSWERS."""

import numpy as np


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    return [(n - kernel) // stride + 1 for n in input_hw]  # padding forgotten


def receptive_field(layers):
    return 1 + sum(k - 1 for k, s in layers)  # strides ignored


def rmsprop_step(w, grad, v, lr=0.1, beta=0.9, eps=1e-8):
    v = beta * v + grad ** 2  # the (1 - beta) factor is missing
    return w - lr * grad / (np.sqrt(v) + eps)
