"""A user's own Flask or Quart app, named as `flask --app` names one, and imported from the current folder.

`MODULE:NAME` (a variable), `MODULE:create_app()` or `MODULE:create_app("dev", debug=True)` (a factory, called
with literal arguments), or `MODULE` alone, which finds the app as Flask does: a variable `app` or `application`,
else the module's only app, else a factory `create_app` or `make_app` called with no argument. MODULE is a dotted
name or a path to a .py file. `greeter compare --flask/--quart` loads them here (and `greeter bench` will); every
mistake is one sentence, never a traceback.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar

from flask import Flask
from quart import Quart

from greeter.shared.errors import GreeterError

AppT = TypeVar("AppT", Flask, Quart)
NAMES = ("app", "application")  # looked for first, as Flask does
FACTORIES = ("create_app", "make_app")


class UserAppError(GreeterError):
    """An app that cannot be loaded, or is not the kind asked for: one sentence, exit status 2."""


@dataclass(frozen=True)
class UserApp(Generic[AppT]):
    """A loaded app and how to name it again for a server started elsewhere (`flask --app`, `hypercorn`)."""

    spec: str  # as the person gave it
    path: str  # the module part of spec: a dotted name or a file's path
    module: str  # the module imported
    folder: Path  # the folder it was imported from (put first on sys.path, as Flask does)
    expression: str  # what names the app in the module: `app`, `create_app()`, found or as given
    app: AppT

    @property
    def flask_app_option(self) -> str:
        """What `flask --app` is given to load this same app."""
        return f"{self.path}:{self.expression}"

    @property
    def hypercorn_application(self) -> str:
        """What `hypercorn` is given to load this same app: its own loader imports the last part of a path from the
        path's folder, so it is given the module's name in the folder it was imported from."""
        return f"{self.folder / self.module}:{self.expression}"

    @property
    def shown(self) -> str:
        """`flask_app:create_app()`: the module and what names the app, found or given."""
        return f"{self.module}:{self.expression}"


def load_flask_app(spec: str, option: str = "--flask") -> UserApp[Flask]:
    return load_user_app(spec, Flask, option)


def load_quart_app(spec: str, option: str = "--quart") -> UserApp[Quart]:
    return load_user_app(spec, Quart, option)


def load_user_app(spec: str, framework: type[AppT], option: str) -> UserApp[AppT]:
    """Import the module from the current folder and find the app in it; UserAppError says what went wrong."""
    path, expression = [*re.split(r":(?![\\/])", spec.strip(), maxsplit=1), ""][:2]
    if not path:
        raise UserAppError(f"{option} needs MODULE:APP, such as {option} app:app or {option} 'app:create_app()'.")
    where = f"{option} {spec}"
    module_name, folder = import_name(path)
    module = _import(module_name, folder, where)
    if expression.strip():
        named, app = _by_expression(module, expression.strip(), framework, where, folder)
        return UserApp(spec, path, module_name, folder, named, app)
    found, app = _discover(module, framework, where, folder)
    return UserApp(spec, path, module_name, folder, found, app)


def import_name(path: str) -> tuple[str, Path]:
    """The module a path names and the folder to import it from, as `flask --app` computes them (its
    prepare_import): a .py file or a dotted name, relative to the current folder, packages walked up."""
    full = os.path.realpath(path)
    stem, extension = os.path.splitext(full)
    if extension == ".py":
        full = stem
    if os.path.basename(full) == "__init__":
        full = os.path.dirname(full)
    names = []
    while True:
        full, name = os.path.split(full)
        names.append(name)
        if not os.path.exists(os.path.join(full, "__init__.py")):
            break
    return ".".join(reversed(names)), Path(full)


def _import(module_name: str, folder: Path, where: str) -> ModuleType:
    if sys.path[0] != str(folder):
        sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and (module_name == error.name or module_name.startswith(f"{error.name}.")):
            raise UserAppError(
                f"{where}: there is no module {module_name} in {folder} (run greeter from the folder that holds it:"
                " it imports from the current folder, as flask --app does)."
            ) from None
        raise UserAppError(f"{where}: importing {module_name} failed: {_said(error, folder)}.") from None
    except SyntaxError as error:
        line = f", line {error.lineno}" if error.lineno else ""
        raise UserAppError(
            f"{where}: {module_name} has a syntax error ({Path(error.filename or '?').name}{line}: {error.msg})."
        ) from None
    except (Exception, SystemExit) as error:
        raise UserAppError(f"{where}: importing {module_name} raised {_said(error, folder)}.") from None


def _by_expression(
    module: ModuleType, expression: str, framework: type[AppT], where: str, folder: Path
) -> tuple[str, AppT]:
    """`NAME` or `NAME(literal arguments)`, as Flask's find_app_by_string reads them; a function is called (a bare
    name too, as Flask does: the expression returned then says the call, for a server that would not make it)."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        tree = None
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
        name = tree.func.id
        try:
            args = [ast.literal_eval(arg) for arg in tree.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in tree.keywords if kw.arg is not None}
        except ValueError:
            raise UserAppError(f"{where}: the arguments of {name}() must be literals (text, numbers, ...).") from None
    elif isinstance(tree, ast.Name):
        name = tree.id
    else:
        raise UserAppError(f"{where}: {expression!r} is neither a name nor a call such as create_app().")
    if not hasattr(module, name):
        raise UserAppError(f"{where}: {module.__name__} has no {name}{_names_there(module, framework)}.")
    found = getattr(module, name)
    if inspect.isfunction(found):
        expression = expression if isinstance(tree, ast.Call) else f"{name}()"
        found = _call(found, expression, args, kwargs, where, folder)
    return expression, _checked(found, framework, where, f"{module.__name__}:{expression}")


