"""docs/flask-to-quart.md cannot drift: every code block in it is checked against the file it quotes, and those
files run in this suite (the example, tests/test_flask_habits.py, tests/test_blocking_views.py, the apps)."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

import pytest
from conftest import REPO_ROOT

GUIDE_PATH = REPO_ROOT / "docs" / "flask-to-quart.md"
GUIDE = GUIDE_PATH.read_text()
README = (REPO_ROOT / "README.md").read_text()
# the line before each block says where it comes from:
#   source: FILE [FILE ...]  the block is in each file, verbatim; a `...` line skips lines of the file
#   whole: FILE              the block is the whole file
#   command: FILE [FILE ...] each line is written, as it is, in one of the tests that run it
#   ran by: FILE             that test reads this block out of the guide and runs it
BLOCK = re.compile(
    r"(?:<!-- (?P<kind>[a-z ]+): (?P<files>[^>]*?) -->\n)?```(?P<language>\w*)\n(?P<text>.*?)```", re.DOTALL
)
ELISION = "..."


@dataclass(frozen=True)
class Block:
    kind: str
    files: list[str]
    language: str
    text: str
    line: int

    def __str__(self) -> str:
        return f"docs/flask-to-quart.md line {self.line} ({self.kind or 'no marker'} {' '.join(self.files)})"


def blocks(markdown: str) -> list[Block]:
    return [
        Block(
            match["kind"] or "",
            (match["files"] or "").split(),
            match["language"],
            match["text"],
            markdown.count("\n", 0, match.start("text")),
        )
        for match in BLOCK.finditer(markdown)
    ]


def chunks(text: str) -> list[str]:
    """The pieces of a quoted block between its `...` lines, each dedented, without blank lines (ruff formats
    the guide's Python blocks as top-level code, with the blank lines that top-level code has)."""
    pieces: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() == ELISION:
            pieces.append([])
        elif line.strip():
            pieces[-1].append(line)
    return [textwrap.dedent("\n".join(piece)) for piece in pieces if piece]


def quoted_in(text: str, source: str) -> bool:
    """Whether each chunk of `text` is a run of whole lines of `source` (indented as a whole, blank lines aside),
    in order."""
    lines = [line for line in source.splitlines() if line.strip()]
    start = 0
    for chunk in chunks(text):
        size = chunk.count("\n") + 1
        found = next(
            (
                at
                for at in range(start, len(lines) - size + 1)
                if textwrap.dedent("\n".join(lines[at : at + size])) == chunk
            ),
            None,
        )
        if found is None:
            return False
        start = found + size
    return True


GUIDE_BLOCKS = blocks(GUIDE)


def test_every_block_says_where_it_comes_from() -> None:
    assert len(GUIDE_BLOCKS) >= 20
    for block in GUIDE_BLOCKS:
        assert block.kind in {"source", "whole", "command", "ran by"}, block
        assert block.files, block
        for name in block.files:
            assert (REPO_ROOT / name).is_file(), f"{block}: no file {name}"


@pytest.mark.parametrize("block", [b for b in GUIDE_BLOCKS if b.kind == "source"], ids=str)
def test_quoted_code_is_in_its_files(block: Block) -> None:
    for name in block.files:
        assert quoted_in(block.text, (REPO_ROOT / name).read_text()), f"{block} is not in {name} as quoted"


@pytest.mark.parametrize("block", [b for b in GUIDE_BLOCKS if b.kind == "whole"], ids=str)
def test_whole_files_are_quoted_whole(block: Block) -> None:
    (name,) = block.files
    assert block.text == (REPO_ROOT / name).read_text()


@pytest.mark.parametrize("block", [b for b in GUIDE_BLOCKS if b.kind == "command"], ids=str)
def test_commands_are_the_ones_tests_run(block: Block) -> None:
    tests = "".join((REPO_ROOT / name).read_text() for name in block.files)
    for line in block.text.splitlines():
        assert line in tests, f"{block}: {line!r} is in none of {block.files}"


@pytest.mark.parametrize("block", [b for b in GUIDE_BLOCKS if b.kind == "ran by"], ids=str)
def test_blocks_run_by_a_test_are_read_from_the_guide(block: Block) -> None:
    (name,) = block.files
    test = (REPO_ROOT / name).read_text()
    assert "flask-to-quart.md" in test and f"```{block.language}" in test


def test_the_example_is_quoted_whole() -> None:
    whole = [block.files for block in GUIDE_BLOCKS if block.kind == "whole"]
    assert ["tests/test_example_first_async_tests.py"] in whole


def test_the_contents_list_every_section_in_order() -> None:
    headings = re.findall(r"^## (.+)$", GUIDE, flags=re.MULTILINE)
    assert headings[0] == "Contents"
    listed = re.findall(r"^- \[(.+?)\]\(#(.+?)\)$", GUIDE.split("## Contents", 1)[1].split("\n## ", 1)[0], re.MULTILINE)
    assert [title for title, _ in listed] == headings[1:]
    for title, anchor in listed:  # GitHub's anchors: lower case, spaces to dashes, punctuation dropped
        assert anchor == re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def test_the_readme_links_the_guide() -> None:
    assert "(docs/flask-to-quart.md)" in README


def test_the_readmes_bullet_for_flask_developers_links_the_guide() -> None:
    audience = README.split("## Who it is for", 1)[1].split("\n## ", 1)[0]
    (bullet,) = [item for item in audience.split("\n- ") if "Flask developers" in item]
    assert "(docs/flask-to-quart.md)" in bullet


def test_the_things_there_for_async_are_counted_right() -> None:
    found = re.search(r"^(\w+) things in it are there for async(?s:.*?)\n\n((?:- .*\n(?:  .*\n)*)+)", GUIDE, re.M)
    assert found
    count, things = found.groups()
    numbers = ["one", "two", "three", "four", "five", "six"]
    assert numbers.index(count.lower()) + 1 == things.count("\n- ") + 1


# the checks themselves: each must fail when the guide drifts from the code


def test_a_changed_line_is_not_quoted() -> None:
    source = 'def greet() -> str:\n    return render_template("greet.html")\n'
    assert quoted_in('def greet() -> str:\n    return render_template("greet.html")\n', source)
    assert not quoted_in('def greet() -> str:\n    return render_template("greet2.html")\n', source)
    assert not quoted_in("def greet() -> str:\n", "async def greet() -> str:\n")  # whole lines only


def test_elided_pieces_must_stand_in_order() -> None:
    source = "a = 1\nb = 2\nc = 3\n"
    assert quoted_in("a = 1\n...\nc = 3\n", source)
    assert not quoted_in("c = 3\n...\na = 1\n", source)


def test_an_indented_quote_matches_its_indented_lines() -> None:
    source = "def f() -> None:\n    x = 1\n    y = 2\n"
    assert quoted_in("    x = 1\n    y = 2\n", source)
    assert not quoted_in("x = 1\n  y = 2\n", source)


def test_a_block_without_a_marker_is_found() -> None:
    (block,) = blocks("text\n\n```python\nprint(1)\n```\n")
    assert block.kind == "" and block.files == []


def test_no_block_is_shown_twice() -> None:
    texts = [block.text for block in GUIDE_BLOCKS]
    assert [text.splitlines()[0] for text in texts if texts.count(text) > 1] == []
