"""What the debug page shows of an error: each frame's file, line, function, code and locals, the student's first.

Lines are numbered from the traceback's own tb_lineno (where the error passed, not the frame's f_lineno, which
for a frame still running is where that frame is now), and the failing expression is marked from Python 3.11's
column positions, as the terminal's ^^^^ marks it.
"""

from __future__ import annotations

import inspect
import linecache
import reprlib
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from greeter.shared.paths import LIBRARY_FOLDERS, PACKAGE_DIR, is_students_code, shown_path

GREETERS_MACHINERY = "greeter's machinery"  # its frames outside the student's files, folded

FUNCTION_LINES_SHOWN = 30  # a student's function up to this long is shown whole; a longer one around the line
AROUND = 5  # lines before and after the error in a longer function, a module or a template
LIBRARY_AROUND = 2
CHAIN_DEPTH = 3  # "during handling of ..." errors shown below the main one
SHORTEST_REPR = 160


class _ShortRepr(reprlib.Repr):
    """A local's repr, cut short; a broken __repr__ is said, never raised on the page that shows the bug."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = SHORTEST_REPR
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 10
        self.maxlevel = 3

    def repr_instance(self, obj: object, level: int) -> str:
        text = repr(obj)
        return text if len(text) <= self.maxother else text[: self.maxother - 3] + "..."


_short = _ShortRepr()


def short_repr(value: object) -> str:
    try:
        return _short.repr(value)
    except Exception as error:
        return f"<{type(value).__name__} whose repr() fails: {type(error).__name__}>"


@dataclass
class Line:
    """One line of code: the part before the failing expression, the expression, and the rest."""

    number: int
    before: str
    marked: str = ""
    after: str = ""
    is_error: bool = False


@dataclass
class FrameView:
    file: str  # as a student reads it: relative to the current folder, or a library's to its site-packages
    path: str  # the file as Python names it
    line: int
    function: str
    lines: list[Line]
    locals: list[tuple[str, str]]
    students: bool
    python: str = ""  # for a SyntaxError, Python's own lines: the file, the line, the caret, the message


@dataclass
class ViewFunction:
    """Where the request's view is defined, said when no frame of the student's is in the traceback."""

    file: str
    line: int
    function: str
    path: str


@dataclass
class ErrorView:
    type: str
    message: str
    students: list[FrameView]  # most recent call first
    library: list[FrameView]
    hints: list[Markup] = field(default_factory=list)
    chain: list[tuple[str, ErrorView]] = field(default_factory=list)
    view: ViewFunction | None = None

    @property
    def where(self) -> FrameView | None:
        return self.students[0] if self.students else None

    @property
    def libraries(self) -> str:
        """The packages of the folded frames, once each: quart for quart/app.py; greeter's guard.py or plumbing/
        as "greeter's machinery", for "greeter" alone would read as the student's own greeter/views.py."""
        names = (_package_of(frame) for frame in self.library if frame.file)
        return ", ".join(dict.fromkeys(names))


def _package_of(frame: FrameView) -> str:
    if not frame.file.startswith("<") and Path(frame.path).resolve().is_relative_to(PACKAGE_DIR):
        return GREETERS_MACHINERY
    return Path(frame.file).parts[0].removesuffix(".py")


def frame_file(filename: str) -> str:
    """A frame's file as the page names it: a library's from its site-packages (quart/app.py), else short."""
    if filename.startswith("<"):
        return filename
    resolved = Path(filename).resolve()
    for folder in sorted(LIBRARY_FOLDERS, key=len, reverse=True):  # site-packages before the stdlib it is in
        if resolved.is_relative_to(folder):
            return str(resolved.relative_to(folder))
    return shown_path(resolved)


def view_function(function: object) -> ViewFunction | None:
    code = getattr(inspect.unwrap(function), "__code__", None) if callable(function) else None
    if not isinstance(code, types.CodeType):
        return None
    return ViewFunction(frame_file(code.co_filename), code.co_firstlineno, code.co_qualname, code.co_filename)


def _walk(tb: types.TracebackType | None) -> Iterator[tuple[types.FrameType, int, traceback.FrameSummary]]:
    """Each frame of a traceback with the line the error passed (tb_lineno, not f_lineno) and its columns."""
    # extract_tb, not StackSummary.extract: only extract_tb asks for the columns (traceback.py, 3.11)
    yield from (
        (frame, line, summary)
        for (frame, line), summary in zip(traceback.walk_tb(tb), traceback.extract_tb(tb), strict=True)
    )


def _span(code: types.CodeType, line: int, lines: list[str], *, students: bool) -> tuple[int, int]:
    """The first and last line shown: a student's short function whole, else a few lines around the error."""
    around = AROUND if students else LIBRARY_AROUND
    first, last = max(1, line - around), min(len(lines), line + around)
    if students and code.co_filename.endswith(".py") and code.co_name != "<module>":
        try:
            block = inspect.getblock(lines[code.co_firstlineno - 1 :])
        except Exception:  # tokenizing a file edited since it was imported
            return first, last
        end = code.co_firstlineno + len(block) - 1
        if code.co_firstlineno <= line <= end and end - code.co_firstlineno < FUNCTION_LINES_SHOWN:
            return code.co_firstlineno, end
    return first, last


