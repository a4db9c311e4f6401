"""One GET on a fresh connection, over TCP or a Unix socket: whether a server answers yet, and what it answers."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import h11

Address = tuple[str, int] | Path  # a host and port, or a Unix socket's path
READ_SIZE = 65_536
POLL_SECONDS = 0.005  # how often a server that does not answer yet is asked again


def get(address: Address, path: str, timeout: float = 5.0) -> tuple[int, bytes] | None:
    """(status, body), or None when nothing answers there (yet): refused, reset, no socket file, cut off."""
    family = socket.AF_UNIX if isinstance(address, Path) else socket.AF_INET
    host = "localhost" if isinstance(address, Path) else f"{address[0]}:{address[1]}"
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(address) if isinstance(address, Path) else address)
            return _exchange(sock, host, path)
        except (OSError, h11.ProtocolError):  # not listening yet, or going away
            return None


def _exchange(sock: socket.socket, host: str, path: str) -> tuple[int, bytes] | None:
    connection = h11.Connection(h11.CLIENT)
    request = h11.Request(method="GET", target=path, headers=[("Host", host), ("Connection", "close")])
    sock.sendall(connection.send(request) + connection.send(h11.EndOfMessage()))
    status, body = 0, bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(sock.recv(READ_SIZE))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return status, bytes(body)
        elif isinstance(event, h11.ConnectionClosed):
            return None


def until_served(address: Address, path: str, deadline: float, body: bytes | None = None) -> bool:
    """Ask until the server answers 200 (with this body, if given); False if the deadline passed first."""
    while time.monotonic() < deadline:
        answer = get(address, path)
        if answer is not None and answer[0] == 200 and (body is None or answer[1] == body):
            return True
        time.sleep(POLL_SECONDS)
    return False
