"""Which request each task of the event loop is answering, for a thread that is not the loop's to read.

The loop's thread writes it (greeter/plumbing/asgi_connection.py); the event loop's watchdog
(greeter/server/watchdog.py) reads it from its own thread, where a contextvar of the task could not be read.
No framework here.
"""

from __future__ import annotations

# task -> "GET /hello/Ann"; a plain dict: one key set and popped per request, read whole by another thread
RUNNING: dict[object, str] = {}


def printable(text: str, limit: int = 120) -> str:
    """A method and path as a terminal line may show them: no control characters, not too long."""
    if len(text) <= limit and text.isprintable():  # nearly every request: one C call, at each request
        return text
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
