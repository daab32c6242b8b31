"""A full-credit midterm handed in as one Python file: ANSWERS plus the two code parts."""

ANSWERS = {
    "Q1.a.i": [
        32,
        128,
        26,
        26
    ],
    "Q1.a.ii": [
        32,
        128,
        14,
        14
    ],
    "Q1.b": [
        [
            1,
            1,
            1
        ],
        [
            0,
            0,
            0
        ],
        [
            -1,
            -1,
            -1
        ]
    ],
    "Q1.c": [
        [
            0,
            1
        ],
        [
            -1,
            0
        ]
    ],
    "Q1.d": [
        [
            0,
            0,
            0
        ],
        [
            0,
            0,
            1
        ],
        [
            0,
            0,
            0
        ]
    ],
    "Q1.e.a": [
        10,
        16,
        32,
        32
    ],
    "Q1.e.b": [
        10,
        32,
        16,
        16
    ],
    "Q1.e.c": [
        10,
        128,
        8,
        8
    ],
    "Q1.e.d": [
        10,
        16,
        8,
        8
    ],
    "Q1.e.e": [
        10,
        8,
        16,
        16
    ],
    "Q1.e.f": [
        10,
        1,
        32,
        32
    ],
    "Q1.f": [
        10,
        24,
        32,
        32
    ],
    "Q1.g": "Set all weights of layer f to 0 and its bias to 1: the output is then the bias, all ones, whatever the input.",
    "Q1.h": 15,
    "Q2.a": "A",
    "Q2.b": "A",
    "Q3": [
        "C",
        "D"
    ],
    "Q4": [
        [
            1,
            0,
            0,
            0,
            0
        ],
        [
            0,
            1,
            0,
            0,
            0
        ],
        [
            0,
            0,
            1,
            0,
            0
        ],
        [
            0,
            0,
            0,
            1,
            0
        ],
        [
            0,
            0,
            0,
            0,
            1
        ],
        [
            0,
            1,
            0,
            0,
            0
        ]
    ],
    "Q7.1": [
        0.990001,
        0.0990001,
        0.00990001
    ],
    "Q7.2": [
        0.9009009,
        0.9009009,
        0.9009009
    ],
    "Q7.3.a": [
        0.333333,
        0.333333,
        0.333333
    ],
    "Q7.3.b": [
        0.333333,
        3.33333,
        33.3333
    ],
    "Q7.4.a": "D @ X",
    "Q7.4.b": "e_{t+1} = (I - 2 alpha x_I x_I^T) e_t; E[A] = -4 alpha e^T H^2 e <= -4 alpha lambda_min L; E[B] <= 4 alpha^2 lambda_max max ||x_i||^2 L; so rho = 4 alpha lambda_min - 4 alpha^2 lambda_max max||x_i||^2 > 0 for alpha < lambda_min / (lambda_max max ||x_i||^2).",
    "Q7.5": "X.T @ inv(X @ X.T) @ y"
}


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    return [(n + 2 * padding - kernel) // stride + 1 for n in input_hw]


def receptive_field(layers):
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field
