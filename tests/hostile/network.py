"""Tries to reach a server on the loopback interface."""

import socket


def conv_output_shape(input_hw, kernel, stride=1, padding=0):
    try:
        with socket.create_connection(("127.0.0.1", @PORT@), timeout=1) as s:
            s.sendall(b"exfiltrated")
        return "connected"
    except OSError as exc:
        return type(exc).__name__
