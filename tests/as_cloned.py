"""greeter's files as the checkout was cloned, for the tests that apply the students' page to a copy of them.

The suite also runs in a student's own clone, after they followed the page: their greeter/views.py then has
/bye/<name> already, committed or not, with other pages of theirs beside it. A copy of the checkout as it is would
hold the page twice. The files of the commit the clone was made at hold none of it, whatever the student did
since, and their views.py has the very lines the page's quotes count (`greeter/views.py, line 44`). That commit
is where HEAD meets its upstream (a student's clone of the course's repository); with no upstream (a branch of
greeter's own, CI's detached checkout) it is HEAD. Outside a git checkout, the files are copied as they are.

So the copy is committed code: in a checkout of greeter's own, a change to greeter/ is tested here once committed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

GIT_TIMEOUT = 60


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # safe.directory: a checkout owned by another account (a course's, CI's) is read all the same
    return subprocess.run(
        ["git", "-c", f"safe.directory={repo}", "-C", str(repo), *args],
        capture_output=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )


def cloned_commit(repo: Path) -> str | None:
    """The commit the checkout was cloned at (see above); None when the folder is no git checkout of its own."""
    if shutil.which("git") is None:
        return None
    top = git(repo, "rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.decode().strip()).resolve() != repo.resolve():
        return None  # no git, or the folder is inside someone else's repository (an unpacked archive)
    upstream = git(repo, "merge-base", "HEAD", "@{upstream}")
    commit = upstream if upstream.returncode == 0 else git(repo, "rev-parse", "HEAD")
    return commit.stdout.decode().strip() if commit.returncode == 0 else None


def copy_as_cloned(repo: Path, destination: Path, paths: list[str]) -> str:
    """Write the paths (files or folders) of the checkout into destination as cloned; what they were taken from."""
    commit = cloned_commit(repo)
    if commit is None:
        for path in paths:
            source, target = repo / path, destination / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, target)
        return f"the files of {repo} as they are (no git checkout)"
    archive = git(repo, "archive", "--format=tar", commit, "--", *paths)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return f"the files of commit {commit[:12]} of {repo}"
