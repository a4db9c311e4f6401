"""Where the files that are not Python live: the templates and the shipped hypercorn.toml."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    """Return the absolute path of a top-level project file, installed or in a checkout."""
    # a wheel carries the file inside the package (force-included); a checkout keeps it beside the package
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"greeter's {name} is neither in {PACKAGE_DIR} nor beside it")


TEMPLATES_DIR = _find("templates")
HYPERCORN_TOML = _find("hypercorn.toml")
