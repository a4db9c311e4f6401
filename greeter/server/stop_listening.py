"""The listening socket at a full stop: new connections refused first, then those the kernel already took accepted.

The kernel completes a TCP handshake on its own and queues the connection until a process accepts it; the client,
connected, sends its request. When the last descriptor of the listening socket closes, every queued connection
is reset: requests that reached the machine and are never answered (19 to 22 per SIGTERM with `--workers 2`,
where the supervisor kept its descriptor open until its workers had ended). So a server that stops for good first
refuses new connections, then takes what is queued (greeter/server/serving_loop.py), then closes. On a reload
none of this: the socket stays open in the supervisor and the new workers, which take what is queued.

No framework, not even asyncio: the supervisor refuses new connections before it tells its workers to stop.
"""

from __future__ import annotations

import select
import socket
import struct
import sys

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)  # Linux's <asm-generic/socket.h>
# a classic BPF socket filter, (code, jt, jf, k) each: A = the TCP flags byte (offset 13: a TCP socket's filter
# sees the TCP header at offset 0); a SYN without ACK (a new connection attempt) is dropped, anything else kept
DROP_NEW_CONNECTIONS = (
    (0x30, 0, 0, 13),  # ldb [13]
    (0x54, 0, 0, 0x12),  # and #(SYN|ACK)
    (0x15, 0, 1, 0x02),  # jeq #SYN, drop, keep
    (0x06, 0, 0, 0),  # drop: ret #0
    (0x06, 0, 0, 0xFFFFFFFF),  # keep: ret #-1
)


def refuse_new_connections(sock: socket.socket) -> bool:
    """From now on the kernel drops each new connection attempt to this TCP listening socket, so its queue of
    completed connections only shrinks, and can be taken to the last one before the socket closes. A client whose
    attempt was dropped tries again a second later and is refused then, having sent nothing. Set on the socket
    itself, so for every process that has it: only when the whole server stops, never on a reload. Linux only;
    False where it cannot be done (then the queue is taken for a moment, and what comes later is reset)."""
    if not sys.platform.startswith("linux") or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    import ctypes  # here, not at the top: only a stopping server needs it

    program = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *line) for line in DROP_NEW_CONNECTIONS))
    # struct sock_fprog {unsigned short len; struct sock_filter *filter;}: the kernel copies the program at once
    fprog = struct.pack("HP", len(DROP_NEW_CONNECTIONS), ctypes.addressof(program))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    except OSError:
        return False
    return True


def readable(fd: int) -> bool:
    """Whether the kernel holds something for this descriptor that nobody has taken yet: bytes or an end of file on
    a connection, a completed connection on a listening socket."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
