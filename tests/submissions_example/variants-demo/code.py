def steps(w, eta, n):
    for _ in range(n):
        w -= eta * w
    return w
