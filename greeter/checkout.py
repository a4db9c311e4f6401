"""Whether the code being served is the checkout you are in, or a copy installed elsewhere. No framework."""

from __future__ import annotations

from pathlib import Path

from greeter.resources import PACKAGE_DIR


def enclosing_checkout(folder: Path) -> Path | None:
    """The greeter checkout that `folder` is in (a pyproject.toml beside a greeter package), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "greeter" / "__init__.py").is_file():
            return candidate
    return None


def other_copy_warning(here: Path, package_dir: Path = PACKAGE_DIR) -> str | None:
    """A warning when `here` is in a greeter checkout but the code served is another copy; else None.

    After a plain `pip install .` the command imports the copy in site-packages: edits in the checkout
    change nothing until the next install, with or without --reload.
    """
    checkout = enclosing_checkout(here.resolve())
    if checkout is None or (checkout / "greeter").resolve() == package_dir:
        return None
    return (
        f"the code served is the copy in {package_dir}, not this checkout's ({checkout / 'greeter'}):"
        " edits here change nothing until you install again; install the checkout editable once"
        " (`.venv/bin/pip install -e .`) and every edit is served."
    )
