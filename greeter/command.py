"""The `greeter` command's entry point: a Ctrl+C while Python is still loading greeter is a quiet stop too."""

from __future__ import annotations

import sys


def main() -> None:
    """Load the command, then run it: Quart, Hypercorn and click take a moment to import, and a Ctrl+C in that
    moment would otherwise be a KeyboardInterrupt traceback."""
    try:
        from greeter.cli import main as run_command
    except KeyboardInterrupt:
        print("greeter: stopped.", file=sys.stderr)
        sys.exit(1)
    run_command()
