"""Who holds a listening TCP port: its owner and, when it is one of ours, its processes. Linux's /proc; no framework.

/proc/net/tcp and tcp6 list every socket with its owner's UID and inode; /proc/<pid>/fd links name the inodes
each process holds, and only a process of our own (or everyone's, for root) can be read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LISTEN_STATE = "0A"


@dataclass(frozen=True)
class PortHolder:
    uid: int
    pids: tuple[int, ...]  # the processes holding the socket that we may see: our own
    names: tuple[str, ...]  # their command names, as ps shows them


def port_holder(port: int, proc: Path = PROC) -> PortHolder | None:
    """The owner of a socket listening on the port (any address), or None if /proc does not say."""
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
            fields = line.split()
            if len(fields) < 10 or fields[3] != LISTEN_STATE or int(fields[1].rpartition(":")[2], 16) != port:
                continue
            pids = _processes_holding(int(fields[9]), proc)
            return PortHolder(int(fields[7]), pids, tuple(_command_name(pid, proc) for pid in pids))
    return None


def _processes_holding(inode: int, proc: Path) -> tuple[int, ...]:
    link = f"socket:[{inode}]"
    holders = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == link for fd in (entry / "fd").iterdir()):
                holders.append(int(entry.name))
        except OSError:  # another user's process, or one that just ended
            continue
    return tuple(sorted(holders))


def _command_name(pid: int, proc: Path) -> str:
    try:
        return (proc / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"
