"""The course's web server for the bench: a real Apache on loopback with the course's files as the recipe installs
them (docs/production.md), but for their addresses, certificate and socket folder.

`course_site` is the one place that says what Apache is given for the course: deploy/apache/greeter-course.conf,
which includes each student's proxy worker as `greeter course apache-config` makes it from the socket folders
(greeter/tools/course/apache_config.py, asked here in-process with the command's defaults), and the MPM sizing of
deploy/apache/greeter-course-mpm.conf. The rest (Apache's main file, the certificate, starting and stopping) is
the bench's.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from greeter.shared.errors import Refused
from greeter.shared.paths import PACKAGE_DIR
from greeter.tools.course.apache_config import apache_config

DEPLOY_APACHE = PACKAGE_DIR.parent / "deploy" / "apache"  # in a checkout, not in a wheel
COURSE_FILE = DEPLOY_APACHE / "greeter-course.conf"
COURSE_MPM_FILE = DEPLOY_APACHE / "greeter-course-mpm.conf"
APACHE = Path("/usr/sbin/apache2")
APACHE_MODULES = Path("/usr/lib/apache2/modules")
DEBIAN_APACHE_CONF = Path("/etc/apache2/apache2.conf")  # its named log formats (`combined`), which the site uses
# Debian's Apache with what the recipe enables: mod_alias (Redirect) and mod_reqtimeout are on by default there
MODULES = ("mpm_event", "authz_core", "alias", "headers", "ssl", "rewrite", "proxy", "proxy_http", "reqtimeout")
WEB_SERVER_USER = "www-data"  # Debian's Apache workers run as www-data when root starts Apache
SHIPPED_SITE = "greeter.example.org"
SHIPPED_STUDENTS_FILE = "/etc/apache2/greeter-course-students.conf"
# each student's connections at once and seconds before "not answering": `greeter course apache-config`'s defaults
# (greeter/cli.py; tests/test_bench.py checks they are the same)
STUDENT_CONNECTIONS, STUDENT_TIMEOUT = 8, 20
SHIPPED_CERT = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
SHIPPED_KEY = "/etc/ssl/private/ssl-cert-snakeoil.key"
READY = "resuming normal operations"  # Apache's notice once it serves


class CourseUnavailable(Refused):
    """Something the course scenario needs is not on this machine: one sentence saying what and how to get it."""


@dataclass(frozen=True)
class Site:
    folder: Path  # Apache's ServerRoot: its main file, the site, logs, pid file
    http_port: int
    https_port: int
    certfile: Path
    keyfile: Path
    sockets: Path  # the course's socket folder: <sockets>/<student>/greeter.sock

    @property
    def main_file(self) -> Path:
        return self.folder / "httpd.conf"

    @property
    def students_file(self) -> Path:
        return self.folder / "greeter-course-students.conf"

    def socket_of(self, student: str) -> Path:
        return self.sockets / student / "greeter.sock"


def require_apache() -> None:
    for needed, hint in ((APACHE, "apt-get install apache2"), (DEBIAN_APACHE_CONF, "apt-get install apache2")):
        if not needed.exists():
            raise CourseUnavailable(f"the course scenario needs {needed}: {hint}")
    for shipped in (COURSE_FILE, COURSE_MPM_FILE):
        if not shipped.exists():
            raise CourseUnavailable(f"the course scenario needs {shipped}, which a checkout of greeter has")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(WEB_SERVER_USER)
        except KeyError:
            raise CourseUnavailable(f"Apache started as root runs its workers as {WEB_SERVER_USER}, not here") from None


def course_site(site: Site) -> str:
    """The shipped course file, its addresses, certificate and students' file made the bench's; the site's name
    is localhost, which the bench's certificate names."""
    text = COURSE_FILE.read_text()
    for old, new in {
        # the site's name and ports, where the file takes them from (docs/production.md, "On other ports")
        f"Define GREETER_SITE {SHIPPED_SITE}": "Define GREETER_SITE localhost",
        "Define GREETER_HTTP_PORT 80": f"Define GREETER_HTTP_PORT {site.http_port}",
        "Define GREETER_HTTPS_PORT 443": f"Define GREETER_HTTPS_PORT {site.https_port}",
        "Define GREETER_URL https://${GREETER_SITE}": "Define GREETER_URL https://${GREETER_SITE}:${GREETER_HTTPS_PORT}",
        SHIPPED_CERT: str(site.certfile),
        SHIPPED_KEY: str(site.keyfile),
        SHIPPED_STUDENTS_FILE: str(site.students_file),
    }.items():
        if old not in text:
            raise CourseUnavailable(f"{COURSE_FILE} no longer says {old!r}: tell the bench's course_site what it says")
        text = text.replace(old, new)
    return text


def write_site(site: Site) -> None:
    """Apache's main file (modules, logs, the course's MPM sizing, ports; its workers as www-data when root starts
    it), the site, and each student's worker for the socket folders made so far (make_socket_folder first)."""
    site.folder.chmod(0o755)
    logs = site.folder / "log"
    logs.mkdir(exist_ok=True)
    formats = [line for line in DEBIAN_APACHE_CONF.read_text().splitlines() if line.startswith("LogFormat ")]
    loads = "\n".join(f"LoadModule {name}_module {APACHE_MODULES}/mod_{name}.so" for name in MODULES)
    user = f"User {WEB_SERVER_USER}\nGroup {WEB_SERVER_USER}" if os.geteuid() == 0 else ""
    site.students_file.write_text(apache_config(site.sockets, STUDENT_CONNECTIONS, STUDENT_TIMEOUT))
    (site.folder / "greeter-course.conf").write_text(course_site(site))
    site.main_file.write_text(f"""ServerRoot {site.folder}
ServerName 127.0.0.1
PidFile {site.folder}/httpd.pid
DefaultRuntimeDir {site.folder}
ErrorLog /dev/stderr
LogLevel notice
{user}
{loads}
Define APACHE_LOG_DIR {logs}
{chr(10).join(formats)}
Include {COURSE_MPM_FILE}
Listen 127.0.0.1:{site.http_port}
Listen 127.0.0.1:{site.https_port}
Include {site.folder}/greeter-course.conf
""")


def make_socket_folder(site: Site, student: str) -> Path:
    """What the admin makes for each student (docs/production.md): the web server's group, set-group-ID, 2750;
    here owned by whoever runs the bench, who runs every student's greeter."""
    folder = site.sockets / student
    group = WEB_SERVER_USER if os.geteuid() == 0 else str(os.getegid())
    subprocess.run(
        ["install", "-d", "-g", group, "-m", "2750", str(folder)], check=True, capture_output=True, timeout=30
    )
    return folder


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 and its key, made by openssl, trusted by the bench's client only."""
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                str(keyfile),
                "-out",
                str(certfile),
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise CourseUnavailable(
            "the course scenario needs openssl for its certificate: apt-get install openssl"
        ) from None
    keyfile.chmod(0o644)  # read by Apache's workers too; it vouches for nothing but this bench
    return certfile, keyfile
