"""Prints 300 MB."""

import os
import sys

CHUNK = "x" * (1 << 20)


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    for _ in range(300):
        sys.stdout.write(CHUNK)
    return [0, 0]


def receptive_field(layers):
    for _ in range(300):
        os.write(2, CHUNK.encode())
    return 0
