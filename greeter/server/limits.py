"""The limits on connections: open files (each connection, each live stream, is one) and the listen backlog."""

from __future__ import annotations

import resource
import socket
from pathlib import Path


def allow_many_connections() -> None:
    """Raise the soft limit on open files to the hard one (a server's streams, or the bench's viewers)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


SOMAXCONN = Path("/proc/sys/net/core/somaxconn")


def listen_backlog() -> int:
    """The system's ceiling on a listening socket's queue (Linux: net.core.somaxconn), so that a burst of
    connections waits in the kernel instead of being refused; elsewhere, Python's idea of it."""
    try:
        return int(SOMAXCONN.read_text())
    except (OSError, ValueError):
        return socket.SOMAXCONN
