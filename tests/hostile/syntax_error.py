"""Does not parse."""

ANSWERS = {"4": 42}


def conv_output_shape(input_hw, kernel, stride=1, padding=0)
    return [30, 30]
