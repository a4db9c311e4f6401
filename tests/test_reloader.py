"""What `greeter --reload` watches and how it says what changed; whether the code served is the checkout here."""

from __future__ import annotations

import importlib.util
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, scaled

from greeter.server.reloader import (
    LOOK_ANYWAY_SECONDS,
    POLL_SECONDS,
    Watched,
    Watcher,
    changed_files,
    describe_change,
    enclosing_checkout,
    fresh_bytecode,
    other_copy_warning,
    served_sources,
    stamps,
)
from greeter.shared.paths import PACKAGE_DIR, TEMPLATES_DIR


def test_it_watches_the_package_and_the_templates_actually_imported() -> None:
    import greeter

    assert served_sources() == (Watched(PACKAGE_DIR, "*.py"), Watched(TEMPLATES_DIR, "*"))
    assert Path(greeter.__file__).resolve().parent == PACKAGE_DIR
    found = stamps(served_sources())
    assert PACKAGE_DIR / "views.py" in found and TEMPLATES_DIR / "greet.html" in found
    assert not any(path.suffix == ".pyc" for path in found)


def make_tree(root: Path) -> tuple[Watched, ...]:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "views.py").write_text("a = 1\n")
    (root / "pkg" / "sub" / "deep.py").write_text("b = 2\n")
    (root / "pkg" / "notes.txt").write_text("not code\n")
    (root / "templates").mkdir()
    (root / "templates" / "greet.html").write_text("<h1>Hi</h1>\n")
    return Watched(root / "pkg", "*.py"), Watched(root / "templates", "*")


def test_an_edit_an_addition_and_a_removal_are_changes(tmp_path: Path) -> None:
    watcher = Watcher(make_tree(tmp_path))
    assert watcher.changes() == []
    views = tmp_path / "pkg" / "views.py"
    views.write_text("a = 3\n")  # the same size: the time tells
    os.utime(views, ns=(1, 1))
    (tmp_path / "pkg" / "sub" / "new.py").write_text("")
    (tmp_path / "templates" / "greet.html").unlink()
    assert watcher.changes() == [
        tmp_path / "pkg" / "sub" / "new.py",
        views,
        tmp_path / "templates" / "greet.html",
    ]
    assert watcher.changes() == []


def test_editor_litter_and_other_files_are_not_changes(tmp_path: Path) -> None:
    watcher = Watcher(make_tree(tmp_path))
    for litter in (".views.py.swp", ".#views.py", "#views.py#", "views.py~"):
        (tmp_path / "pkg" / litter).write_text("x")
        (tmp_path / "templates" / litter.replace("views.py", "greet.html")).write_text("x")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "views.cpython-311.py").write_text("")
    (tmp_path / "pkg" / "notes.txt").write_text("still not code\n")
    assert watcher.changes() == []


def test_changed_files() -> None:
    before = {Path("a"): (1, 1), Path("b"): (1, 1)}
    assert changed_files(before, dict(before)) == []
    assert changed_files(before, {Path("a"): (1, 2), Path("c"): (1, 1)}) == [Path("a"), Path("b"), Path("c")]


def test_the_reload_line_names_the_file(tmp_path: Path) -> None:
    views, greet = tmp_path / "greeter" / "views.py", tmp_path / "templates" / "greet.html"
    twin, base = tmp_path / "greeter" / "flask_twin" / "views.py", tmp_path / "templates" / "base.html"
    assert describe_change([views], tmp_path) == "greeter/views.py changed; reloading"
    assert describe_change([views], tmp_path / "elsewhere") == f"{views} changed; reloading"
    # two or three files: each named; more: the first, and how many others
    assert describe_change([views, greet], tmp_path) == "greeter/views.py and templates/greet.html changed; reloading"
    assert describe_change([twin, views, greet], tmp_path) == (
        "greeter/flask_twin/views.py, greeter/views.py and templates/greet.html changed; reloading"
    )
    assert describe_change([twin, views, greet, base], tmp_path) == (
        "greeter/flask_twin/views.py and 3 other files changed; reloading"
    )


def test_a_warning_when_the_code_served_is_not_the_checkout_here(tmp_path: Path) -> None:
    assert enclosing_checkout(REPO_ROOT / "templates") == REPO_ROOT
    assert other_copy_warning(REPO_ROOT) is None  # the suite runs on an editable install of this checkout
    assert other_copy_warning(tmp_path) is None  # not a checkout: nothing to say
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter" / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    warning = other_copy_warning(tmp_path / "greeter")
    assert warning is not None
    assert warning.startswith(f"the code served is the copy in {PACKAGE_DIR}, not this checkout's")
    assert "edits here change nothing until you install again" in warning
    assert "`.venv/bin/pip install -e .`" in warning and warning.endswith(".")