def _character_offset(text: str, byte_offset: int | None) -> int | None:
    """co_positions() columns count UTF-8 bytes: a line with an accent before the error would be marked off."""
    if byte_offset is None:
        return None
    return len(text.encode()[:byte_offset].decode(errors="replace"))


def error_line(text: str, number: int, summary: traceback.FrameSummary | None) -> Line:
    """The line the error passed, its failing expression marked when Python gave its columns."""
    start = _character_offset(text, summary.colno) if summary is not None else None
    end = None
    if summary is not None:
        end = _character_offset(text, summary.end_colno) if summary.end_lineno == number else len(text)
    # the whole line being the expression says nothing more than the row's colour
    if start is not None and end is not None and 0 <= start < end <= len(text) and (text[:start] + text[end:]).strip():
        return Line(number, text[:start], text[start:end], text[end:], is_error=True)
    return Line(number, text, is_error=True)


def frame_view(
    frame: types.FrameType, line: int, summary: traceback.FrameSummary, package_dir: Path = PACKAGE_DIR
) -> FrameView:
    filename = frame.f_code.co_filename
    students = is_students_code(filename, package_dir)
    lines = linecache.getlines(filename, frame.f_globals)
    shown: list[Line] = []
    if 0 < line <= len(lines):
        first, last = _span(frame.f_code, line, lines, students=students)
        # a template's frame is Jinja's rewrite of the compiled template: its columns are not the template's
        columns = summary if filename.endswith(".py") else None
        for number in range(first, last + 1):
            text = lines[number - 1].rstrip("\r\n")
            shown.append(error_line(text, number, columns) if number == line else Line(number, text))
    is_template = not filename.endswith(".py") and not filename.startswith("<")
    local_values: list[tuple[str, str]] = []
    # a module's locals are its globals (every import and function); a template's are what it was given
    if frame.f_code.co_name != "<module>" or is_template:
        local_values = [
            (name, short_repr(value)) for name, value in frame.f_locals.items() if not name.startswith("__")
        ]
    function = frame.f_code.co_qualname
    return FrameView(
        file=frame_file(filename),
        path=filename,
        line=line,
        # Jinja names a template's own code <module> (its blocks `block 'content'`): no function worth naming
        function="" if is_template and function == "<module>" else function,
        lines=shown,
        locals=local_values,
        students=students,
    )


def syntax_view(error: SyntaxError) -> FrameView | None:
    """The lines around a SyntaxError, the failing part marked as Python's caret marks it."""
    if not error.filename or not error.lineno:
        return None
    lines = linecache.getlines(error.filename)
    shown = []
    for number in range(max(1, error.lineno - AROUND), min(len(lines), error.lineno + AROUND) + 1):
        text = lines[number - 1].rstrip("\r\n")
        if number != error.lineno:
            shown.append(Line(number, text))
            continue
        start = min(len(text), max(0, (error.offset or 1) - 1))
        same_line = error.end_lineno in (None, error.lineno)
        end = (error.end_offset or 0) - 1 if same_line else len(text)
        end = min(len(text), max(end, start + 1))
        shown.append(Line(number, text[:start], text[start:end], text[end:], is_error=True))
    return FrameView(
        file=frame_file(error.filename),
        path=error.filename,
        line=error.lineno,
        function="",
        lines=shown,
        locals=[],
        students=True,
        python="".join(traceback.format_exception_only(error)).rstrip("\n"),
    )


def error_view(error: BaseException, package_dir: Path = PACKAGE_DIR, depth: int = 0) -> ErrorView:
    """The error as the page shows it; the errors it was raised from (or during) below it, a few deep."""
    frames = [frame_view(frame, line, summary, package_dir) for frame, line, summary in _walk(error.__traceback__)]
    frames.reverse()  # most recent call first: the student's line with the mistake at the top
    view = ErrorView(
        type=type(error).__qualname__,
        message=str(error),
        students=[frame for frame in frames if frame.students],
        library=[frame for frame in frames if not frame.students],
    )
    if isinstance(error, SyntaxError) and (where := syntax_view(error)) is not None:
        view.message = str(error.msg)  # str() adds "(views.py, line 12)": the header says it
        view.students.insert(0, where)  # the file that does not parse is the place to look, not importlib's frames
    if depth < CHAIN_DEPTH:
        if error.__cause__ is not None:
            view.chain.append(("It was raised from this error", error_view(error.__cause__, package_dir, depth + 1)))
        elif error.__context__ is not None and not error.__suppress_context__:
            earlier = error_view(error.__context__, package_dir, depth + 1)
            view.chain.append(("It happened while handling this error", earlier))
    return view
