"""Calls sys.exit() while being imported."""

import sys

ANSWERS = {"4": 42}
sys.exit(0)


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    return [30, 30]
