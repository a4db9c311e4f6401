"""Bytes handed to a connection's protocol as Hypercorn's ProtocolWrapper hands them, but an upgrade to HTTP/2 with
`Upgrade: h2c` answers the upgraded request to its end.

Hypercorn's H2Protocol.initiate (hypercorn/protocol/h2.py:129-141) handles the upgraded request (stream 1) before it
starts the task that sends the streams' data (`send_task`). A stream Hypercorn answers itself, at once, waits in
that call for its data to be sent (StreamBuffer.drain, h2.py:46) by the task not started yet: a `CONNECT` (a
WebSocket stream, refused with a 400 by hypercorn/protocol/ws_stream.py:230-232) and a host outside server_names
(404, http_stream.py:117-119). The client gets the answer's headers and never its end, and the connection reads
nothing more: it hangs until the graceful timeout of the stop cuts it off. Besides, the refused WebSocket stream
never says it is closed (no StreamClosed, ws_stream.py:328-339), so the connection would never be idle.

So here, on HTTP/1 the protocol's own `handle` is called and the switch to HTTP/2 done as ProtocolWrapper.handle
does it (hypercorn/protocol/__init__.py:64-96), but an h2c upgrade starts the send task first (Hypercorn's own
`initiate`, with no request), then the upgraded request is handled, and closed if it was refused.

Hypercorn 0.18 internals this relies on (tests/test_lossless_stop.py checks each of them is still there):
ProtocolWrapper's attributes; H2CProtocolRequiredError's `data`, `headers` and `settings`, H2ProtocolAssumedError's
`data`; H2Protocol's constructor, `initiate(headers, settings)`, `_create_stream`, `streams` and `stream_send`.
"""

from __future__ import annotations

from collections.abc import Callable

import h2.events
from hypercorn.events import RawData
from hypercorn.protocol import ProtocolWrapper
from hypercorn.protocol.events import EndBody, StreamClosed
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.protocol.h11 import H2CProtocolRequiredError, H2ProtocolAssumedError, H11Protocol

UPGRADED_STREAM = 1  # RFC 9113, 3.2 (RFC 7540, 3.2): the request that carried the upgrade is stream 1


async def handle_data(wrapper: ProtocolWrapper, data: bytes, made: Callable[[H2Protocol], None]) -> None:
    """`wrapper.handle(RawData(data))`, with an h2c upgrade done as the module says.

    made: told of each HTTP/2 protocol made here, before it is given a byte (greeter/server/http2_guard.py)."""
    if not isinstance(wrapper.protocol, H11Protocol):
        await wrapper.handle(RawData(data=data))
        return
    try:
        await wrapper.protocol.handle(RawData(data=data))
    except H2ProtocolAssumedError as error:  # HTTP/2's preface on a cleartext connection: as Hypercorn does it
        wrapper.protocol = _http2(wrapper, made)
        await wrapper.protocol.initiate()
        if error.data:
            await wrapper.protocol.handle(RawData(data=error.data))
    except H2CProtocolRequiredError as error:
        protocol = wrapper.protocol = _http2(wrapper, made)
        await protocol.initiate(None, error.settings)  # the upgrade's SETTINGS, and the send task: no stream yet
        await _handle_upgraded_request(protocol, error.headers)
        if error.data:
            await protocol.handle(RawData(data=error.data))


def _http2(wrapper: ProtocolWrapper, made: Callable[[H2Protocol], None]) -> H2Protocol:
    protocol = H2Protocol(
        wrapper.app,
        wrapper.config,
        wrapper.context,
        wrapper.task_group,
        wrapper.state,
        wrapper.ssl,
        wrapper.client,
        wrapper.server,
        wrapper.send,
    )
    made(protocol)
    return protocol


async def _handle_upgraded_request(protocol: H2Protocol, headers: list[tuple[bytes, bytes]]) -> None:
    """The rest of H2Protocol.initiate (h2.py:137-140), once its send task runs; a stream it refused is closed."""
    await protocol._create_stream(h2.events.RequestReceived(stream_id=UPGRADED_STREAM, headers=headers))
    stream = protocol.streams.get(UPGRADED_STREAM)
    if stream is None:  # answered and closed already
        return
    await stream.handle(EndBody(stream_id=UPGRADED_STREAM))  # the upgrade carries no body (h11.py:311)
    if stream.closed and protocol.streams.get(UPGRADED_STREAM) is stream:  # refused, its answer sent
        await protocol.stream_send(StreamClosed(stream_id=UPGRADED_STREAM))
