"""The command as the person ran it, so that a command greeter suggests can be pasted as it is printed."""

from __future__ import annotations

import os
import shutil
import sys


def invoked_command() -> str:
    """`greeter` when found on PATH, the path typed (`.venv/bin/greeter`) otherwise, `python -m greeter` for -m."""
    typed = sys.argv[0] if sys.argv else ""
    if typed.endswith("__main__.py"):  # how Python names the program for `python -m greeter`
        return "python -m greeter"
    # a shell runs a command it found on PATH by its full path: the bare name is what the person typed
    found = shutil.which(os.path.basename(typed)) if typed else None
    if not typed or (found is not None and os.path.exists(typed) and os.path.samefile(found, typed)):
        return "greeter"
    return typed


def as_invoked(message: str, command: str) -> str:
    """greeter's messages suggest `greeter ...`; here each says the command the person ran."""
    return message.replace("`greeter ", f"`{command} ")


def command_as_run(subcommand: str) -> str:
    """The command to suggest in messages: `greeter`, `.venv/bin/greeter twin`; `serve` is greeter's default."""
    return invoked_command() + ("" if subcommand == "serve" else f" {subcommand}")
