"""A free local port for a server a test or the benchmark starts, outside the kernel's ephemeral range.

A client that polls a port nobody listens on yet may, on Linux, connect to itself when the kernel
gives it that very port as its own (TCP self-connect): the poll then "succeeds" before the server is
up. Ports below the ephemeral range (32768–60999 by default) are never given to clients.
"""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20000, 32767


def free_port() -> int:
    """Return a port on 127.0.0.1 that nobody listens on, below the ephemeral range."""
    for port in random.sample(range(LOW, HIGH + 1), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free port below the ephemeral range")
