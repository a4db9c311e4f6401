"""The course server for real: one web server in front of every student's greeter, each on its own Unix socket.

deploy/apache/greeter-course.conf and deploy/nginx/greeter-course.conf, as shipped but for their addresses,
certificate and socket folder, run in front of three greeters started by three real accounts (g11ann, g11bob,
g11cat), each in the socket folder docs/production.md has the admin make. The web servers' workers run as www-data, as
on Debian, so the file permissions are really what lets them in and keeps other students out.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import (
    CLIENT_ADDRESS,
    PAGE_PID,
    REPO_ROOT,
    REQUEST_ROW,
    STUDENTS,
    UNIX_SOCKET_READY,
    Certificate,
    Server,
    StartServer,
    apache_logging,
    apache_main_config,
    as_user,
    assert_stream_is_not_buffered,
    client_from_elsewhere,
    command_path,
    free_port,
    nginx_main_config,
    require_tool,
    student_socket_folder,
    unix_account,
    wait_for_log_line,
)
from test_unix_socket import connect_as

APACHE_FILE = REPO_ROOT / "deploy" / "apache" / "greeter-course.conf"
NGINX_FILE = REPO_ROOT / "deploy" / "nginx" / "greeter-course.conf"
SHIPPED_FOLDER = "/srv/greeter-sockets"
SHIPPED_CERT = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
SHIPPED_KEY = "/etc/ssl/private/ssl-cert-snakeoil.key"
NOT_RUNNING = "g11dan"  # has no greeter running (nor a folder)
FULL = "g11bob"  # a greeter whose live stream takes no viewers
FORGED = {
    "X-Forwarded-For": "198.51.100.66",
    "X-Forwarded-Proto": "gopher",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Prefix": "/~g11bob/greeter",
}


@dataclass(frozen=True)
class Course:
    """The students' greeters and their sockets."""

    greeters: dict[str, Server]
    sockets: dict[str, Path]
    folder: Path


@dataclass(frozen=True)
class WebServer:
    https: str  # https://localhost:PORT
    http: str  # http://127.0.0.1:PORT, which only redirects
    logs: Path | None = None  # Apache's ${APACHE_LOG_DIR}


@pytest.fixture(scope="module")
def course(start_module_server: StartServer, socket_folders: Path) -> Course:
    greeters, sockets = {}, {}
    for name in STUDENTS:
        user = unix_account(name)
        sockets[user] = student_socket_folder(socket_folders, user) / "greeter.sock"
        # exactly what docs/production.md has each student type, as that student
        argv = as_user(user, [command_path("greeter"), "--socket", str(sockets[user])])
        env = {"GREETER_PROCESS_TICK_SECONDS": "0.2"}
        if user == FULL:  # its live stream answers greeter's own 503, which the web server must pass on as it is
            env["GREETER_STREAM_MAX_VIEWERS"] = "0"
        greeters[user] = start_module_server(argv, UNIX_SOCKET_READY, env=env)
    return Course(greeters, sockets, socket_folders)


def shipped_with(path: Path, replacements: dict[str, str]) -> str:
    """The shipped file with its addresses, certificate and socket folder made this test's: nothing else."""
    text = path.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def apache(
    start_module_server: StartServer, tmp_path_factory: pytest.TempPathFactory, course: Course, self_signed: Certificate
) -> WebServer:
    binary = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    folder = tmp_path_factory.mktemp("apache-course")
    folder.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    site = shipped_with(
        APACHE_FILE,
        {
            "<VirtualHost *:80>": f"<VirtualHost 127.0.0.1:{http_port}>",
            "<VirtualHost *:443>": f"<VirtualHost 127.0.0.1:{https_port}>",
            SHIPPED_CERT: str(self_signed.certfile),
            SHIPPED_KEY: str(self_signed.keyfile),
            SHIPPED_FOLDER: str(course.folder),
        },
    )
    (folder / "greeter-course.conf").write_text(site)
    modules = ["mpm_event", "authz_core", "headers", "ssl", "rewrite", "proxy", "proxy_http"]
    # as on Debian: root starts Apache, its workers (which connect to the sockets) run as www-data
    (folder / "httpd.conf").write_text(f"""{apache_main_config(folder, modules)}
{apache_logging(folder / "log")}
Listen 127.0.0.1:{http_port}
Listen 127.0.0.1:{https_port}
Include {folder}/greeter-course.conf
""")
    start_module_server([binary, "-f", str(folder / "httpd.conf"), "-DFOREGROUND"], "resuming normal operations")
    return WebServer(https=f"https://localhost:{https_port}", http=f"http://127.0.0.1:{http_port}", logs=folder / "log")


