"""The README is a landing page and the docs are one page per reader: every page linked, every link leads somewhere.

What each page claims about the code is checked by the feature's own tests (the deploy files, the guide, the
differences, the commands); this file checks the pages as a whole.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DOCS, REPO_ROOT

README = REPO_ROOT / "README.md"
PAGES = sorted(DOCS.glob("*.md"))
MOST_README_LINES = 200
# [text](target): the target up to a space or the closing bracket; images too
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, code marks and punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)  # a # in a code block is no heading
    return {github_anchor(found) for found in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def test_the_readme_is_a_landing_page() -> None:
    lines = README.read_text().count("\n")
    assert lines <= MOST_README_LINES, f"README.md has {lines} lines; move the detail to a page in docs/"


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_readme_links_every_page(page: Path) -> None:
    assert f"](docs/{page.name})" in README.read_text()


@pytest.mark.parametrize("page", [README, *PAGES], ids=["README.md", *(page.name for page in PAGES)])
def test_every_link_leads_somewhere(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto: and the like: not this repository's
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links {target}, which does not exist"
        assert linked.is_relative_to(REPO_ROOT), f"{page.name} links {target}, outside the repository"
        if anchor:
            assert anchor in anchors(linked), f"{page.name} links {target}: {linked.name} has no such heading"


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_each_page_says_whom_it_is_for(page: Path) -> None:
    title, blank, first, *_ = page.read_text().splitlines()
    assert title.startswith("# ") and blank == ""
    assert first.strip(), f"{page.name}: the first line after the title says whom the page is for"


def test_where_things_are_names_what_is_there() -> None:
    tree = README.read_text().split("## Where things are", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    folder = REPO_ROOT
    for line in tree.splitlines():
        name = line.lstrip("├└─│ ").split()[0].rstrip("/")
        if not line.startswith(("├", "└", "│")):  # a top-level entry, and the folder of the lines below it
            folder = REPO_ROOT / name if (REPO_ROOT / name).is_dir() else REPO_ROOT
            assert (REPO_ROOT / name).exists(), name
        else:
            assert (folder / name).exists(), f"{folder.name}/{name}"
