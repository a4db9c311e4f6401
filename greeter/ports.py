"""Which port to serve on: the user's UID, an explicit choice, or any free port. Pure functions."""

from __future__ import annotations

MIN_PORT = 1024  # ports below this are reserved for the system
MAX_PORT = 65535
ANY_FREE_PORT = 0
_RANGE_SIZE = MAX_PORT - MIN_PORT + 1


class PortError(ValueError):
    """A port that cannot be used; the message is one sentence for a person."""


def port_for_uid(uid: int) -> int:
    """The user's own port: the UID itself when it is a usable port, else the UID folded into range."""
    if MIN_PORT <= uid <= MAX_PORT:
        return uid
    # root, system accounts and large directory-service UIDs: a fixed rule, so the port is the same every day
    return MIN_PORT + uid % _RANGE_SIZE


def uid_port_note(uid: int) -> str | None:
    """One line saying why the port is not the UID, or None when it is."""
    if MIN_PORT <= uid <= MAX_PORT:
        return None
    why = "below 1024, where ports are reserved" if uid < MIN_PORT else "above 65535, the largest port"
    return (
        f"your UID {uid} is {why}, so greeter serves on {port_for_uid(uid)} "
        f"(1024 + UID mod {_RANGE_SIZE}); choose another with `greeter PORT`"
    )


def parse_port(text: str) -> int:
    """A port from the command line or the environment: 1024-65535, or 0 for any free port."""
    stripped = text.strip()
    # isdigit alone would accept non-ASCII digits, such as fullwidth ones
    if not (stripped.isascii() and stripped.isdigit()):
        raise PortError(
            f"port {text!r} is not a number; give a whole number from 1024 to 65535, or 0 for any free port"
        )
    port = int(stripped)
    if port != ANY_FREE_PORT and not MIN_PORT <= port <= MAX_PORT:
        raise PortError(
            f"port {port} is outside 1024-65535 (ports below 1024 are reserved for the system); "
            "give one in that range, or 0 for any free port"
        )
    return port
