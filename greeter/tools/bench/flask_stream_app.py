"""The Flask twin with a live stream, for the bench's crowd: the twin has none (an intended difference), and a
thread-per-request server's answer to 5,000 live viewers is what the crowd measures.

/process/stream is written the way a Flask app would: one ticker thread makes each tick's event once, and each
viewer's generator waits on a condition for the next one, in its own server thread for as long as it watches.
Every other route is the twin's own.

    gunicorn --worker-class gthread --threads 1000 greeter.tools.bench.flask_stream_app:app
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

from flask import Flask, Response

from greeter.flask_twin import create_flask_app

TICK_SECONDS = 1.0  # greeter's default PROCESS_TICK_SECONDS


class ThreadTicker:
    """One event per tick for every viewer, made once by one thread; each viewer waits on the condition."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.tick = 0
        self.message = b""
        self.viewers = 0
        self._started = False

    def figures(self) -> bytes:
        figures = {"tick": self.tick, "viewers": self.viewers, "time": round(time.time(), 3)}
        return b"data: " + json.dumps(figures, separators=(",", ":")).encode() + b"\n\n"

    def run(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            with self.changed:
                self.tick += 1
                self.message = self.figures()
                self.changed.notify_all()

    def stream(self) -> Iterator[bytes]:
        with self.changed:
            if not self._started:  # in the server's worker process, on the first viewer
                self._started = True
                threading.Thread(target=self.run, name="ticker", daemon=True).start()
            self.viewers += 1
            seen, first = self.tick, self.figures()
        try:
            yield b"retry: 3000\n" + first
            while True:
                with self.changed:
                    while self.tick == seen:
                        self.changed.wait()
                    seen, message = self.tick, self.message
                yield message  # a viewer who left is noticed here: the write fails
        finally:
            with self.changed:
                self.viewers -= 1


def create_app() -> Flask:
    app = create_flask_app()
    ticker = ThreadTicker()

    @app.get("/process/stream")
    def process_stream() -> Response:
        return Response(ticker.stream(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})

    return app


app = create_app()