@pytest.fixture(scope="module")
def nginx(
    start_module_server: StartServer, tmp_path_factory: pytest.TempPathFactory, course: Course, self_signed: Certificate
) -> WebServer:
    binary = require_tool("/usr/sbin/nginx", "apt-get install nginx")
    folder = tmp_path_factory.mktemp("nginx-course")
    folder.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    site = shipped_with(
        NGINX_FILE,
        {
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            SHIPPED_CERT: str(self_signed.certfile),
            SHIPPED_KEY: str(self_signed.keyfile),
            SHIPPED_FOLDER: str(course.folder),
        },
    )
    (folder / "greeter-course.conf").write_text(site)
    (folder / "nginx.conf").write_text(nginx_main_config(folder, folder / "greeter-course.conf"))
    start_module_server([binary, "-c", str(folder / "nginx.conf"), "-p", str(folder)], "start worker process")
    return WebServer(https=f"https://localhost:{https_port}", http=f"http://127.0.0.1:{http_port}")


@pytest.fixture(params=["apache", "nginx"])
def web(request: pytest.FixtureRequest) -> WebServer:
    server: WebServer = request.getfixturevalue(request.param)
    return server


@pytest.fixture
async def browser_like(self_signed: Certificate) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from_elsewhere(self_signed) as client:
        yield client


async def test_each_student_has_their_own_pages(web: WebServer, browser_like: httpx.AsyncClient) -> None:
    for user in STUDENTS:
        base = f"{web.https}/~{user}/greeter"
        answers = {
            "/": "Hello World!",
            "/hello/": "Greetings and Felicitations",
            f"/hello/{user}": f"Hello {user}, nice to meet you!",
            "/hello/Ann%20%3Cb%3E": "Hello Ann &lt;b&gt;, nice to meet you!",
            "/hello/a%3Fb": "Hello a?b, nice to meet you!",  # passed on as sent: not unescaped on the way
            "/hello/%2541": "Hello %41, nice to meet you!",
        }
        for path, body in answers.items():
            response = await browser_like.get(base + path)
            assert (response.status_code, response.text) == (200, body), (user, path)
        greet = await browser_like.get(f"{base}/greet/")
        assert greet.status_code == 200 and "<h1>Hail</h1>" in greet.text
        assert (await browser_like.get(f"{base}/no/such/page")).status_code == 404


async def test_redirects_keep_the_public_scheme_host_and_prefix(
    web: WebServer, browser_like: httpx.AsyncClient
) -> None:
    for user in STUDENTS:
        base = f"{web.https}/~{user}/greeter"
        redirect = await browser_like.get(f"{base}/hello?name=Ann", headers=FORGED)
        assert (redirect.status_code, redirect.headers["location"]) == (308, f"{base}/hello/?name=Ann")
        # without the slash: to the slash, by the web server, as the app does for /hello
        bare = await browser_like.get(base + "?x=1")
        assert (bare.status_code, bare.headers["location"]) == (308, f"{base}/?x=1")


