"""Reference solvers of CSC413 Homework 2 (seed 004_58a797c32bd82249.txt).

Every function computes its answer from the problem's numbers (the `params` of problem.yaml),
so a change of a number in the spec changes the expected answer. Functions with a flag such
as ``flip=False`` or ``biases=False`` reproduce a predictable mistake for the spec's `mistakes:`.
"""

from __future__ import annotations

import numpy as np

# --- 1.2.1: RMSProp versus the minimum-norm solution on the hint problem ----------------


def _data(x_hint, t_hint):
    X = np.atleast_2d(np.asarray(x_hint, dtype=float))
    t = np.atleast_1d(np.asarray(t_hint, dtype=float))
    return X, t


def min_norm_solution(x_hint, t_hint):
    """w* = X^T (X X^T)^{-1} t: the solution of Xw = t in the row space of X."""
    X, t = _data(x_hint, t_hint)
    return X.T @ np.linalg.solve(X @ X.T, t)


def _gradient(X, t, w, grad_scale):
    """Gradient of L = (1/n)||Xw - t||^2 is (2/n) X^T (Xw - t); grad_scale replaces 2."""
    n = X.shape[0]
    return (grad_scale / n) * X.T @ (X @ w - t)


def rmsprop(x_hint, t_hint, w0_hint, rms_eta, rms_beta, rms_eps, steps=2000,
            grad_scale=2.0, use_beta=True, use_eps=True):
    """RMSProp as in equations (3)-(4) of the handout, from v_{-1} = 0.

    Returns the first iterate ``w1`` and the point ``w_final`` after ``steps`` steps (the
    iteration settles within about 100 steps for the spec's numbers). ``grad_scale=1`` is the
    loss 1/2 (x^T w - t)^2 instead of the handout's (1/n)||Xw - t||^2; ``use_beta=False``
    takes v = g^2; ``use_eps=False`` drops epsilon.
    """
    X, t = _data(x_hint, t_hint)
    w = np.asarray(w0_hint, dtype=float).copy()
    v = np.zeros_like(w)
    beta = rms_beta if use_beta else 0.0
    eps = rms_eps if use_eps else 0.0
    w1 = None
    for _ in range(int(steps)):
        g = _gradient(X, t, w, grad_scale)
        v = beta * v + (1.0 - beta) * g * g
        w = w - rms_eta * g / (np.sqrt(v) + eps)
        if w1 is None:
            w1 = w.copy()
    return {"w1": w1, "w_final": w}


def gd_first_step(x_hint, t_hint, w0_hint, rms_eta):
    """The mistake of taking a plain gradient-descent step instead of an RMSProp step."""
    X, t = _data(x_hint, t_hint)
    w0 = np.asarray(w0_hint, dtype=float)
    return w0 - rms_eta * _gradient(X, t, w0, 2.0)


# --- 3.1: convolution by hand ---------------------------------------------------------


def conv2d_same(I, J, flip=True):
    """Zero-padded 'same' 2-D convolution (kernel flipped, as in lecture 4).

    ``flip=False`` gives the cross-correlation, the anticipated mistake.
    """
    image = np.asarray(I, dtype=float)
    kernel = np.asarray(J, dtype=float)
    if flip:
        kernel = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, kh // 2), (kw // 2, kw // 2)))
    out = np.zeros_like(image)
    for r in range(image.shape[0]):
        for c in range(image.shape[1]):
            out[r, c] = np.sum(padded[r:r + kh, c:c + kw] * kernel)
    return out


# --- 3.2 and 3.3: sizes and receptive fields from the assumed layer list ----------------


def _feature_sizes(layers, input_size, pool_size, pool_stride):
    """Side length of each layer's (square, single-channel) output."""
    side = int(input_size)
    sides = []
    for layer in layers:
        if layer == "pool":
            side = (side - pool_size) // pool_stride + 1
        elif layer != "conv":
            raise ValueError(f"unknown layer {layer!r} (expected 'conv' or 'pool')")
        sides.append(side)  # 'same' zero padding keeps a conv layer's side
    return sides


def net_counts(layers, input_size, conv_kernel, pool_size, pool_stride, biases=True,
               count_input=False, count_pool=True):
    """Neurons and trainable parameters of the CNN and of its fully connected twin.

    The CNN's conv layers have one 3x3 filter (kernel^2 weights + 1 bias); the FCNN replaces
    each conv layer by a fully connected layer with the same output size (in*out weights +
    out biases). Pooling layers have no parameters. Neurons are the units of every layer's
    output (the input pixels are not neurons unless ``count_input``).
    """
    sides = _feature_sizes(layers, input_size, pool_size, pool_stride)
    neurons = 0
    cnn_params = 0
    fcnn_params = 0
    previous = int(input_size) ** 2
    if count_input:
        neurons += previous
    for layer, side in zip(layers, sides):
        units = side * side
        if layer == "conv" or count_pool:
            neurons += units
        if layer == "conv":
            cnn_params += conv_kernel * conv_kernel + (1 if biases else 0)
            fcnn_params += previous * units + (units if biases else 0)
        previous = units
    return {"cnn_neurons": neurons, "cnn_params": cnn_params,
            "fcnn_neurons": neurons, "fcnn_params": fcnn_params}


def fcnn_neurons_from_cnn(cnn_neurons):
    """FC layers keep every layer's output size, so the FCNN has the CNN's neurons."""
    return cnn_neurons


def receptive_field(layers, rf_kernel, pool_size, pool_stride, upto_conv=2, upto_layer=None,
                    pool_stride_in_jump=True, include_pool=True):
    """Side of the receptive field after the ``upto_conv``-th conv layer (as [h, w]).

    r <- r + (k - 1) * j, j <- j * s, layer by layer (conv: k = rf_kernel, s = 1).
    ``upto_layer`` (0-based index into ``layers``) stops after any layer instead.
    ``pool_stride_in_jump=False`` forgets that pooling doubles the jump;
    ``include_pool=False`` ignores the pooling layers altogether.
    """
    r, jump, seen = 1, 1, 0
    for index, layer in enumerate(layers):
        if layer == "conv":
            r += (rf_kernel - 1) * jump
            seen += 1
        elif include_pool:
            r += (pool_size - 1) * jump
            if pool_stride_in_jump:
                jump *= pool_stride
        done = index == upto_layer if upto_layer is not None else (layer == "conv" and seen == upto_conv)
        if done:
            return [r, r]
    raise ValueError(f"the layer list has fewer than {upto_conv} conv layers")


def receptive_field_off_by_stride(layers, rf_kernel, pool_size, pool_stride, upto_conv=2):
    """The mistake of multiplying the pooling layer's own stride into its own term.

    (A worked answer wrote 1 + 4*1 + 1*2 + 4*2 = 15 for 5x5 filters.)
    """
    r, jump, seen = 1, 1, 0
    for layer in layers:
        if layer == "conv":
            r += (rf_kernel - 1) * jump
            seen += 1
            if seen == upto_conv:
                return [r, r]
        else:
            jump *= pool_stride
            r += (pool_size - 1) * jump
    raise ValueError(f"the layer list has fewer than {upto_conv} conv layers")