def _discover(module: ModuleType, framework: type[AppT], where: str, folder: Path) -> tuple[str, AppT]:
    """What `flask --app MODULE` finds, in Flask's order: the expression that names it, and the app."""
    for name in NAMES:
        if isinstance(getattr(module, name, None), framework):
            return name, getattr(module, name)
    matches = [(name, value) for name, value in vars(module).items() if isinstance(value, framework)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(name for name, _ in matches)
        raise UserAppError(f"{where}: {module.__name__} has several {framework.__name__} apps ({names}); name one.")
    for name in FACTORIES:
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            app = _call(factory, f"{name}()", [], {}, where, folder)
            return f"{name}()", _checked(app, framework, where, f"{module.__name__}:{name}()")
    raise UserAppError(
        f"{where}: {module.__name__} has no {framework.__name__} app (no app or application, no create_app or"
        f" make_app){_other_framework(module, framework)}; name it: {module.__name__}:NAME."
    )


def _call(factory: Any, shown: str, args: list[Any], kwargs: dict[str, Any], where: str, folder: Path) -> Any:
    try:
        return factory(*args, **kwargs)
    except TypeError as error:
        try:
            inspect.signature(factory).bind(*args, **kwargs)
        except TypeError:
            raise UserAppError(f"{where}: {shown} cannot be called so: {error}.") from None
        raise UserAppError(f"{where}: calling {shown} raised {_said(error, folder)}.") from None
    except (Exception, SystemExit) as error:
        raise UserAppError(f"{where}: calling {shown} raised {_said(error, folder)}.") from None


def _checked(found: object, framework: type[AppT], where: str, shown: str) -> AppT:
    if isinstance(found, framework):
        return found
    other = Quart if framework is Flask else Flask
    if isinstance(found, other):
        option = "--quart" if other is Quart else "--flask"
        raise UserAppError(
            f"{where}: {shown} is a {other.__name__} app, not a {framework.__name__} app (for {option})."
        )
    raise UserAppError(f"{where}: {shown} is {_a(found)}, not a {framework.__name__} app.")


def _said(error: BaseException, folder: Path) -> str:
    """An exception in one line, with the user's file and line it came from: `NameError: ... (app.py, line 3)`."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _inside(frame.filename, folder)]
    where = f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})" if frames else ""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


def _inside(filename: str, folder: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def _names_there(module: ModuleType, framework: type[AppT]) -> str:
    apps = [name for name, value in vars(module).items() if isinstance(value, framework)]
    factories = [f"{name}()" for name in FACTORIES if inspect.isfunction(getattr(module, name, None))]
    return f" (it has {', '.join(apps + factories)})" if apps or factories else ""


def _other_framework(module: ModuleType, framework: type[AppT]) -> str:
    other = Quart if framework is Flask else Flask
    apps = [name for name, value in vars(module).items() if isinstance(value, other)]
    return f", but a {other.__name__} app: {apps[0]}" if apps else ""


def _a(value: object) -> str:
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
