"""The course server on other ports than 80 and 443: the lines of "On other ports" in docs/production.md, run on
copies of the shipped site files and of Debian's ports.conf, give a site that listens, redirects and names itself
on those ports, and that answers curl as the page shows it from the server itself (the site's name resolved to
loopback); a request for the bare address gets the 421.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from conftest import (
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
from course_site import (
    APACHE_FILE,
    COURSE_APACHE_MODULES,
    NGINX_FILE,
    SHIPPED_CERT,
    SHIPPED_KEY,
    SHIPPED_SITE,
    SHIPPED_STUDENTS_FILE,
    shipped_with,
)
from test_course_recipe import PAGE

DEBIAN_PORTS_CONF = Path("/etc/apache2/ports.conf")
SITE_FILE = "/etc/apache2/sites-available/greeter-course.conf"
NGINX_SITE_FILE = "/etc/nginx/conf.d/greeter-course.conf"
RUN_TIMEOUT = scaled(30)
SECTION = PAGE.split("### On other ports, and trying it from the server\n", 1)[1].split("\n### ", 1)[0]
BLOCKS = re.findall(r"```sh\n(.*?)```", SECTION, re.DOTALL)
APACHE_LINES, NGINX_LINES, CURL_LINE = BLOCKS[0].splitlines(), BLOCKS[1].splitlines(), BLOCKS[2].strip()


def run_the_pages_lines(lines: list[str], files: dict[str, Path], http_port: int, https_port: int) -> None:
    """The page's lines, with the test's ports and the copies for the system's files; not the reload."""
    script = [f"SITE={SHIPPED_SITE}"]
    for line in lines:
        if line.startswith(("apache2ctl", "nginx -t")):
            continue
        line = line.replace("HTTP_PORT=18080 HTTPS_PORT=18443", f"HTTP_PORT={http_port} HTTPS_PORT={https_port}")
        for system_path, copy in files.items():
            line = line.replace(system_path, str(copy))
        script.append(line)
    subprocess.run(["bash", "-euc", "\n".join(script)], check=True, timeout=RUN_TIMEOUT)


def on_loopback(ports_conf: str) -> str:
    """ports.conf with each Listen on 127.0.0.1 only: a test listens nowhere else."""
    return re.sub(r"^(\s*Listen)\s+(\d+)$", r"\1 127.0.0.1:\2", ports_conf, flags=re.MULTILINE)


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    command = require_tool("curl", "apt-get install curl")
    return subprocess.run(
        [command, "--silent", "--show-error", "--max-time", str(RUN_TIMEOUT), *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT + 5,
    )


def test_apache_on_other_ports(
    start_server: StartServer, tmp_path: Path, self_signed: Certificate, socket_folders: Path
) -> None:
    binary = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    require_tool("/usr/bin/curl", "apt-get install curl")
    tmp_path.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    ports_conf, site = tmp_path / "ports.conf", tmp_path / "greeter-course.conf"
    shutil.copy(DEBIAN_PORTS_CONF, ports_conf)
    shutil.copy(APACHE_FILE, site)
    run_the_pages_lines(APACHE_LINES, {"/etc/apache2/ports.conf": ports_conf, SITE_FILE: site}, http_port, https_port)
    # Debian's three Listen lines, each on its new port, and none left on 80 or 443
    listens = re.findall(r"^\s*Listen\s+(\S+)$", ports_conf.read_text(), re.MULTILINE)
    assert listens == [str(http_port), str(https_port), str(https_port)], listens
    students = subprocess.run(
        [command_path("greeter"), "course", "apache-config", str(socket_folders)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=True,
    )
    (tmp_path / "students.conf").write_text(students.stdout)
    site.write_text(
        shipped_with(
            site,
            {
                SHIPPED_CERT: str(self_signed.certfile),
                SHIPPED_KEY: str(self_signed.keyfile),
                SHIPPED_STUDENTS_FILE: str(tmp_path / "students.conf"),
            },
        )
    )
    # the edited ports.conf as Apache reads it, before the site
    (tmp_path / "httpd.conf").write_text(f"""{apache_main_config(tmp_path, COURSE_APACHE_MODULES)}
{apache_logging(tmp_path / "log")}
{on_loopback(ports_conf.read_text())}
Include {site}
""")
    start_server([binary, "-f", str(tmp_path / "httpd.conf"), "-DFOREGROUND"], "resuming normal operations")
    address = f"https://{SHIPPED_SITE}:{https_port}"
    resolve = ["--resolve", f"{SHIPPED_SITE}:{https_port}:127.0.0.1"]

    # the page's curl, on these ports: a name with no student's worker is the course's 404, naming the address
    argv = CURL_LINE.replace("$SITE:443", f"{SHIPPED_SITE}:{https_port}").replace(
        "$SITE", f"{SHIPPED_SITE}:{https_port}"
    )
    assert argv.split()[:3] == ["curl", "--resolve", f"{SHIPPED_SITE}:{https_port}:127.0.0.1"], argv
    page = curl("-k", "--write-out", "\n%{http_code}", *argv.split()[1:])
    assert page.stdout.endswith("\n404"), page
    assert f"<code>{address}/~&lt;user&gt;/greeter/</code>" in page.stdout
    # port 80's replacement redirects to the HTTPS port, by the site's own name
    redirect = curl(
        "--resolve",
        f"{SHIPPED_SITE}:{http_port}:127.0.0.1",
        "--write-out",
        "%{http_code} %{redirect_url}",
        "--output",
        "/dev/null",
        f"http://{SHIPPED_SITE}:{http_port}/~ann/greeter/",
    )
    assert redirect.stdout == f"301 {address}/~ann/greeter/", redirect
    # the bare address is not the site's name: 421, by design
    bare = curl(
        "-k", "--write-out", "%{http_code}", "--output", "/dev/null", f"https://127.0.0.1:{https_port}/~ann/greeter/"
    )
    assert bare.stdout == "421", bare
    root = curl("-k", *resolve, "--write-out", "%{http_code}", "--output", "/dev/null", f"{address}/")
    assert root.stdout == "404", root  # the site's root, by its name: the course's 404


def test_nginx_on_other_ports(tmp_path: Path, self_signed: Certificate) -> None:
    binary = require_tool("/usr/sbin/nginx", "apt-get install nginx")
    http_port, https_port = free_port(), free_port()
    site = tmp_path / "greeter-course.conf"
    shutil.copy(NGINX_FILE, site)
    run_the_pages_lines(NGINX_LINES, {NGINX_SITE_FILE: site}, http_port, https_port)
    text = site.read_text()
    assert re.findall(r"^\s*listen\s+(\d+)", text, re.MULTILINE) == [str(port) for port in (http_port, https_port) * 2]
    # every URL of the site has the port: the two redirects and the 404 page (and the file's first comment)
    assert text.count(f"https://{SHIPPED_SITE}:{https_port}") == text.count(f"https://{SHIPPED_SITE}") >= 3
    site.write_text(
        shipped_with(site, {SHIPPED_CERT: str(self_signed.certfile), SHIPPED_KEY: str(self_signed.keyfile)})
    )
    (tmp_path / "nginx.conf").write_text(nginx_main_config(tmp_path, site))
    checked = subprocess.run(
        [binary, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert checked.returncode == 0, checked.stderr
