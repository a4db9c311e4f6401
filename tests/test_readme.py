"""The README's two commands are the ones that work: CI runs the test command verbatim."""

from __future__ import annotations

import re

from conftest import REPO_ROOT
from quart.typing import TestClientProtocol as Client  # renamed: pytest would collect a Test* class

README = (REPO_ROOT / "README.md").read_text()
CI_RUN = (REPO_ROOT / ".ci" / "run").read_text()


def readme_commands() -> list[str]:
    """The shell commands in the README's fenced `sh` blocks, in order."""
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)]


def test_two_commands_at_the_top() -> None:
    serve, test = readme_commands()[:2]
    assert README.index(serve) < README.index("## ")  # before the first section
    # editable: greeter serves the checkout a student edits, not a copy in site-packages (tests/test_reload.py)
    assert serve.endswith("greeter") and "pip install -e ." in serve
    assert test.endswith("pytest") and "[test]" in test


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = readme_commands()[1]
    assert test_command in CI_RUN.splitlines()


async def test_the_wait_body_is_quoted_as_sent(client: Client) -> None:
    body = await (await client.get("/wait/1")).get_data(as_text=True)
    assert body.endswith("\n")
    assert f"`{body.removesuffix(chr(10))}` and a newline" in README
