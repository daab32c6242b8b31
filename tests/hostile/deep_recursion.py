"""Recurses forever: once with the default limit, once after raising it to a million."""

import sys


def _down(n):
    return _down(n + 1) + 1


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    return [_down(0), 0]


def receptive_field(layers):
    sys.setrecursionlimit(10 ** 6)
    return _down(0)
