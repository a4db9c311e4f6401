"""`greeter course apache-config`: one Apache proxy worker per student, made from the socket folders.

Apache tells the workers of `unix:` sockets apart only by what follows the `|` (proxy_util.c,
ap_proxy_define_worker_ex): every student's worker is named `http://<user>`, so each has limits of its own
(with `http://localhost` for all, they would be one worker, and every student would reach the first one's socket).
deploy/apache/greeter-course.conf includes the output and explains each limit.
"""

from __future__ import annotations

import re
from pathlib import Path

from greeter.tools.course.folders import DEFAULT_FOLDER, SOCKET_NAME, CourseFolderError, student_names

CONNECT_TIMEOUT_SECONDS = 3  # a socket that takes longer than this to accept is as good as not there
NOBODY = "(?!)"  # a pattern that matches no name: with no student, nothing is relayed
# what a path may hold to be written in Apache's file as it is (no quote, no space, no $ or %)
PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")


def apache_config(folder: Path | None, connections: int, timeout: int) -> str:
    """The file greeter-course.conf includes: each student's worker, and the names the site file uses."""
    folder = Path(folder or DEFAULT_FOLDER).absolute()
    if not PLAIN_PATH.fullmatch(str(folder)):
        raise CourseFolderError(
            f"the folder {str(folder)!r} has characters Apache's file would need quoted;"
            " use a path of letters, digits and . _ - / only."
        )
    students, others = student_names(folder)
    lines = [
        f"# Each student's Apache proxy worker, made by `greeter course apache-config {folder}` from the folders",
        f"# there ({_count(len(students))}); do not edit it: run the command again after adding a student, then",
        "# `apache2ctl configtest && systemctl reload apache2`. greeter-course.conf includes it, and",
        "# docs/production.md explains each limit.",
        *(f"# not a student's folder (not an account name's shape, never relayed): {name}" for name in others),
        f'Define GREETER_SOCKETS "{folder}"',
        f'Define GREETER_STUDENTS "{"|".join(students) or NOBODY}"',
        f"Define GREETER_CONNECTIONS {connections}",
        f"Define GREETER_TIMEOUT {timeout}",
    ]
    for name in students:
        lines += [
            f'<Proxy "unix:{folder / name / SOCKET_NAME}|http://{name}">',
            f"    ProxySet max={connections} acquire=1 timeout={timeout}"
            f" connectiontimeout={CONNECT_TIMEOUT_SECONDS} disablereuse=On",
            "</Proxy>",
        ]
    return "\n".join(lines) + "\n"


def _count(students: int) -> str:
    return "1 student" if students == 1 else f"{students:,} students"
