"""What `greeter` prints when it starts serving: where to browse, why this port, and how to get there over SSH."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from greeter.server.invoked import as_invoked
from greeter.server.machine_addresses import addresses_of, is_loopback, is_reachable_address, own_addresses
from greeter.server.ports import port_reason

if TYPE_CHECKING:
    from greeter.server.unix_socket import UnixListener

ALL_INTERFACES = {"0.0.0.0", "::", ""}
# a laptop's browser reaches the tunnel here; 8080 is the usual choice (any free port on the laptop works)
LAPTOP_PORT = 8080
# over SSH with no name or address others can use (SSH came in on loopback, the host name resolves only to
# loopback): the tunnel's shape all the same, and where its missing word comes from
UNKNOWN_NAME = "<this server's name>"
NO_NAME_KNOWN = (
    "(this machine knows no address of its own that others can use: put the name you give ssh to log in here;"
    " docs/students.md says where to find it)"
)


@dataclass(frozen=True)
class Listening:
    """The facts the banner is made of."""

    host: str
    port: int
    pid: int
    how: str  # "2 workers of class uvloop": what serves
    port_reason: str  # ports.port_reason: the UID, the fold, the port asked for, or any free one
    reachable_name: str | None  # this machine as others reach it (reachable_name()); None when unknown
    user: str
    ssh_connection: str | None  # $SSH_CONNECTION: set when the session came in over SSH
    debug: bool = False
    scheme: str = "http"  # https with --certfile/--keyfile
    unix_socket: str | None = None  # with --socket: the socket's path, and the group that may connect too
    socket_group: str = ""
    # with no name to give (reachable_name is None): this machine's own addresses, if they could be read
    other_addresses: tuple[str, ...] = ()


def listening_facts(
    sock: socket.socket,
    host: str,
    asked: int | None,
    how: str,
    *,
    command: str,
    debug: bool,
    scheme: str = "http",
    unix_listener: UnixListener | None = None,
) -> Listening:
    """The banner's facts, from the socket as it listens. command: as the person ran it, for what it suggests."""
    ssh_connection = os.environ.get("SSH_CONNECTION")
    port = sock.getsockname()[1] if unix_listener is None else 0
    host_name = socket.gethostname()
    name = reachable_name(ssh_connection, host_name, addresses_of(host_name))
    # asked only when the banner needs them: serving on all interfaces, with no name others can use
    others = own_addresses(ipv6=host != "0.0.0.0") if name is None and host in ALL_INTERFACES else []
    return Listening(
        host=host,
        port=port,
        pid=os.getpid(),
        how=how,
        port_reason=as_invoked(port_reason(os.getuid(), asked, port), command),
        reachable_name=name,
        user=getpass.getuser(),
        ssh_connection=ssh_connection,
        debug=debug,
        scheme=scheme,
        unix_socket=str(unix_listener.path) if unix_listener is not None else None,
        socket_group=unix_listener.group if unix_listener is not None else "",
        other_addresses=tuple(others),
    )


def url_for(host: str, port: int, scheme: str = "http") -> str:
    """The URL of a host and port, IPv6 addresses in brackets."""
    return f"{scheme}://[{host}]:{port}/" if ":" in host else f"{scheme}://{host}:{port}/"


def reachable_name(ssh_connection: str | None, host_name: str, name_addresses: Sequence[str]) -> str | None:
    """This machine as a student's laptop reaches it: the address their SSH session came in on, else the host
    name if it resolves (`name_addresses`) to an address others can use; never a loopback name (getfqdn() says
    `localhost` on many machines, and Debian's /etc/hosts gives the host name 127.0.1.1)."""
    fields = (ssh_connection or "").split()
    # SSH_CONNECTION is "client-address client-port server-address server-port"
    ssh_server = fields[2].partition("%")[0] if len(fields) == 4 else ""
    if ssh_server and not is_loopback(ssh_server):
        return ssh_server
    if host_name and not is_loopback(host_name) and any(map(is_reachable_address, name_addresses)):
        return host_name
    return None


def tunnel_target(host: str) -> str:
    """Where sshd, on this machine, connects the tunnel's far end: the listening address, or loopback for all."""
    target = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    # quoted: zsh, the shell of many a laptop, would take [::1] for a pattern of file names
    return f"'[{target}]'" if ":" in target else target


def banner_lines(facts: Listening, name: str = "greeter") -> list[str]:
    """The lines printed once the socket is listening."""
    lines = [f"{name}: pid {facts.pid}, {facts.how}, Ctrl+C to stop"]
    if facts.unix_socket is not None:
        # reached through the web server: no URL of its own, no tunnel
        lines.append(f"  serving unix:{facts.unix_socket} (only you and group {facts.socket_group} can connect)")
        return lines
    if facts.host in ALL_INTERFACES:
        loopback = "::1" if facts.host == "::" else "127.0.0.1"
        lines.append(f"  serving {url_for(loopback, facts.port, facts.scheme)} on this machine, and on all interfaces")
        names = [facts.reachable_name] if facts.reachable_name is not None else facts.other_addresses
        if names:
            elsewhere = " or ".join(url_for(name, facts.port, facts.scheme) for name in names)
            lines.append(f"  from other machines (over the VPN, say): {elsewhere}")
        else:
            lines.append(f"  from other machines: this machine's address (see `hostname -I`), port {facts.port}")
    else:
        lines.append(f"  serving {url_for(facts.host, facts.port, facts.scheme)}")
    lines.append(f"  {facts.port_reason}")
    if facts.debug:
        # as `flask run --debug` says it: a student must not leave it on by accident
        lines.append("  debug mode: on (tracebacks in the browser, templates reread when they change)")
    if facts.ssh_connection:
        # the command alone on its line: pasting the whole line must work
        lines.append(
            f"  from your laptop: ssh -L {LAPTOP_PORT}:{tunnel_target(facts.host)}:{facts.port}"
            f" {facts.user}@{facts.reachable_name or UNKNOWN_NAME}"
        )
        if facts.reachable_name is None:
            lines.append(f"    {NO_NAME_KNOWN}")
        lines.append(f"  then open {facts.scheme}://localhost:{LAPTOP_PORT}/")
    return lines
