"""The limit on open files: each connection, and each live stream, is one. No framework here."""

from __future__ import annotations

import resource


def allow_many_connections() -> None:
    """Raise the soft limit on open files to the hard one (a server's streams, or the bench's viewers)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
