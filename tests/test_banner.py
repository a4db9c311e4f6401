"""The banner: where to browse, and the ssh -L line when the session came in over SSH."""

from __future__ import annotations

import dataclasses

from greeter.banner import Listening, banner_lines, url_for

LOCAL = Listening(
    host="127.0.0.1",
    port=6543,
    pid=4242,
    worker_class="asyncio",
    workers=1,
    server_name="tempest.example.edu",
    user="scott",
    ssh_connection=None,
)


def test_local_session() -> None:
    assert banner_lines(LOCAL) == [
        "greeter: pid 4242, 1 worker of class asyncio, Ctrl+C to stop",
        "  serving http://127.0.0.1:6543/",
    ]


def test_over_ssh_says_how_to_tunnel() -> None:
    lines = banner_lines(dataclasses.replace(LOCAL, ssh_connection="10.1.1.1 50000 10.2.2.2 22"))
    assert lines[-1] == (
        "  from your laptop: ssh -L 8080:localhost:6543 scott@tempest.example.edu and open http://localhost:8080/"
    )


def test_all_interfaces() -> None:
    lines = banner_lines(dataclasses.replace(LOCAL, host="0.0.0.0", workers=2))
    assert lines == [
        "greeter: pid 4242, 2 workers of class asyncio, Ctrl+C to stop",
        "  serving http://tempest.example.edu:6543/ on all interfaces",
        "  on this machine: http://127.0.0.1:6543/",
    ]


def test_tunnel_to_a_specific_address() -> None:
    facts = dataclasses.replace(LOCAL, host="::1", ssh_connection="a b c d")
    assert "ssh -L 8080:localhost:6543 " in banner_lines(facts)[-1]
    facts = dataclasses.replace(LOCAL, host="fd00::5", ssh_connection="a b c d")
    assert "ssh -L 8080:[fd00::5]:6543 " in banner_lines(facts)[-1]


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
