"""What `greeter` prints when it starts serving: where to browse, and how to get there over SSH."""

from __future__ import annotations

from dataclasses import dataclass

ALL_INTERFACES = {"0.0.0.0", "::", ""}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# a laptop's browser reaches the tunnel here; 8080 is the usual choice (any free port on the laptop works)
LAPTOP_PORT = 8080


@dataclass(frozen=True)
class Listening:
    """The facts the banner is made of."""

    host: str
    port: int
    pid: int
    worker_class: str
    workers: int
    server_name: str  # this machine's name, for URLs reachable from elsewhere
    user: str
    ssh_connection: str | None  # $SSH_CONNECTION: set when the session came in over SSH
    scheme: str = "http"  # https with --certfile/--keyfile
    unix_socket: str | None = None  # with --socket: the socket's path, and the group that may connect too
    socket_group: str = ""


def url_for(host: str, port: int, scheme: str = "http") -> str:
    """The URL of a host and port, IPv6 addresses in brackets."""
    return f"{scheme}://[{host}]:{port}/" if ":" in host else f"{scheme}://{host}:{port}/"


def banner_lines(facts: Listening) -> list[str]:
    """The lines printed once the socket is listening."""
    workers = "1 worker" if facts.workers == 1 else f"{facts.workers} workers"
    lines = [f"greeter: pid {facts.pid}, {workers} of class {facts.worker_class}, Ctrl+C to stop"]
    if facts.unix_socket is not None:
        # reached through the web server: no URL of its own, no tunnel
        lines.append(f"  serving unix:{facts.unix_socket} (only you and group {facts.socket_group} can connect)")
        return lines
    if facts.host in ALL_INTERFACES:
        lines.append(f"  serving {url_for(facts.server_name, facts.port, facts.scheme)} on all interfaces")
        lines.append(f"  on this machine: {url_for('127.0.0.1', facts.port, facts.scheme)}")
    else:
        lines.append(f"  serving {url_for(facts.host, facts.port, facts.scheme)}")
    if facts.ssh_connection:
        # sshd opens the tunnel's far end on this machine, so loopback reaches a loopback-only server
        target = "localhost" if facts.host in ALL_INTERFACES | LOOPBACK else facts.host
        target = f"[{target}]" if ":" in target else target
        lines.append(
            f"  from your laptop: ssh -L {LAPTOP_PORT}:{target}:{facts.port} {facts.user}@{facts.server_name}"
            f" and open {facts.scheme}://localhost:{LAPTOP_PORT}/"
        )
    return lines
