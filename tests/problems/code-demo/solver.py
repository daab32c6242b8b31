"""Reference solutions of the code-demo problem (trusted; never visible to student code)."""

import numpy as np

SECRET_MARKER = "SOLVER-SECRET-7f3a9c"  # the hostile tests check this never reaches feedback


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    """Output [H, W] of a 2-D convolution (square kernel, same stride and padding both ways)."""
    return [(int(n) + 2 * padding - kernel) // stride + 1 for n in input_hw]


def receptive_field(layers):
    """Receptive field of a stack of (kernel, stride) layers, in input pixels."""
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


def rmsprop_step(w, grad, v, lr=0.1, beta=0.9, eps=1e-8):
    """One RMSProp update; returns the new weights."""
    w, grad, v = (np.asarray(a, dtype=float) for a in (w, grad, v))
    v = beta * v + (1 - beta) * grad ** 2
    return w - lr * grad / (np.sqrt(v) + eps)


def warmup_answer():
    return 42
