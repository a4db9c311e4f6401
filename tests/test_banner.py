"""The banner: where to browse, why this port, debug mode, and the ssh -L line when the session came in over SSH."""

from __future__ import annotations

import dataclasses

import pytest

from greeter.banner import Listening, banner_lines, reachable_name, url_for

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
    assert banner_lines(OVER_SSH)[-1] == (
        "  from your laptop: ssh -L 8080:127.0.0.1:6543 scott@10.2.2.2 and open http://localhost:8080/"
    )


@pytest.mark.parametrize(
    ("ssh_connection", "host_name", "name"),
    [
        ("10.1.1.1 50000 10.2.2.2 22", "localhost", "10.2.2.2"),  # getfqdn() says localhost on many machines
        ("10.1.1.1 50000 10.2.2.2 22", "tempest", "10.2.2.2"),  # what the student's ssh reached, for sure
        ("fe80::1 50000 fe80::2%eth0 22", "tempest", "fe80::2"),
        ("::1 50000 ::1 22", "tempest", "tempest"),  # an SSH session from this machine itself
        (None, "tempest", "tempest"),
        (None, "localhost", None),
        (None, "localhost.localdomain", None),
        ("garbage", "127.0.0.1", None),
    ],
)
def test_the_machine_is_never_named_localhost(ssh_connection: str | None, host_name: str, name: str | None) -> None:
    assert reachable_name(ssh_connection, host_name) == name


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
    assert lines[2] == "  from other machines: this machine's address, port 6543"
    assert not any("localhost" in line for line in lines)


def test_tunnel_to_a_specific_address() -> None:
    assert "ssh -L 8080:[::1]:6543 " in banner_lines(dataclasses.replace(OVER_SSH, host="::1"))[-1]
    assert "ssh -L 8080:[fd00::5]:6543 " in banner_lines(dataclasses.replace(OVER_SSH, host="fd00::5"))[-1]
    assert "ssh -L 8080:127.0.0.1:6543 " in banner_lines(dataclasses.replace(OVER_SSH, host="0.0.0.0"))[-1]


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
