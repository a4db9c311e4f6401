"""What to try, for the mistakes students make most: one or two sentences under the error's name on the debug page.

A hint's `backticked` words are shown as code. A hint is a help, never a second error: any failure here gives none.
"""

from __future__ import annotations

import builtins
import inspect
import sys
import traceback
import types
from pathlib import Path

import quart
from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError

from greeter.plumbing.debug_page.frames import ViewFunction
from greeter.shared.missing_template import TEMPLATE_CUTOFF, close_names, missing_names, templates_in
from greeter.shared.paths import shown_path

# what a student most often forgets to import: the names `from quart import ...` gives
QUART_NAMES = frozenset(
    name for name in dir(quart) if not name.startswith("_") and not inspect.ismodule(getattr(quart, name))
)
# what Quart's request has to be awaited for, and what is asked of it then
AWAITED_REQUEST_PARTS = ("get", "getlist", "items", "keys", "values", "to_dict")


def or_list(names: list[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def hints_for(error: BaseException, template_folders: list[Path], view: ViewFunction | None = None) -> list[str]:
    """The hints for an error: [] for one that has none."""
    try:
        if isinstance(error, NameError) and not isinstance(error, UnboundLocalError):
            return _name_error(error)
        if isinstance(error, AttributeError):
            return _attribute_error(error)
        if isinstance(error, TemplateNotFound):  # TemplatesNotFound too
            return _template_not_found(error, template_folders)
        if isinstance(error, TemplateSyntaxError):
            where = f"The template `{shown_path(error.filename)}`" if error.filename else "The template"
            return [
                f"{where} does not parse at line {error.lineno}: check that every `{{{{` has its `}}}}`, and every"
                " `{% for %}` or `{% if %}` its `{% endfor %}` or `{% endif %}`."
            ]
        if isinstance(error, UndefinedError):
            return _undefined(error)
        if isinstance(error, TypeError):
            return _type_error(error, view)
    except Exception:
        return []
    return []


def _innermost_frame(error: BaseException) -> types.FrameType | None:
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    return frames[-1] if frames else None


def _name_error(error: NameError) -> list[str]:
    name = getattr(error, "name", None)
    frame = _innermost_frame(error)
    if not name or frame is None:
        return []
    hints = []
    if name in QUART_NAMES:
        hints.append(f"`{name}` comes from Quart: add `from quart import {name}` at the top of the file.")
    elif name in sys.stdlib_module_names:
        hints.append(f"`{name}` is a module of Python's: add `import {name}` at the top of the file.")
    # where Python itself looks for a name, in its order (3.11 suggests nothing for a swap such as nmae/name)
    candidates = [*frame.f_locals, *frame.f_globals, *dir(builtins)]
    if close := close_names(name, [candidate for candidate in dict.fromkeys(candidates) if candidate[:2] != "__"]):
        hints.insert(0, f"Did you mean {or_list(close)}?")
    return hints


def _undefined(error: UndefinedError) -> list[str]:
    hints = [
        'The template uses a name it was not given: pass it, as in `render_template("page.html", name=...)`,'
        " or check its spelling in the template."
    ]
    # "'nmae' is undefined": the names the template was given are its innermost frame's locals (Jinja's rewrite)
    name = str(error.message or "").partition("'")[2].partition("'")[0]
    templates = [frame for frame, _ in traceback.walk_tb(error.__traceback__) if _is_template(frame)]
    if name and templates:
        given = [candidate for candidate in templates[-1].f_locals if not candidate.startswith("_")]
        if close := close_names(name, given):
            hints.insert(0, f"Did you mean {or_list(close)}?")
    return hints


def _is_template(frame: types.FrameType) -> bool:
    filename = frame.f_code.co_filename
    return not filename.endswith(".py") and not filename.startswith("<")


def _attribute_error(error: AttributeError) -> list[str]:
    name, obj = getattr(error, "name", None), getattr(error, "obj", None)
    if not name:
        return []
    if inspect.iscoroutine(obj):
        if name in AWAITED_REQUEST_PARTS:
            return [
                "An `await` is missing: in Quart `request.form`, `request.files` and `request.values` are awaited"
                f" first, as in `(await request.form).{name}(...)`."
            ]
        return [f"An `await` is missing: `.{name}` was asked of a coroutine; `await` the call before it."]
    close = close_names(name, [attribute for attribute in dir(obj) if not attribute.startswith("_")])
    return [f"Did you mean {or_list(close)}?"] if close else []


def _type_error(error: TypeError, view: ViewFunction | None) -> list[str]:
    message = str(error)
    function = view.function if view is not None else "the view"
    if "response value type (coroutine) is not valid" in message:
        return [f"`{function}` returned a coroutine: an `await` is missing, as in `return await render_template(...)`."]
    if "got an unexpected keyword argument" in message:
        name = message.rpartition(" ")[2].strip("'")
        return [
            f"The route gives the view a value named `{name}`: `{function}` needs a parameter of that name,"
            f" as in `async def {function}({name}):`."
        ]
    if "required positional argument" in message:
        return [
            "The view has a parameter its route does not give: each parameter is a `<variable>` of the route's"
            " rule, with the same name."
        ]
    return []


def _template_not_found(error: TemplateNotFound, folders: list[Path]) -> list[str]:
    names = missing_names(error)
    if not folders:
        return ["The app has no template folder."]
    searched = "; ".join(
        f"`{shown_path(folder)}/`" + ("" if folder.is_dir() else " (no such folder)") for folder in folders
    )
    hints = [f"Quart looked for {or_list(names)} in {searched}."]
    known = templates_in(folders)
    for name in names:
        if close := [f"{name}.html"] if f"{name}.html" in known else close_names(name, known, TEMPLATE_CUTOFF):
            hints.append(f"Did you mean {or_list(close)}?")
            break
    return hints
