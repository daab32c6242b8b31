"""Reference solvers for the reconstructed deep-learning midterm (seed 000_a838cf123e1d745d).

Every answer is computed from the numbers in `problem.yaml`'s params: conv and transposed-conv
output shapes, the receptive field by its recursion, what a student's kernel does to fixed test
images (the `transform` functions: a kernel is graded by its behaviour, not its literal form),
the one-hot table, and the limits of SGD / diagonally preconditioned SGD on an underdetermined
least-squares problem, both in closed form and by running the iterations.

Trusted code: it runs in the grader's process. The `transform` functions receive a student's
parsed answer as plain nested lists and must reject malformed input with a ValueError whose
message the student can act on.
"""

from __future__ import annotations

import math

import numpy as np

# ----------------------------------------------------------------------------------------
# Q1 (a), (e), (f): output shapes
# ----------------------------------------------------------------------------------------

ROUNDINGS = ("floor", "ceil")
CONV_VARIANTS = ("correct", "ceil", "no_padding", "no_plus_one", "keep_in_channels")


def _nchw(shape, what="input_shape"):
    """A 4-d [N, C, H, W] shape of positive integers, or ValueError."""
    if not isinstance(shape, (list, tuple)) or len(shape) != 4:
        raise ValueError(f"{what} must be [N, C, H, W], got {shape!r}")
    out = []
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, float)) or d != int(d) or d < 1 or d > 10**7:
            raise ValueError(f"{what} must hold positive integers, got {shape!r}")
        out.append(int(d))
    return out


def conv_size(size, kernel, stride=1, padding=0, dilation=1, rounding="floor", plus_one=True):
    """Spatial output size of a convolution: floor((H + 2p - d(k-1) - 1) / s) + 1."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}")
    steps = math.floor(span / stride) if rounding == "floor" else math.ceil(span / stride)
    out = steps + (1 if plus_one else 0)
    if out < 1:
        raise ValueError(f"the kernel ({kernel}) does not fit the padded input ({size} + 2*{padding})")
    return out


def conv_transpose_size(size, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """Spatial output size of a transposed convolution: (H-1)s - 2p + d(k-1) + op + 1."""
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if out < 1:
        raise ValueError("the transposed convolution has an empty output")
    return out


def conv2d_output_shape(input_shape, out_channels, kernel, stride=1, padding=0, dilation=1,
                        variant="correct"):
    """[N, C_out, H_out, W_out] of nn.Conv2d; `variant` reproduces a typical mistake."""
    n, c, h, w = _nchw(input_shape)
    if variant not in CONV_VARIANTS:
        raise ValueError(f"variant must be one of {CONV_VARIANTS}")
    pad = 0 if variant == "no_padding" else padding
    rounding = "ceil" if variant == "ceil" else "floor"
    plus_one = variant != "no_plus_one"
    channels = c if variant == "keep_in_channels" else out_channels
    size = [conv_size(x, kernel, stride, pad, dilation, rounding, plus_one) for x in (h, w)]
    return [n, channels] + size


def conv_transpose2d_output_shape(input_shape, out_channels, kernel, stride=1, padding=0,
                                  output_padding=0):
    """[N, C_out, H_out, W_out] of nn.ConvTranspose2d."""
    n, _, h, w = _nchw(input_shape)
    return [n, out_channels] + [conv_transpose_size(x, kernel, stride, padding, output_padding) for x in (h, w)]


def layer_output_shape(layer, layers, net_input, input_shape=None, variant="correct"):
    """Output shape of one named layer of the encoder-decoder of Q1 (e).

    `input_shape` is the shape entering the layer (the previous part's answer, so an error
    can be carried forward); by default, the network input for the first layer.
    """
    spec = layers[layer]
    shape = net_input if input_shape is None else input_shape
    kind = spec["kind"]
    if kind == "conv":
        return conv2d_output_shape(shape, spec["out"], spec["k"], spec.get("s", 1), spec.get("p", 0),
                                   variant=variant)
    if kind == "conv_transpose":
        if variant == "as_conv":  # the mistake of using the conv formula for a transposed conv
            return conv2d_output_shape(shape, spec["out"], spec["k"], spec.get("s", 1), spec.get("p", 0))
        return conv_transpose2d_output_shape(shape, spec["out"], spec["k"], spec.get("s", 1), spec.get("p", 0),
                                             spec.get("op", 0))
    raise ValueError(f"unknown layer kind {kind!r}")


def all_layer_shapes(layers, net_input):
    """Every layer's output shape, in order (for checks and the full-credit example)."""
    out, shape = {}, net_input
    for name in layers:
        shape = layer_output_shape(name, layers, net_input, shape)
        out[name] = shape
    return out