async def test_each_student_is_their_own_process_seen_from_the_real_client(
    web: WebServer, browser_like: httpx.AsyncClient, course: Course
) -> None:
    for user, greeter in course.greeters.items():
        base = f"{web.https}/~{user}/greeter"
        page = await browser_like.get(f"{base}/process/", headers=FORGED)
        assert PAGE_PID.search(page.text)[1] == str(greeter.process.pid)  # type: ignore[index]
        # forged X-Forwarded-* change nothing: the client, scheme, host and prefix are the web server's word
        assert REQUEST_ROW.search(page.text).groups() == (CLIENT_ADDRESS, f"{base}/")  # type: ignore[union-attr]
        assert f'data-stream="/~{user}/greeter/process/stream"' in page.text
    assert len({greeter.process.pid for greeter in course.greeters.values()}) == len(STUDENTS)


async def test_the_live_stream_comes_through(web: WebServer, browser_like: httpx.AsyncClient) -> None:
    await assert_stream_is_not_buffered(browser_like, f"{web.https}/~g11cat/greeter/process/stream")


async def test_a_student_who_is_not_running_gets_a_clear_page(web: WebServer, browser_like: httpx.AsyncClient) -> None:
    for path in ("/", "/hello/Ann"):
        page = await browser_like.get(f"{web.https}/~{NOT_RUNNING}/greeter{path}")
        assert page.status_code == 503
        # the header and the page's <meta charset> agree (Apache's own error pages are iso-8859-1)
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert '<meta charset="utf-8">' in page.text
        assert f"<h1>{NOT_RUNNING}'s greeter is not running</h1>" in page.text


async def test_greeters_own_503_passes_through_unchanged(web: WebServer, browser_like: httpx.AsyncClient) -> None:
    full = await browser_like.get(f"{web.https}/~{FULL}/greeter/process/stream")
    assert full.status_code == 503
    assert full.headers["content-type"] == "text/plain; charset=utf-8"
    assert full.headers["retry-after"] == "5"
    assert full.text == "Too many live viewers; try again in a few seconds."


@pytest.mark.parametrize("path", ["/~G11ann/greeter/", "/~g11ann.x/greeter/", "/~/greeter/", "/~g11ann/greeterx/"])
async def test_only_well_formed_user_names_are_relayed(
    web: WebServer, browser_like: httpx.AsyncClient, path: str
) -> None:
    # not relayed to any greeter: the web server's own answer (nginx's 403 for its empty root, Apache's 404)
    assert (await browser_like.get(web.https + path)).status_code in (403, 404)


async def test_plain_http_goes_to_https(web: WebServer, browser_like: httpx.AsyncClient) -> None:
    redirect = await browser_like.get(f"{web.http}/~g11ann/greeter/hello/")
    assert redirect.status_code == 301
    assert redirect.headers["location"].startswith("https://127.0.0.1")
    assert redirect.headers["location"].endswith("/~g11ann/greeter/hello/")


def test_another_local_user_cannot_reach_a_students_socket(course: Course) -> None:
    # what a student could try on the course server itself: EACCES, before greeter ever sees a request
    refused = connect_as("g11bob", course.sockets["g11ann"])
    assert refused.returncode != 0 and "Permission denied" in refused.stderr
    assert connect_as("www-data", course.sockets["g11ann"]).stdout == "connected\n"


async def test_apache_logs_every_request_in_its_access_log(apache: WebServer, browser_like: httpx.AsyncClient) -> None:
    # docs/production.md names /var/log/apache2/access.log: the site file's own CustomLog, in ${APACHE_LOG_DIR}
    assert (await browser_like.get(f"{apache.https}/~g11ann/greeter/hello/Logged")).status_code == 200
    assert (await browser_like.get(f"{apache.https}/~{NOT_RUNNING}/greeter/logged")).status_code == 503
    assert (await browser_like.get(f"{apache.http}/~g11ann/greeter/logged")).status_code == 301
    assert apache.logs is not None
    for request in (
        '"GET /~g11ann/greeter/hello/Logged HTTP/1.1" 200 ',
        f'"GET /~{NOT_RUNNING}/greeter/logged HTTP/1.1" 503 ',
        '"GET /~g11ann/greeter/logged HTTP/1.1" 301 ',
    ):
        line = wait_for_log_line(apache.logs / "access.log", re.escape(request))
        assert line.startswith(f"{CLIENT_ADDRESS} - - [")
