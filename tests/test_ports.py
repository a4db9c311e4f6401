"""The port rules: the UID when it is a usable port, a fixed fold otherwise, explicit ports checked."""

from __future__ import annotations

import pytest

from greeter.ports import PortError, parse_port, port_for_uid, uid_port_note


@pytest.mark.parametrize("uid", [1024, 1942, 6543, 65535])
def test_usable_uid_is_the_port(uid: int) -> None:
    assert port_for_uid(uid) == uid
    assert uid_port_note(uid) is None


@pytest.mark.parametrize(
    ("uid", "port"),
    [(0, 1024), (1, 1025), (999, 2023), (1023, 2047), (65536, 2048), (1_000_000, 1024 + 1_000_000 % 64512)],
)
def test_unusable_uid_folds_into_range(uid: int, port: int) -> None:
    assert port_for_uid(uid) == port
    note = uid_port_note(uid)
    assert note is not None and f"UID {uid}" in note and str(port) in note and "\n" not in note


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


@pytest.mark.parametrize("text", ["1", "80", "1023", "65536", "99999999999999999999"])
def test_out_of_range(text: str) -> None:
    with pytest.raises(PortError, match="outside 1024-65535"):
        parse_port(text)
