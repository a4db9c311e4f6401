"""The banner: where to browse, why this port, debug mode, and the ssh -L line when the session came in over SSH."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import DOCS

from greeter.server.banner import Listening, banner_lines, reachable_name, url_for
from greeter.server.machine_addresses import addresses_from_ip_output

UID_PORT = "port 6543 is your UID, as the course asks: on a shared server, everyone has a port of their own"
LOCAL = Listening(
    host="127.0.0.1",
    port=6543,
    pid=4242,
    how="1 worker of class asyncio",
    port_reason=UID_PORT,
    reachable_name="tempest",
    user="scott",
    ssh_connection=None,
)
OVER_SSH = dataclasses.replace(LOCAL, ssh_connection="10.1.1.1 50000 10.2.2.2 22", reachable_name="10.2.2.2")


def test_local_session() -> None:
    assert banner_lines(LOCAL) == [
        "greeter: pid 4242, 1 worker of class asyncio, Ctrl+C to stop",
        "  serving http://127.0.0.1:6543/",
        f"  {UID_PORT}",
    ]


def test_debug_mode_is_said() -> None:
    lines = banner_lines(dataclasses.replace(LOCAL, debug=True))
    assert lines[-1] == "  debug mode: on (tracebacks in the browser, templates reread when they change)"
    assert not any("debug" in line for line in banner_lines(LOCAL))


def test_over_ssh_the_tunnel_names_the_address_the_session_came_in_on() -> None:
    # the command alone on its line, so that pasting the whole line works; the URL on the next
    assert banner_lines(OVER_SSH)[-2:] == [
        "  from your laptop: ssh -L 8080:127.0.0.1:6543 scott@10.2.2.2",
        "  then open http://localhost:8080/",
    ]


def test_over_ssh_with_no_address_others_can_use_the_tunnel_is_there_with_a_placeholder() -> None:
    # SSH_CONNECTION names 127.0.0.1 (a jump host, a port forwarded to this machine's sshd, a container), and the
    # host name resolves only to loopback: no name to give, but the student still needs the shape of the command
    loopback_only = dataclasses.replace(
        LOCAL, ssh_connection="127.0.0.1 50000 127.0.0.1 22", reachable_name=None, user="kim", port=7311
    )
    assert reachable_name(loopback_only.ssh_connection, "vm", ["127.0.0.1"]) is None
    tunnel = banner_lines(loopback_only)[-3:]
    assert tunnel == [
        "  from your laptop: ssh -L 8080:127.0.0.1:7311 kim@<this server's name>",
        "    (this machine knows no address of its own that others can use: put the name you give ssh to log in"
        " here; docs/students.md says where to find it)",
        "  then open http://localhost:8080/",
    ]
    assert "\n".join(tunnel) in (DOCS / "students.md").read_text()  # quoted there as printed


def test_without_ssh_there_is_no_tunnel_line() -> None:
    assert not any("ssh" in line for line in banner_lines(dataclasses.replace(LOCAL, reachable_name=None)))


@pytest.mark.parametrize(
    ("ssh_connection", "host_name", "name_addresses", "name"),
    [
        ("10.1.1.1 50000 10.2.2.2 22", "localhost", ["127.0.0.1"], "10.2.2.2"),  # getfqdn() says localhost often
        ("10.1.1.1 50000 10.2.2.2 22", "tempest", ["10.2.2.2"], "10.2.2.2"),  # what the student's ssh reached
        ("fe80::1 50000 fe80::2%eth0 22", "tempest", ["10.2.2.2"], "fe80::2"),
        ("::1 50000 ::1 22", "tempest", ["10.2.2.2"], "tempest"),  # an SSH session from this machine itself
        (None, "tempest", ["10.2.2.2"], "tempest"),
        (None, "tempest", ["127.0.1.1"], None),  # a name only this machine resolves (Debian's /etc/hosts)
        (None, "tempest", ["127.0.0.1", "::1"], None),
        (None, "tempest", [], None),  # a name that does not resolve at all
        (None, "localhost", ["127.0.0.1"], None),
        (None, "localhost.localdomain", ["127.0.0.1"], None),
        ("garbage", "127.0.0.1", ["127.0.0.1"], None),
    ],
)
def test_the_machine_is_never_named_by_a_loopback_name(
    ssh_connection: str | None, host_name: str, name_addresses: list[str], name: str | None
) -> None:
    assert reachable_name(ssh_connection, host_name, name_addresses) == name


def test_all_interfaces() -> None:
    lines = banner_lines(dataclasses.replace(LOCAL, host="0.0.0.0", how="2 workers of class asyncio"))
    assert lines == [
        "greeter: pid 4242, 2 workers of class asyncio, Ctrl+C to stop",
        "  serving http://127.0.0.1:6543/ on this machine, and on all interfaces",
        "  from other machines (over the VPN, say): http://tempest:6543/",
        f"  {UID_PORT}",
    ]


def test_all_interfaces_when_no_name_is_known_says_so_rather_than_localhost() -> None:
    lines = banner_lines(dataclasses.replace(LOCAL, host="0.0.0.0", reachable_name=None))
    assert lines[2] == "  from other machines: this machine's address (see `hostname -I`), port 6543"
    assert not any("localhost" in line for line in lines)


def test_all_interfaces_with_no_usable_name_lists_the_machines_addresses() -> None:
    listening = dataclasses.replace(LOCAL, host="0.0.0.0", reachable_name=None, other_addresses=("192.0.2.2",))
    assert banner_lines(listening)[2] == "  from other machines (over the VPN, say): http://192.0.2.2:6543/"
    both = dataclasses.replace(listening, host="::", other_addresses=("192.0.2.2", "fd00::2"))
    assert banner_lines(both)[2] == (
        "  from other machines (over the VPN, say): http://192.0.2.2:6543/ or http://[fd00::2]:6543/"
    )


def test_the_machines_addresses_are_read_from_ip_without_loopback_or_link_local() -> None:
    output = (
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
        "1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever\n"
        "4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever\n"
        "4: eth0    inet6 fd00::2/64 scope global nodad \\       valid_lft forever preferred_lft forever\n"
        "4: eth0    inet6 fe80::fc:ff:fe00:1/64 scope link \\       valid_lft forever preferred_lft forever\n"
    )
    assert addresses_from_ip_output(output, ipv6=True) == ["192.0.2.2", "fd00::2"]
    assert addresses_from_ip_output(output, ipv6=False) == ["192.0.2.2"]  # 0.0.0.0 serves IPv4 only
    assert addresses_from_ip_output("", ipv6=True) == []


def test_tunnel_to_a_specific_address() -> None:
    # quoted: zsh, a student's shell on macOS, would take [::1] for a pattern of file names
    assert "ssh -L 8080:'[::1]':6543 " in banner_lines(dataclasses.replace(OVER_SSH, host="::1"))[-2] + " "
    assert "ssh -L 8080:'[fd00::5]':6543 " in banner_lines(dataclasses.replace(OVER_SSH, host="fd00::5"))[-2] + " "
    assert "ssh -L 8080:127.0.0.1:6543 " in banner_lines(dataclasses.replace(OVER_SSH, host="0.0.0.0"))[-2] + " "


def test_one_ctrl_c() -> None:
    assert sum(line.count("Ctrl+C") for line in banner_lines(dataclasses.replace(OVER_SSH, debug=True))) == 1


def test_url_for_brackets_ipv6() -> None:
    assert url_for("::1", 80) == "http://[::1]:80/"
    assert url_for("127.0.0.1", 80) == "http://127.0.0.1:80/"


def test_on_a_unix_socket_it_says_where_and_who_can_connect() -> None:
    on_socket = dataclasses.replace(
        LOCAL,
        ssh_connection="10.1.1.1 50000 10.2.2.2 22",  # no tunnel to offer: the web server is the way in
        unix_socket="/srv/greeter-sockets/scott/greeter.sock",
        socket_group="www-data",
    )
    assert banner_lines(on_socket) == [
        "greeter: pid 4242, 1 worker of class asyncio, Ctrl+C to stop",
        "  serving unix:/srv/greeter-sockets/scott/greeter.sock (only you and group www-data can connect)",
    ]
