"""The one base class of the mistakes greeter answers in one sentence: each carries the command's exit status."""

from __future__ import annotations


class GreeterError(Exception):
    """What the person typed or set cannot be used (a bad port, setting or file): one sentence, exit status 2."""

    exit_status = 2


class Refused(GreeterError):
    """What the machine refused (a port in use, a server that would not start): one sentence, exit status 1."""

    exit_status = 1