WAKE_TIMEOUT = scaled(10.0)  # the kernel's event comes at once; a bound for a loaded machine


def woken(watcher: Watcher, timeout: float = WAKE_TIMEOUT) -> bool:
    """Whether the watcher's events are readable within the timeout (what wakes the supervisor)."""
    events = watcher.fileno()
    assert events is not None
    return bool(select.select([events], [], [], timeout)[0])


def test_the_kernel_wakes_the_watcher_at_a_save_and_new_folders_are_watched(tmp_path: Path) -> None:
    watcher = Watcher(make_tree(tmp_path))
    try:
        assert watcher.fileno() is not None  # Linux's inotify: the supervisor sleeps until a file changes
        assert watcher.timeout() > LOOK_ANYWAY_SECONDS / 2  # idle, it looks at the files only now and then
        assert not woken(watcher, 0)
        views = tmp_path / "pkg" / "views.py"
        views.write_text("a = 10\n")
        assert woken(watcher)
        assert watcher.changes() == [views]
        made = tmp_path / "pkg" / "made" / "later"
        made.mkdir(parents=True)  # a folder made after the start, and one inside it at once
        assert woken(watcher)
        assert watcher.changes() == []  # folders alone change nothing
        (made / "new.py").write_text("c = 3\n")
        assert woken(watcher)
        assert watcher.changes() == [made / "new.py"]
        (tmp_path / "pkg" / "__pycache__").mkdir()
        watcher.changes()
        (tmp_path / "pkg" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"")
        assert not woken(watcher, 0.1)  # the workers' bytecode never wakes it
    finally:
        watcher.close()


def test_without_the_kernels_events_the_files_are_polled(tmp_path: Path) -> None:
    watcher = Watcher(make_tree(tmp_path), events=False)
    assert watcher.fileno() is None and watcher.timeout() <= POLL_SECONDS
    views = tmp_path / "pkg" / "views.py"
    views.write_text("a = 10\n")
    time.sleep(POLL_SECONDS)
    assert watcher.changes() == [views]


def served_value(root: Path) -> str:
    """What a fresh Python imports from root/samesize.py, as a new worker would (its bytecode cache and all)."""
    done = subprocess.run(
        [sys.executable, "-c", "import samesize; print(samesize.value)"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def save_in_the_same_second(path: Path, text: str, second: int, nanoseconds: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(second * 10**9 + nanoseconds, second * 10**9 + nanoseconds))


def test_a_second_save_of_the_same_size_in_the_same_second_is_never_served_from_a_stale_pyc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as the fresh Pythons below: they write bytecode
    module = tmp_path / "samesize.py"
    second = int(time.time()) - 10
    save_in_the_same_second(module, "value = 'AAAAA'\n", second, 100_000_000)
    assert served_value(tmp_path) == "AAAAA"  # a timestamp .pyc now: the whole second and the size
    save_in_the_same_second(module, "value = 'BBBBB'\n", second, 600_000_000)
    assert served_value(tmp_path) == "AAAAA"  # Python's own check is fooled: the bug greeter's reload had
    fresh_bytecode([module])  # what the supervisor does for each changed file, before the new workers start
    assert served_value(tmp_path) == "BBBBB"
    # a third save in the same second, while a worker may still be starting: the .pyc is checked by its content
    save_in_the_same_second(module, "value = 'CCCCC'\n", second, 900_000_000)
    assert served_value(tmp_path) == "CCCCC"
    save_in_the_same_second(module, "value = (\n", second, 950_000_000)
    fresh_bytecode([module])  # it does not compile: no .pyc at all, the worker says the error
    assert not Path(importlib.util.cache_from_source(str(module))).exists()


def test_where_no_bytecode_is_written_a_changed_files_old_one_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # PYTHONDONTWRITEBYTECODE: greeter writes none either
    module = tmp_path / "samesize.py"
    second = int(time.time()) - 10
    save_in_the_same_second(module, "value = 'AAAAA'\n", second, 100_000_000)
    assert served_value(tmp_path) == "AAAAA"  # a .pyc from before, written by a Python that writes them
    save_in_the_same_second(module, "value = 'BBBBB'\n", second, 600_000_000)
    fresh_bytecode([module])
    assert not Path(importlib.util.cache_from_source(str(module))).exists()
