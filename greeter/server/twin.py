"""`greeter twin`: the Flask twin on Werkzeug's development server, as `flask run` serves it, by greeter's rules
(the UID port, the banner, the one-sentence errors), on a socket greeter opened."""

from __future__ import annotations

import os
import socket
import threading

from flask import Flask
from werkzeug.serving import make_server

from greeter.server.banner import banner_lines, listening_facts
from greeter.server.listen import listen
from greeter.server.ports import port_for_uid
from greeter.shared.say import say
from greeter.shared.stop_request import StopRequest, hangup_line

# what the banner says serves
HOW = "Werkzeug's development server, a thread per request"


def twin(host: str, asked_port: int | None, *, command: str) -> None:
    """Serve the twin on the port asked for (None: the UID's) until Ctrl+C, SIGTERM or SIGHUP."""
    from greeter.flask_twin import create_flask_app

    port = port_for_uid(os.getuid()) if asked_port is None else asked_port
    app = create_flask_app()  # a bad GREETER_* setting: one sentence, before anything listens
    StopRequest.check()  # a Ctrl+C while the twin was loading: stopped, nothing listened yet
    sock = listen(host, port)
    facts = listening_facts(sock, host, asked_port, HOW, command=command, debug=False)
    print("\n".join(banner_lines(facts, name="greeter twin")), flush=True)
    serve_twin(app, sock)


def serve_twin(app: Flask, sock: socket.socket) -> None:
    """Serve until a stop signal, a thread per request (`flask run`'s way), on the socket `listen()` opened."""
    # the server adopts a copy of the descriptor, so a port in use was already one sentence of listen()'s
    host, port = sock.getsockname()[:2]
    server = make_server(host, port, app, threaded=True, fd=sock.fileno())
    sock.close()

    # Ctrl+C, SIGTERM and SIGHUP: shutdown() from a thread of its own (it waits for serve_forever, which runs here),
    # rather than a KeyboardInterrupt that a request's thread or a finaliser could swallow
    StopRequest.on_stop(lambda: threading.Thread(target=server.shutdown, daemon=True).start())
    server.serve_forever()  # returns once shut down, without a traceback
    if line := hangup_line(StopRequest.signal_number):
        say(line)
    say("greeter twin: stopped.")