def skip_concat_shape(a_shape, e_shape, upsample=2):
    """Q1 (f): channel concatenation of layer a's output with layer e's output upsampled x2."""
    a = _nchw(a_shape, "a_shape")
    e = _nchw(e_shape, "e_shape")
    up = [e[0], e[1], e[2] * upsample, e[3] * upsample]
    if a[0] != up[0] or a[2:] != up[2:]:
        raise ValueError(f"cannot concatenate {a} with {up}: batch and spatial sizes differ")
    return [a[0], a[1] + up[1], a[2], a[3]]


# ----------------------------------------------------------------------------------------
# Q1 (h): receptive field
# ----------------------------------------------------------------------------------------

def receptive_field(layers, upto, variant="correct"):
    """Receptive field (in input pixels) of one unit of layer `upto`, by the forward recursion

        r_0 = 1, j_0 = 1;  r_i = r_{i-1} + (k_i - 1) * j_{i-1};  j_i = j_{i-1} * s_i

    (j is the distance in input pixels between neighbouring units). Variants reproduce
    mistakes: `no_jump` adds k_i - 1 per layer (ignores strides), `own_stride` multiplies
    (k_i - 1) by j_i instead of j_{i-1}.
    """
    r, j = 1, 1
    for name, spec in layers.items():
        k, s = spec["k"], spec.get("s", 1)
        if variant == "no_jump":
            r += k - 1
        elif variant == "own_stride":
            r += (k - 1) * j * s
        else:
            r += (k - 1) * j
        j *= s
        if name == upto:
            return r
    raise ValueError(f"no layer {upto!r}")


def receptive_field_backward(layers, upto):
    """The same receptive field by the backward recursion R_{i-1} = s_i R_i + (k_i - s_i), R = 1 at `upto`."""
    names = list(layers)
    chain = names[: names.index(upto) + 1]
    size = 1
    for name in reversed(chain):
        k, s = layers[name]["k"], layers[name].get("s", 1)
        size = s * size + (k - s)
    return size


# ----------------------------------------------------------------------------------------
# Q1 (b)-(d): kernels graded by behaviour on fixed test images (transform functions)
# ----------------------------------------------------------------------------------------

