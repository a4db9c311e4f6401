"""The course's socket folders: /srv/greeter-sockets/<user>/greeter.sock, one folder per student.

The admin makes each folder (`install -d -o <user> -g www-data -m 2750 /srv/greeter-sockets/<user>`); the web
server's files relay only names of an account name's shape, so only those folders are students'.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from greeter.shared.errors import GreeterError

DEFAULT_FOLDER = Path("/srv/greeter-sockets")
SOCKET_NAME = "greeter.sock"
# the names the web server's files relay (Debian's account names): no dot, no slash, no capital
ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


class CourseFolderError(GreeterError):
    """A socket folder that cannot be read: one sentence, exit status 2."""


def student_names(folder: Path) -> tuple[list[str], list[str]]:
    """The students (folders of an account name's shape, sorted), and the other entries there, which are not."""
    try:
        entries = sorted(os.listdir(folder))
    except FileNotFoundError:
        raise CourseFolderError(
            f"there is no folder {folder}; give the course's socket folder (the recipe makes {DEFAULT_FOLDER})."
        ) from None
    except NotADirectoryError:
        raise CourseFolderError(f"{folder} is not a folder; give the course's socket folder.") from None
    except PermissionError:
        raise CourseFolderError(f"cannot read the folder {folder}: permission denied (run it as root).") from None
    students = [name for name in entries if ACCOUNT_NAME.fullmatch(name)]
    return students, [name for name in entries if name not in students]
