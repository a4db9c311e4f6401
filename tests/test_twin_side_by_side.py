"""The Flask twin reads side by side with the Quart package: the same definitions, in the same order.

`diff greeter/process.py greeter/flask_twin/process.py` then shows only what async changes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO_ROOT

# definitions one side has and the other has not, each for a reason async (or ASGI) gives
# (greeter's --debug, the Quart app's alone, is in greeter/plumbing/debug_mode.py: guard.py only calls it)
ONLY_IN_QUART = {
    "process.py": {
        "process_stream": "the live stream: one event loop holds every viewer; Werkzeug would hold a thread each",
        "start_ticker": "before_serving: ASGI has a serving lifecycle, WSGI has none",
        "stop_ticker": "after_serving, the same",
        "begin_shutdown": "streams are told the server is going away; the twin has none",
    },
}
ONLY_IN_TWIN = {
    "__init__.py": {
        "__getattr__": "Flask's discovery asks for `app` with getattr; Hypercorn reads greeter's namespace instead,"
        " so greeter has `app = AppOnFirstUse(create_app)`",
    },
    "process.py": {
        "learn_server": "without a serving lifecycle, the twin learns its server from its first request",
    },
    "guard.py": {
        "add_security_headers": (
            "the twin's after_request hook; the Quart app's headers are encoded once and added where each answer "
            "starts, by its ASGI connection class (greeter/plumbing/asgi_connection.py), which WSGI has no "
            "counterpart of"
        ),
    },
}
MODULES = ["__init__.py", "views.py", "process.py", "guard.py"]
RENAMED = {"create_app": "create_flask_app"}  # the factories say which app they make


def definitions(path: Path) -> list[str]:
    """Every function and class a module defines, nested ones included, in source order."""
    nodes = [
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    return [node.name for node in sorted(nodes, key=lambda node: node.lineno)]


@pytest.mark.parametrize("module", MODULES)
def test_same_definitions_in_the_same_order(module: str) -> None:
    quart = [
        RENAMED.get(name, name)
        for name in definitions(REPO_ROOT / "greeter" / module)
        if name not in ONLY_IN_QUART.get(module, {})
    ]
    twin = definitions(REPO_ROOT / "greeter" / "flask_twin" / module)
    assert [name for name in twin if name not in ONLY_IN_TWIN.get(module, {})] == quart


@pytest.mark.parametrize("module", MODULES)
def test_the_exceptions_exist(module: str) -> None:
    """A name listed as one side's own must be there: a stale entry would hide a real difference."""
    assert set(ONLY_IN_QUART.get(module, {})) <= set(definitions(REPO_ROOT / "greeter" / module))
    assert set(ONLY_IN_TWIN.get(module, {})) <= set(definitions(REPO_ROOT / "greeter" / "flask_twin" / module))


def test_where_the_one_sided_hooks_stand() -> None:
    """The twin's learn_server stands where the Quart app's serving hooks do: last in init_app."""
    quart = definitions(REPO_ROOT / "greeter" / "process.py")
    twin = definitions(REPO_ROOT / "greeter" / "flask_twin" / "process.py")
    assert quart[quart.index("count_render") + 1] == "start_ticker"
    assert twin[twin.index("count_render") + 1] == "learn_server"
    assert twin[-1] == "learn_server"
