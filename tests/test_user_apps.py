"""A user's app, named as `flask --app` names one and imported from the current folder; every mistake one sentence."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import command_path
from flask import Flask
from quart import Quart

from greeter.tools.user_apps import UserAppError, load_flask_app, load_quart_app

FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n"
QUART_APP = "from quart import Quart\n\napp = Quart(__name__)\n"
numbers = itertools.count()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder; sys.path is put back afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return tmp_path


def module(folder: Path, text: str, name: str = "") -> str:
    """A module of its own name (a module once imported stays in sys.modules: each test writes a new one)."""
    name = name or f"user_app_{next(numbers)}"
    (folder / f"{name}.py").write_text(textwrap.dedent(text))
    return name


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        (FLASK_APP, "app"),
        ("from flask import Flask\n\napplication = Flask(__name__)\n", "application"),
        ("from flask import Flask\n\nmine = Flask(__name__)\n", "mine"),  # the module's only app
        ("from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n", "create_app()"),
        ("from flask import Flask\n\ndef make_app():\n    return Flask(__name__)\n", "make_app()"),
        # a variable first, as Flask looks: the factory is not called
        ("from flask import Flask\n\napp = Flask(__name__)\n\ndef create_app():\n    raise AssertionError\n", "app"),
    ],
)
def test_a_module_alone_is_found_as_flask_finds_it(folder: Path, text: str, expression: str) -> None:
    loaded = load_flask_app(module(folder, text))
    assert isinstance(loaded.app, Flask)
    assert loaded.expression == expression
    assert loaded.folder == folder.resolve()


def test_a_name_a_factory_and_its_arguments(folder: Path) -> None:
    name = module(
        folder,
        """
        from quart import Quart

        other = Quart("other")

        def create_app(mode="prod", *, debug=False):
            app = Quart(__name__)
            app.config.update(MODE=mode, DEBUG_ASKED=debug)
            return app
        """,
    )
    assert load_quart_app(f"{name}:other").app.name == "other"
    called = load_quart_app(f"{name}:create_app('dev', debug=True)")
    assert (called.app.config["MODE"], called.app.config["DEBUG_ASKED"]) == ("dev", True)
    assert called.expression == "create_app('dev', debug=True)"
    bare = load_quart_app(f"{name}:create_app")  # called, as Flask calls it
    assert bare.expression == "create_app()" and bare.app.config["MODE"] == "prod"
    # what the servers are given to load that same app
    assert bare.flask_app_option == f"{name}:create_app()"
    assert bare.hypercorn_application == f"{folder.resolve() / name}:create_app()"


def test_a_path_to_a_file_and_a_package(folder: Path) -> None:
    (folder / "site" / "shop").mkdir(parents=True)
    (folder / "site" / "shop" / "__init__.py").write_text("")
    (folder / "site" / "shop" / "web.py").write_text("from . import helpers\n" + QUART_APP)
    (folder / "site" / "shop" / "helpers.py").write_text("")
    loaded = load_quart_app("site/shop/web.py")
    # as `flask --app` imports it: the package's module, from the folder above the package
    assert (loaded.module, loaded.folder, loaded.expression) == ("shop.web", (folder / "site").resolve(), "app")
    assert loaded.hypercorn_application == f"{(folder / 'site').resolve() / 'shop.web'}:app"
    assert isinstance(loaded.app, Quart)


@pytest.mark.parametrize(
    ("text", "spec", "said"),
    [
        (FLASK_APP, "{m}x", "there is no module {m}x in {folder} (run greeter from the folder that holds it"),
        ("import no_such_library\n", "{m}", "importing {m} failed: ModuleNotFoundError: No module named"),
        ("x = 1 / 0\n", "{m}", "importing {m} raised ZeroDivisionError: division by zero ({m}.py, line 1)"),
        ("def f(:\n", "{m}", "{m} has a syntax error ({m}.py, line 1: invalid syntax)"),
        ("import sys\nsys.exit(3)\n", "{m}", "importing {m} raised SystemExit: 3 ({m}.py, line 2)"),
        (FLASK_APP, "{m}:nope", "{m} has no nope (it has app)"),
        (FLASK_APP, "{m}:app.name", "'app.name' is neither a name nor a call such as create_app()"),
        (FLASK_APP, "{m}:1", "'1' is neither a name nor a call such as create_app()"),
        ("x = 3\n", "{m}:x", "{m}:x is an int, not a Flask app"),
        (QUART_APP, "{m}", "{m} has no Flask app (no app or application, no create_app or make_app), but a Quart"),
        (QUART_APP, "{m}:app", "{m}:app is a Quart app, not a Flask app (for --quart)"),
        (
            "from flask import Flask\n\na = Flask('a')\nb = Flask('b')\n",
            "{m}",
            "{m} has several Flask apps (a, b); name one",
        ),
        ("def create_app():\n    return None\n", "{m}", "{m}:create_app() is None, not a Flask app"),
        ("def create_app(x):\n    return x\n", "{m}", "create_app() cannot be called so: create_app() missing 1"),
        ("def create_app():\n    raise KeyError('SECRET')\n", "{m}", "calling create_app() raised KeyError: 'SECRET'"),
        ("def create_app(x):\n    return x\n", "{m}:create_app(y)", "the arguments of create_app() must be literals"),
        (FLASK_APP, "", "--flask needs MODULE:APP, such as --flask app:app or --flask 'app:create_app()'"),
    ],
)
def test_every_mistake_is_one_sentence(folder: Path, text: str, spec: str, said: str) -> None:
    name = module(folder, text)
    spec = spec.format(m=name)
    with pytest.raises(UserAppError) as raised:
        load_flask_app(spec)
    message = str(raised.value)
    assert message.startswith(f"--flask {spec}: " if spec else "--flask needs")
    assert said.format(m=name, folder=folder.resolve()) in message
    assert "\n" not in message and message.endswith(".") and raised.value.exit_status == 2


def test_the_command_says_it_without_a_traceback(folder: Path) -> None:
    name = module(folder, "from flask import Flask\n\ndef create_app():\n    return Flask(__name__).nope\n")
    done = subprocess.run(
        [command_path("greeter"), "compare", "--flask", name, "--quart", name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"greeter: --flask {name}: calling create_app() raised AttributeError: 'Flask' object has no attribute"
        f" 'nope' ({name}.py, line 4).\n"
    )


def test_both_apps_or_neither(folder: Path) -> None:
    done = subprocess.run(
        [command_path("greeter"), "compare", "--quart", "anything"], cwd=folder, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "greeter: --quart needs --flask too: give both (--flask MODULE:APP --quart MODULE:APP), or neither to"
        " compare greeter's own two apps.\n"
    )
