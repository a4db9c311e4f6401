"""The port rules: the UID when it is a usable port, a fixed fold otherwise, explicit ports checked."""

from __future__ import annotations

import pytest

from greeter.server.ports import PortError, parse_port, port_for_uid, port_reason


@pytest.mark.parametrize("uid", [1024, 1942, 6543, 65535])
def test_usable_uid_is_the_port(uid: int) -> None:
    assert port_for_uid(uid) == uid
    assert port_reason(uid, None, uid) == (
        f"port {uid} is your UID, as the course asks: on a shared server, everyone has a port of their own"
    )


@pytest.mark.parametrize(
    ("uid", "port"),
    [(0, 1024), (1, 1025), (999, 2023), (1023, 2047), (65536, 2048), (1_000_000, 1024 + 1_000_000 % 64512)],
)
def test_unusable_uid_folds_into_range(uid: int, port: int) -> None:
    assert port_for_uid(uid) == port
    reason = port_reason(uid, None, port)
    assert f"your UID {uid} is" in reason and f"port {port}:" in reason and "\n" not in reason


def test_the_reason_for_a_port_asked_for() -> None:
    assert port_reason(6543, 8080, 8080) == "port 8080, as you asked (your own port, from your UID, is 6543)"
    assert port_reason(6543, 6543, 6543).startswith("port 6543 is your UID")
    assert port_reason(6543, 0, 41234) == (
        "port 41234 is a free port the system chose, as you asked with 0 (your own port is 6543)"
    )


def test_every_uid_gives_a_usable_port() -> None:
    for uid in [*range(0, 70_000, 7), 2**31 - 1, 2**32 - 2]:
        assert 1024 <= port_for_uid(uid) <= 65535


@pytest.mark.parametrize(
    ("text", "port"), [("8080", 8080), ("0", 0), ("1024", 1024), ("65535", 65535), (" 5000 ", 5000)]
)
def test_parse_port(text: str, port: int) -> None:
    assert parse_port(text) == port


@pytest.mark.parametrize("text", ["", "abc", "80.5", "-1", "+8080", "0x1f90", "\uff18\uff10\uff18\uff10", "8080abc"])
def test_not_a_number(text: str) -> None:
    with pytest.raises(PortError, match="is not a number"):
        parse_port(text)


@pytest.mark.parametrize("text", ["1", "80", "1023"])
def test_reserved(text: str) -> None:
    with pytest.raises(PortError, match=f"^port {text} is below 1024, where ports are reserved for the system;"):
        parse_port(text)


@pytest.mark.parametrize("text", ["65536", "70000", "99999999999999999999"])
def test_above_the_largest_port(text: str) -> None:
    with pytest.raises(PortError, match=f"^port {text} is above 65535, the largest port;"):
        parse_port(text)
