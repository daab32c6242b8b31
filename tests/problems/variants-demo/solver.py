"""Reference solvers of the per-student variants demo."""


def one_step(w0, eta):
    return w0 * (1 - eta)


def wrong_sign(w0, eta):
    return w0 * (1 + eta)


def n_steps(w1, eta, n):
    return w1 * (1 - eta) ** (n - 1)


def steps_ref(w, eta, n):
    for _ in range(n):
        w = w * (1 - eta)
    return w
