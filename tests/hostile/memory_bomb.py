"""Allocates without bound."""


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    blocks = []
    while True:
        blocks.append(bytearray(64 * 1024 * 1024))


def receptive_field(layers):
    return [0] * (10 ** 11)
