"""A full-credit submission for the code-demo problem."""

import numpy as np

ANSWERS = {"4": 42}


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    h, w = input_hw
    return ((h + 2 * padding - kernel) // stride + 1, (w + 2 * padding - kernel) // stride + 1)


def receptive_field(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r


def rmsprop_step(w, grad, v, lr=0.1, beta=0.9, eps=1e-8):
    v = beta * v + (1 - beta) * grad ** 2
    return w - lr * grad / (np.sqrt(v) + eps)
