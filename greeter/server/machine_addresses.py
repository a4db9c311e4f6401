"""This machine's addresses as other machines reach it, found without sending a single packet."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess

IP_TIMEOUT = 2.0
# names that mean this machine only: never the name to reach it by from elsewhere
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback(name: str) -> bool:
    """Whether a name or address means this machine only (localhost, 127.0.0.0/8, ::1): no one else reaches it."""
    if name.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name: it may resolve to an address others reach
        return False


def addresses_of(name: str) -> list[str]:
    """What a name resolves to here (from /etc/hosts or DNS); none when it does not resolve."""
    try:
        found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(str(address[4][0]).partition("%")[0] for address in found))


def own_addresses(*, ipv6: bool) -> list[str]:
    """The addresses of this machine's interfaces that other machines may reach, as `ip -o addr` lists them."""
    ip = shutil.which("ip")
    if ip is None:
        return []
    try:
        listed = subprocess.run(
            [ip, "-o", "addr", "show"], capture_output=True, text=True, timeout=IP_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return addresses_from_ip_output(listed.stdout, ipv6=ipv6)


def addresses_from_ip_output(output: str, *, ipv6: bool) -> list[str]:
    """The reachable addresses in `ip -o addr` output ("4: eth0    inet 192.0.2.2/24 ..."), IPv4 first."""
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for fields in (line.split() for line in output.splitlines()):
        if len(fields) < 4 or fields[2] not in ("inet", "inet6") or (fields[2] == "inet6" and not ipv6):
            continue
        try:
            address = ipaddress.ip_interface(fields[3]).ip
        except ValueError:
            continue
        # loopback is this machine only; a link-local address needs the laptop's interface name to be used
        if not (address.is_loopback or address.is_link_local or address in found):
            found.append(address)
    return [str(address) for address in sorted(found, key=lambda address: address.version)]


def is_reachable_address(address: str) -> bool:
    """Whether an address (not a name) is one another machine could use: not loopback (127.0.1.1 included)."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return not is_loopback(address)
