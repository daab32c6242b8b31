"""Allocates without bound: one huge numpy array, one huge list, and a slow growing loop."""

import numpy as np


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    return list(np.ones((10 ** 5, 10 ** 5)).shape)


def receptive_field(layers):
    return len([0] * (10 ** 11))


def rmsprop_step(w, grad, v, lr=0.1, beta=0.9, eps=1e-8):
    blocks = []
    while True:
        blocks.append(bytearray(64 * 1024 * 1024))
