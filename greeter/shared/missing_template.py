"""A template that is not there, said in one sentence: its name, the folders searched, the line that asked for it.

Both apps log a failed request with a traceback; for a TemplateNotFound that is fifty lines through Jinja and
flask/templating.py ending in the bare name. The filter below turns that log record into one line, in both apps
and both modes (`[...] ERROR in app: Exception on request GET /bye/Kim: the template bye.html is not in
templates/ ...`). The debug page (greeter/plumbing/debug_page/) gives the same facts as its hints.
"""

from __future__ import annotations

import difflib
import logging
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import TemplateNotFound, TemplatesNotFound

from greeter.shared.paths import is_students_code, shown_path

TEMPLATE_CUTOFF = 0.8  # by.html: bye.html (0.93), not base.html (0.75)

if TYPE_CHECKING:
    from flask.sansio.app import App  # Quart's app is built on it too: both have the same template loaders


def template_folders(app: App) -> list[Path]:
    """The folders render_template searches, in its order: the app's, then each blueprint's that has one."""
    loaders = [app.jinja_loader, *(blueprint.jinja_loader for blueprint in app.iter_blueprints())]
    # Flask's and Quart's own loaders are FileSystemLoaders: each has its searchpath
    folders = (Path(folder).resolve() for loader in loaders for folder in getattr(loader, "searchpath", []))
    return list(dict.fromkeys(folders))


def templates_in(folders: Iterable[Path]) -> list[str]:
    """Every template name the folders hold, as render_template names them (subfolders with a slash)."""
    names = {
        path.relative_to(folder).as_posix()
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.is_file()
    }
    return sorted(names)


def close_names(name: str, candidates: Iterable[str], cutoff: float = 0.7) -> list[str]:
    """The names a typo most likely meant: one that differs only in case, then difflib's close matches (0.7 finds
    `name` for `nmae`; file names share their `.html`, so they need a higher one)."""
    candidates = list(candidates)
    same_but_case = [candidate for candidate in candidates if candidate.lower() == name.lower() and candidate != name]
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=cutoff)
    return list(dict.fromkeys(same_but_case + close))[:3]


def missing_names(error: TemplateNotFound) -> list[str]:
    """The names asked for: one, or each of render_template's list (TemplatesNotFound)."""
    names = getattr(error, "templates", None) if isinstance(error, TemplatesNotFound) else None
    return [str(name) for name in (names or [error.name])]


def asked_where(error: BaseException) -> str | None:
    """The student's line that asked for the template ("greeter/views.py, line 39, in bye"), the innermost one."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if is_students_code(frame.filename)]
    if not frames:
        return None
    frame = frames[-1]
    # a template's own frame (an {% extends %} of a name that is not there) has no function worth naming
    function = f", in {frame.name}" if frame.name not in ("<module>", "top-level template code") else ""
    return f"{shown_path(frame.filename)}, line {frame.lineno}{function}"


def missing_template_sentence(error: TemplateNotFound, folders: list[Path]) -> str:
    """One sentence: which template, the folders searched, who asked for it, and the close names there are."""
    names = missing_names(error)
    asked = " or ".join(names)
    if folders:
        searched = ", ".join(f"{shown_path(folder)}/" for folder in folders)
        sentence = f"the template {asked} is in none of the folders searched: {searched}"
    else:
        sentence = f"the template {asked} was asked for, but the app has no template folder"
    if (where := asked_where(error)) is not None:
        sentence += f"; asked for in {where}"
    known = templates_in(folders)
    for name in names:
        close = [f"{name}.html"] if f"{name}.html" in known else close_names(name, known, TEMPLATE_CUTOFF)
        if close:
            return f"{sentence}; did you mean {' or '.join(close)}?"
    return f"{sentence}."


class MissingTemplateLine(logging.Filter):
    """On an app's logger: a record of a request that failed for a missing template becomes one line."""

    def __init__(self, folders: Callable[[], list[Path]]) -> None:
        super().__init__()
        self.folders = folders

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, TemplateNotFound):  # TemplatesNotFound is one too
            try:
                folders = self.folders()
            except RuntimeError:  # logged outside a request or app context: no app to ask
                folders = []
            record.msg = f"{record.getMessage()}: {missing_template_sentence(error, folders)}"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def say_missing_templates_in_one_line(logger: logging.Logger, folders: Callable[[], list[Path]]) -> None:
    """Put the filter on the logger once: every app of one name shares its logger (a test makes many apps)."""
    if not any(isinstance(existing, MissingTemplateLine) for existing in logger.filters):
        logger.addFilter(MissingTemplateLine(folders))
