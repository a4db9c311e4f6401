"""`greeter twin`: the Flask twin on Werkzeug's development server, as `flask run` serves it, on our own socket."""

from __future__ import annotations

import signal
import socket
import sys
from types import FrameType

from flask import Flask
from werkzeug.serving import make_server


def serve_twin(app: Flask, sock: socket.socket) -> None:
    """Serve until Ctrl+C or SIGTERM, a thread per request (`flask run`'s way), on the socket `listen()` opened."""
    # the server adopts a copy of the descriptor, so a port in use was already one sentence of listen()'s
    host, port = sock.getsockname()[:2]
    server = make_server(host, port, app, threaded=True, fd=sock.fileno())
    sock.close()

    def stop(signal_number: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # serve_forever's own way out: it closes the socket and returns

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()  # returns on Ctrl+C, without a traceback
    print("greeter twin: stopped.", file=sys.stderr)