def _kernel(value, size):
    """The student's kernel as a size x size float array, or ValueError saying what is wrong."""
    arr = np.asarray(value, dtype=float)
    if arr.shape != (size, size):
        raise ValueError(f"expected a {size}x{size} kernel, got an array of shape "
                         f"{'x'.join(map(str, arr.shape)) or 'scalar'}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("the kernel has non-finite entries")
    if np.max(np.abs(arr)) > 1e12:
        raise ValueError("the kernel's entries are too large to check (keep them below 1e12)")
    return arr


def correlate2d(image, kernel, padding=0):
    """What nn.Conv2d computes (cross-correlation, no kernel flip), with zero padding."""
    img = np.pad(np.asarray(image, dtype=float), padding)
    kh, kw = kernel.shape
    oh, ow = img.shape[0] - kh + 1, img.shape[1] - kw + 1
    out = np.zeros((oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * img[a:a + oh, b:b + ow]
    return out


def _test_images(size=8, seed=413):
    """Fixed test images: flat, structure along one axis or diagonal only, and step edges."""
    rng = np.random.default_rng(seed)
    i, j = np.indices((size, size))
    g = [rng.integers(-5, 6, size=2 * size) for _ in range(2)]
    return {
        "flat": [np.full((size, size), 3.0)],
        "varies_left_right": [g[0][j].astype(float), g[1][j].astype(float)],   # vertical stripes/edges
        "horizontal_edge": [(i >= size // 2).astype(float)],                   # dark top, bright bottom
        "constant_on_antidiagonals": [g[0][i + j].astype(float), g[1][i + j].astype(float)],
        "main_diagonal_edge": [(j > i).astype(float)],                          # edge along "\"
    }


def _zero(outputs, kernel, images):
    scale = 1e-9 + 1e-7 * float(np.abs(kernel).sum()) * max(float(np.abs(x).max()) for x in images)
    return all(float(np.abs(o).max()) <= scale for o in outputs)


def _flags(kernel, zero_on, responds_to):
    """1.0/0.0 per behaviour: zero on each image family in `zero_on`, then responds to `responds_to`."""
    imgs = _test_images()
    flags = []
    for family in zero_on:
        flags.append(float(_zero([correlate2d(x, kernel) for x in imgs[family]], kernel, imgs[family])))
    fam = imgs[responds_to]
    flags.append(float(not _zero([correlate2d(x, kernel) for x in fam], kernel, fam)))
    return flags


def horizontal_edge_behaviour(kernel):
    """Q1 (b) transform: [zero on a flat image, zero on left-right variation, responds to a horizontal edge]."""
    k = _kernel(kernel, 3)
    return _flags(k, ["flat", "varies_left_right"], "horizontal_edge")


def diagonal_edge_behaviour(kernel):
    """Q1 (c) transform: [zero on a flat image, zero on images constant along "/", responds to a "\\" edge]."""
    k = _kernel(kernel, 2)
    return _flags(k, ["flat", "constant_on_antidiagonals"], "main_diagonal_edge")


def shift_test_outputs(kernel):
    """Q1 (d) transform: the kernel applied (padding 1) to two fixed 6x6 test images."""
    k = _kernel(kernel, 3)
    rng = np.random.default_rng(182)
    images = [rng.integers(1, 10, size=(6, 6)).astype(float) for _ in range(2)]
    return [correlate2d(x, k, padding=1) for x in images]


def shift_kernel(dx=1, dy=0):
    """The 3x3 kernel with which nn.Conv2d gives out[i, j] = x[i + dy, j + dx] (content moves left for dx=1)."""
    k = np.zeros((3, 3))
    k[1 + dy, 1 + dx] = 1.0
    return k


# ----------------------------------------------------------------------------------------
# Q4: one-hot table, graded row by row whatever the vocabulary order (transform)
# ----------------------------------------------------------------------------------------

def tokens(sentence):
    return sentence.lower().split()


def one_hot_table(sentence):
    """One row per token, one column per distinct word in order of first appearance."""
    words = tokens(sentence)
    vocab = list(dict.fromkeys(words))
    table = np.zeros((len(words), len(vocab)))
    for row, word in enumerate(words):
        table[row, vocab.index(word)] = 1.0
    return table


def decode_one_hot(table):
    """Q4 transform: each row -> which word it encodes, numbered by first appearance; -1 if not one-hot.

    Renumbering makes any column order right (the vocabulary's order was not fixed), and a
    blank or ambiguous row costs exactly that row.
    """
    arr = np.asarray(table, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"expected a table (one row per token), got an array with {arr.ndim} dimension(s)")
    if arr.shape[0] > 1000 or arr.shape[1] > 1000:
        raise ValueError(f"the table is {arr.shape[0]}x{arr.shape[1]}; a sentence's table is far smaller")
    ones = np.isclose(arr, 1.0, rtol=0, atol=1e-9)
    zeros = np.isclose(arr, 0.0, rtol=0, atol=1e-9)
    valid = (ones.sum(axis=1) == 1) & (ones | zeros).all(axis=1)
    columns = np.where(valid, np.argmax(ones, axis=1), -1).tolist() if arr.shape[1] else [-1] * arr.shape[0]
    names: dict[int, int] = {}
    out = []
    for c in columns:
        if c < 0:
            out.append(-1)
        else:
            out.append(names.setdefault(c, len(names)))
    return out


# ----------------------------------------------------------------------------------------
# Q7: where SGD and preconditioned SGD converge on an underdetermined least-squares problem
# ----------------------------------------------------------------------------------------

def _system(x, y):
    X = np.atleast_2d(np.asarray(x, dtype=float))
    Y = np.atleast_1d(np.asarray(y, dtype=float))
    return X, Y


def min_norm_solution(x, y):
    """Closed form of SGD's limit from theta_0 = 0: X^T (X X^T)^{-1} y (here x^T / ||x||^2 * y)."""
    X, Y = _system(x, y)
    return X.T @ np.linalg.solve(X @ X.T, Y)


def preconditioned_limit(x, y, diag):
    """Closed form of the limit of theta <- theta - a P grad from 0 with a fixed diagonal P = diag(diag):

    the iterates stay in P X^T span, so theta* = P X^T (X P X^T)^{-1} y.
    """
    X, Y = _system(x, y)
    P = np.diag(np.asarray(diag, dtype=float))
    return P @ X.T @ np.linalg.solve(X @ P @ X.T, Y)


def rms_preconditioner(x):
    """The per-coordinate 1/RMS of the gradients, up to a common factor: all gradients are
    multiples of x^T, so coordinate j's RMS is |x_j| times a shared scalar; P = diag(1/|x_j|)."""
    X, _ = _system(x, 0)
    return 1.0 / np.abs(X).max(axis=0)


def rms_preconditioned_limit(x, y, power=1):
    """Q7 (2) closed form: P x^T / (x P x^T) * y with P = diag(1/|x_j|) = [1,1,1]/1.11 here.

    power=2 reproduces the mistake of dropping the square root (P = diag(1/x_j^2))."""
    return preconditioned_limit(x, y, rms_preconditioner(x) ** power)


def run_sgd(x, y, steps=20000, lr=None, probs=None, seed=0, preconditioner=None):
    """Run SGD on f_i(theta) = (y_i - x_i theta)^2 from theta_0 = 0, sampling row i with prob p_i,
    optionally with a fixed diagonal preconditioner. Numerical counterpart of the closed forms."""
    X, Y = _system(x, y)
    n, d = X.shape
    p = np.full(n, 1.0 / n) if probs is None else np.asarray(probs, dtype=float)
    P = np.ones(d) if preconditioner is None else np.asarray(preconditioner, dtype=float)
    if lr is None:
        lr = 0.5 / max(float(X[i] @ (P * X[i])) for i in range(n)) / 2
    rng = np.random.default_rng(seed)
    theta = np.zeros(d)
    picks = rng.choice(n, size=steps, p=p)
    for i in picks:
        residual = Y[i] - X[i] @ theta
        theta = theta + lr * P * (2 * residual * X[i])
    return theta


def run_rms_preconditioned(x, y, epochs=20000, alpha0=0.5):
    """Q7 (2) by iteration, with M_t recomputed every epoch from that epoch's gradients exactly as
    the question describes: M_t = diag(1 / sqrt(mean of g_j^2)). With one data point an epoch is
    one step, so M_t g_t = sign(g_t): the step is alpha_t * sign(residual) * sign(x); a decaying
    alpha_t = alpha0 / (t + 1) makes the iterates settle."""
    X, Y = _system(x, y)
    n, d = X.shape
    theta = np.zeros(d)
    for t in range(epochs):
        grads = np.array([-2 * (Y[i] - X[i] @ theta) * X[i] for i in range(n)])
        rms = np.sqrt((grads ** 2).mean(axis=0))
        if not np.all(rms > 0):
            break  # zero residual: converged exactly
        alpha = alpha0 / (t + 1)
        for g in grads:
            theta = theta - alpha * g / rms
    return theta


def rescaled_solution(x, y):
    """Q7 (3): rescale coordinates theta_bar_j = x_j theta_j so that the row becomes all ones, run SGD
    (min-norm limit) in theta_bar, and map back. Returns both, for the two sub-parts."""
    X, Y = _system(x, y)
    scale = np.abs(X).max(axis=0)
    theta_bar = min_norm_solution(X / scale, Y)
    return {"theta_bar": theta_bar, "theta": theta_bar / scale}


def theta_from_rescaled(theta_bar, x):
    """Q7 (3b): map a solution of the rescaled problem back to theta (divide by x_j's scale)."""
    tb = np.asarray(theta_bar, dtype=float).ravel()
    X, _ = _system(x, 0)
    scale = np.abs(X).max(axis=0)
    if tb.shape != scale.shape:
        raise ValueError(f"theta_bar must have {scale.size} entries")
    return tb / scale


def rescaled_mistake(x, y, how):
    """Wrong ways of mapping the rescaled solution back: 'multiply' by x instead of dividing, or 'square'."""
    X, Y = _system(x, y)
    scale = np.abs(X).max(axis=0)
    tb = min_norm_solution(X / scale, Y)
    if how == "multiply":
        return tb * scale
    if how == "square":
        return tb / scale ** 2
    raise ValueError(how)


# --- Code parts (Q1 as code): reference functions for the students' conv_output_shape and
# receptive_field. Named code_* because `receptive_field` above is Q1.h's solver.

def code_conv_output_shape(input_hw, kernel, stride=1, padding=0):
    """Output height and width of a square conv: floor((n + 2p - k) / s) + 1 per dimension."""
    return [(int(n) + 2 * padding - kernel) // stride + 1 for n in input_hw]


def code_receptive_field(layers):
    """Receptive field after a stack of (kernel, stride) layers: r += (k - 1) * jump; jump *= s."""
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field
