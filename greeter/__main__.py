"""The `greeter` command's entry point, also `python -m greeter`: a Ctrl+C while Python is still loading greeter is
a quiet stop too (greeter/shared/stop_request.py), and a Python without greeter's packages (Debian's python3 in the
checkout, the venv not activated) is one sentence."""

from __future__ import annotations

import sys


def main() -> None:
    """Load the command line, then run it: click and greeter take a moment to import, and a Ctrl+C in that
    moment is remembered (not raised mid-import, where Python may lose it) and stops greeter before it serves."""
    try:
        from greeter.shared.stop_request import StopRequest

        StopRequest.catch()  # before anything heavy is imported: from here a stop is remembered, never lost
        from greeter.cli import main as run_command
    except KeyboardInterrupt:  # Python was still loading greeter's first module
        print("greeter: stopped.", file=sys.stderr)
        sys.exit(1)
    except ModuleNotFoundError as error:
        if error.name is None or error.name.partition(".")[0] == "greeter":
            raise  # greeter's own module missing is a broken checkout, not the wrong Python
        # `python3 -m greeter` in the checkout imports greeter from the current folder, whatever Python it is
        print(
            f"greeter: this Python ({sys.executable}) does not have greeter's packages (no module {error.name!r});"
            " run greeter with the venv's Python (`.venv/bin/python -m greeter`), or `source .venv/bin/activate`"
            " first.",
            file=sys.stderr,
        )
        sys.exit(1)
    run_command()


if __name__ == "__main__":
    main()
