"""The checks on /wait/<seconds>: plain decimals from 0 to the maximum, one-line reasons otherwise."""

from __future__ import annotations

import pytest

from greeter.shared.wait_time import WaitError, parse_wait_seconds


@pytest.mark.parametrize(
    ("text", "seconds"), [("1", 1.0), ("0.5", 0.5), ("2.25", 2.25), ("0", 0.0), ("10", 10.0), ("-0", 0.0)]
)
def test_accepted(text: str, seconds: float) -> None:
    assert parse_wait_seconds(text, maximum=10) == seconds


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "'abc' is not a number of seconds"),
        ("1e1", "is not a number of seconds"),
        ("1_0", "is not a number of seconds"),
        (" 1", "is not a number of seconds"),
        ("\u0661", "is not a number of seconds"),  # ARABIC-INDIC DIGIT ONE: float() would take it
        (".5", "is not a number of seconds"),
        ("1.", "is not a number of seconds"),
        ("", "is not a number of seconds"),
        ("9" * 3000, "is not a number of seconds"),
        ("nan", "nan is not a finite number"),
        ("-inf", "-inf is not a finite number"),
        ("Infinity", "Infinity is not a finite number"),
        ("-1", "-1 is negative"),
        ("-0.5", "-0.5 is negative"),
        ("10.001", "10.001 seconds is over the maximum of 10"),
        ("99999", "99999 seconds is over the maximum of 10"),
    ],
)
def test_refused_with_one_line(text: str, reason: str) -> None:
    with pytest.raises(WaitError, match=reason) as raised:
        parse_wait_seconds(text, maximum=10)
    assert "\n" not in str(raised.value)
    assert len(str(raised.value)) < 200
    assert str(raised.value).endswith("."), "the 400's text is a sentence, ended as one"
