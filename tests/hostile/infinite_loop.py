"""Never returns."""


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    while True:
        pass


def receptive_field(layers):
    x = 0
    while True:
        x += 1
