"""Which port to serve on: the user's UID, an explicit choice, or any free port. Pure functions."""

from __future__ import annotations

from greeter.shared.errors import GreeterError

MIN_PORT = 1024  # ports below this are reserved for the system
MAX_PORT = 65535
ANY_FREE_PORT = 0
_RANGE_SIZE = MAX_PORT - MIN_PORT + 1


class PortError(GreeterError):
    """A port that cannot be used; the message is one sentence for a person."""


def port_for_uid(uid: int) -> int:
    """The user's own port: the UID itself when it is a usable port, else the UID folded into range."""
    if MIN_PORT <= uid <= MAX_PORT:
        return uid
    # root, system accounts and large directory-service UIDs: a fixed rule, so the port is the same every day
    return MIN_PORT + uid % _RANGE_SIZE


def port_reason(uid: int, asked: int | None, port: int) -> str:
    """Why greeter serves on this port, in plain words: the UID, the fold, the port asked for, or any free one."""
    own = port_for_uid(uid)
    if asked == ANY_FREE_PORT:
        return f"port {port} is a free port the system chose, as you asked with 0 (your own port is {own})"
    if asked is not None and asked != own:
        return f"port {port}, as you asked (your own port, from your UID, is {own})"
    if MIN_PORT <= uid <= MAX_PORT:
        return f"port {port} is your UID, as the course asks: on a shared server, everyone has a port of their own"
    why = "below 1024, where ports are reserved" if uid < MIN_PORT else "above 65535, the largest port"
    return (
        f"port {port}: your UID {uid} is {why}, so greeter folds it into range (1024 + UID mod {_RANGE_SIZE}),"
        " the same port every time; choose another with `greeter PORT`"
    )


def parse_port(text: str, variable: str = "") -> int:
    """A port from the command line or the environment: 1024-65535, or 0 for any free port.

    `variable`: the environment variable it came from, named in the message (a student may have forgotten it)."""
    stripped = text.strip()
    source = f" (from {variable} in your environment)" if variable else ""
    # isdigit alone would accept non-ASCII digits, such as fullwidth ones
    if not (stripped.isascii() and stripped.isdigit()):
        raise PortError(
            f"port {text!r}{source} is not a number; give a whole number from 1024 to 65535, or 0 for any free port."
        )
    port = int(stripped)
    if port > MAX_PORT:
        raise PortError(
            f"port {port}{source} is above 65535, the largest port; give one from 1024 to 65535,"
            " or 0 for any free port."
        )
    if port != ANY_FREE_PORT and port < MIN_PORT:
        raise PortError(
            f"port {port}{source} is below 1024, where ports are reserved for the system; "
            "give one from 1024 to 65535, or 0 for any free port."
        )
    return port
