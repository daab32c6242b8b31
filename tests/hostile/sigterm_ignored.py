"""Ignores SIGTERM (and every catchable signal) and sleeps forever."""

import signal
import time

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    while True:
        time.sleep(10)


def receptive_field(layers):
    while True:
        pass
