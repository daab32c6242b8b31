"""Only the code parts, with two classic bugs: padding forgotten, strides ignored."""


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    return [(n - kernel) // stride + 1 for n in input_hw]  # padding forgotten


def receptive_field(layers):
    return 1 + sum(k - 1 for k, s in layers)  # strides ignored
