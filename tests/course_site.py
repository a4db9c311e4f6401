"""The course server's web servers for the tests: the shipped files, as the recipe installs them, with only their
addresses, certificate, socket folder and (for the scene) the timeout made the test's.

Used by test_course_server.py (the happy path and the site's own pages) and test_course_scene.py (a hung,
flooded student and the link trick). The web servers' workers run as www-data, as on Debian.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from conftest import (
    REPO_ROOT,
    Certificate,
    StartServer,
    apache_logging,
    apache_main_config,
    command_path,
    free_port,
    nginx_main_config,
    require_tool,
    scaled,
)

DEPLOY = REPO_ROOT / "deploy"
APACHE_FILE = DEPLOY / "apache" / "greeter-course.conf"
APACHE_MPM_FILE = DEPLOY / "apache" / "greeter-course-mpm.conf"
NGINX_FILE = DEPLOY / "nginx" / "greeter-course.conf"
SHIPPED_SITE = "greeter.example.org"
SHIPPED_FOLDER = "/srv/greeter-sockets"
SHIPPED_CERT = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
SHIPPED_KEY = "/etc/ssl/private/ssl-cert-snakeoil.key"
SHIPPED_STUDENTS_FILE = "/etc/apache2/greeter-course-students.conf"
# the site's URL on a port other than 443, as "On other ports" in docs/production.md sets it
OTHER_PORTS_URL = "https://${GREETER_SITE}:${GREETER_HTTPS_PORT}"
SHIPPED_TIMEOUT = 20  # seconds before "not answering", in both files
# what the recipe has the admin put in /etc/nginx/nginx.conf (test_course_recipe.py checks the page says so)
NGINX_MAIN = "worker_rlimit_nofile 8192;"
NGINX_EVENTS = "worker_connections 2048;"
# Debian's Apache with what the recipe enables: mod_alias (Redirect) and mod_reqtimeout are on by default there
COURSE_APACHE_MODULES = [
    "mpm_event",
    "authz_core",
    "alias",
    "headers",
    "ssl",
    "rewrite",
    "proxy",
    "proxy_http",
    "reqtimeout",
]
RUN_TIMEOUT = scaled(30)


@dataclass(frozen=True)
class WebServer:
    https: str  # https://localhost:PORT, the site's own name
    http: str  # http://localhost:PORT, which only redirects
    logs: Path | None = None  # Apache's ${APACHE_LOG_DIR}
    other_host_http: str = ""  # http://127.0.0.1:PORT: a name the site does not answer for
    error_log: Path | None = None  # where the web server writes its errors (Apache's error.log, nginx's stderr)


def shipped_with(path: Path, replacements: dict[str, str]) -> str:
    """The shipped file with its addresses, certificate and socket folder made this test's: nothing else."""
    text = path.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def apache_course_site(
    start: StartServer, folder: Path, sockets: Path, certificate: Certificate, timeout: int = SHIPPED_TIMEOUT
) -> WebServer:
    """Apache with greeter-course.conf, the MPM file, and the students' file `greeter course apache-config` makes."""
    binary = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    folder.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    students = subprocess.run(
        [command_path("greeter"), "course", "apache-config", str(sockets), "--timeout", str(timeout)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=True,
    )
    (folder / "students.conf").write_text(students.stdout)
    site = shipped_with(
        APACHE_FILE,
        {
            # the site's name and ports, where the file takes them from (docs/production.md, "On other ports")
            f"Define GREETER_SITE {SHIPPED_SITE}": "Define GREETER_SITE localhost",
            "Define GREETER_HTTP_PORT 80": f"Define GREETER_HTTP_PORT {http_port}",
            "Define GREETER_HTTPS_PORT 443": f"Define GREETER_HTTPS_PORT {https_port}",
            "Define GREETER_URL https://${GREETER_SITE}": f"Define GREETER_URL {OTHER_PORTS_URL}",
            SHIPPED_CERT: str(certificate.certfile),
            SHIPPED_KEY: str(certificate.keyfile),
            SHIPPED_STUDENTS_FILE: str(folder / "students.conf"),
        },
    )
    (folder / "greeter-course.conf").write_text(site)
    # as on Debian: root starts Apache, its workers (which connect to the sockets) run as www-data
    (folder / "httpd.conf").write_text(f"""{apache_main_config(folder, COURSE_APACHE_MODULES)}
{apache_logging(folder / "log")}
Include {APACHE_MPM_FILE}
Listen 127.0.0.1:{http_port}
Listen 127.0.0.1:{https_port}
Include {folder}/greeter-course.conf
""")
    start([binary, "-f", str(folder / "httpd.conf"), "-DFOREGROUND"], "resuming normal operations")
    return WebServer(
        https=f"https://localhost:{https_port}",
        http=f"http://localhost:{http_port}",
        logs=folder / "log",
        other_host_http=f"http://127.0.0.1:{http_port}",
        error_log=folder / "log" / "error.log",
    )


def nginx_course_site(
    start: StartServer, folder: Path, sockets: Path, certificate: Certificate, timeout: int = SHIPPED_TIMEOUT
) -> WebServer:
    """nginx with greeter-course.conf and the recipe's two lines of nginx.conf."""
    binary = require_tool("/usr/sbin/nginx", "apt-get install nginx")
    folder.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    site = shipped_with(
        NGINX_FILE,
        {
            "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
            "listen 443 ssl default_server;": f"listen 127.0.0.1:{https_port} ssl default_server;",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            f"server_name {SHIPPED_SITE};": "server_name localhost;",
            f"https://{SHIPPED_SITE}": f"https://localhost:{https_port}",
            SHIPPED_CERT: str(certificate.certfile),
            SHIPPED_KEY: str(certificate.keyfile),
            SHIPPED_FOLDER: str(sockets),
            f"proxy_read_timeout {SHIPPED_TIMEOUT}s;": f"proxy_read_timeout {timeout}s;",
            f"proxy_send_timeout {SHIPPED_TIMEOUT}s;": f"proxy_send_timeout {timeout}s;",
            f"within {SHIPPED_TIMEOUT} seconds": f"within {timeout} seconds",
        },
    )
    (folder / "greeter-course.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        nginx_main_config(folder, folder / "greeter-course.conf", main=NGINX_MAIN, events=NGINX_EVENTS)
    )
    nginx = start([binary, "-c", str(folder / "nginx.conf"), "-p", str(folder)], "start worker process")
    return WebServer(
        https=f"https://localhost:{https_port}",
        http=f"http://localhost:{http_port}",
        other_host_http=f"http://127.0.0.1:{http_port}",
        error_log=nginx.stderr_path,
    )
