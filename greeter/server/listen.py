"""Opening the listening socket ourselves: a port in use, an address this machine lacks, a name that does not
resolve are each one sentence, and port 0 is known before the banner."""

from __future__ import annotations

import errno
import os
import socket

from greeter.server.limits import listen_backlog
from greeter.server.port_holder import port_holder
from greeter.shared.errors import Refused


class ServeError(Refused):
    """The machine refuses to serve (a port in use, an address it does not have): one sentence, exit status 1."""


def listen(host: str, port: int) -> socket.socket:
    """Open the listening socket ourselves, so a port in use is one clear sentence, and port 0 is known."""
    try:
        # resolved here: create_server would bury a name that does not resolve in "(while attempting to bind ...)"
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError):
        raise ServeError(
            f"cannot listen on {host}: no address of that name was found; check the spelling, or give an address"
            " such as 127.0.0.1 or 0.0.0.0."
        ) from None
    try:
        sock = socket.create_server(address, family=family, backlog=listen_backlog())
    except OSError as error:
        where = f"port {port} on {host}"
        if error.errno == errno.EADDRINUSE:
            message = f"{where} is already in use{_in_use_by(port)}"
        elif error.errno == errno.EACCES:
            message = f"{where} is not open to this user; choose a port from 1024 to 65535."
        elif error.errno == errno.EADDRNOTAVAIL:
            message = f"cannot listen on {host}: it is not an address of this machine."
        else:  # strerror alone: create_server's own text adds the raw address tuple
            message = f"cannot listen on {where}: {os.strerror(error.errno) if error.errno else error}."
        raise ServeError(message) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _in_use_by(port: int) -> str:
    """The rest of the sentence: who most likely holds the port, and what to do (never the next port: on a
    course server that is a classmate's UID)."""
    holder = port_holder(port)
    if holder is not None and holder.uid != os.getuid():
        return " by another user's program; run `greeter 0` for any free port."
    if holder is not None and holder.pids:
        named = [f"{pid} ({name})" for pid, name in zip(holder.pids, holder.names, strict=True)]
        processes = "process " + named[0] if len(named) == 1 else f"processes {', '.join(named[:-1])} and {named[-1]}"
        # a greeter's workers stop, gracefully, with the greeter that started them: it is the one to stop
        leaders = [pid for pid, name in zip(holder.pids, holder.names, strict=True) if "worker" not in name]
        kill = " ".join(str(pid) for pid in leaders or holder.pids)
        return (
            f" by your own {processes}, most likely a greeter you started earlier and left running; stop it"
            f" (Ctrl+C in its terminal, or `kill {kill}`), or run `greeter 0` for any free port."
        )
    return (
        ", most likely by a greeter you started earlier and left running; stop it (Ctrl+C in its terminal),"
        " or run `greeter 0` for any free port."
    )
