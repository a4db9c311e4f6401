"""Who holds a listening TCP port: its owner and, when it is one of ours, its processes. Linux's /proc; no framework.

/proc/net/tcp and tcp6 list every socket with its owner's UID and inode; the processes holding that inode are
found by greeter.shared.proc.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from greeter.shared.proc import PROC, command_name, processes_holding

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
            pids = processes_holding(int(fields[9]), proc)
            return PortHolder(int(fields[7]), pids, tuple(command_name(pid, proc) for pid in pids))
    return None
