"""A HEAD its client wrote in another case (`head /`): one line in the log instead of Hypercorn's traceback.

Methods are case-sensitive, but Hypercorn gives the app the method upper-cased (hypercorn/protocol/h11.py:240), so
the app answers `head` as HEAD, headers alone, while h11 frames the answer by the method as sent and, at its end,
raises "Too little data for declared Content-Length" (h11/_writers.py:96). The ASGI send re-raises it into the app,
and Hypercorn would log "Error in ASGI Framework" with a traceback (hypercorn/asyncio/task_group.py:32). Nothing in
the scope says the method was not HEAD, so the app cannot answer otherwise: Hypercorn closes the connection after
the headers either way, and greeter says what happened in one line.
"""

from __future__ import annotations

import logging

import h11
from hypercorn.typing import ASGISendCallable, ASGISendEvent, HTTPScope

TOO_LITTLE_DATA = "Too little data for declared Content-Length"  # h11/_writers.py:96, only for a non-HEAD method
SERVER_LOG = logging.getLogger("hypercorn.error")  # where Hypercorn would have logged the traceback


def head_in_another_case(send: ASGISendCallable, scope: HTTPScope) -> ASGISendCallable:
    """The send of a HEAD request (its scope's method), which says in one line why h11 refused the answer's end."""

    async def sending(message: ASGISendEvent) -> None:
        try:
            await send(message)
        except h11.LocalProtocolError as error:
            if str(error) != TOO_LITTLE_DATA:
                raise
            SERVER_LOG.warning(said_of(scope))

    return sending


def said_of(scope: HTTPScope) -> str:
    query = scope["query_string"]
    target = scope["raw_path"].decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    return (
        f"HEAD {target} came with its method in another case (such as `head`): Hypercorn gave the app HEAD"
        " (hypercorn/protocol/h11.py:240), h11 framed the answer by the method as sent and wanted a body"
        " (h11/_writers.py:96), so Hypercorn closed the connection after the headers"
    )
