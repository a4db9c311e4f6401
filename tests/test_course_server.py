"""The course server for real: one web server in front of every student's greeter, each on its own Unix socket.

deploy/apache/greeter-course.conf (with the students' file `greeter course apache-config` makes, and the MPM file)
and deploy/nginx/greeter-course.conf, as shipped but for their addresses, certificate and socket folder
(tests/course_site.py), run in front of three greeters started by three real accounts (g11ann, g11bob, g11cat), each
in the socket folder docs/production.md has the admin make. The web servers' workers run as www-data, as on Debian,
so the file permissions are really what lets them in and keeps other students out. A hung and flooded student,
and a socket that is a link to a classmate's: test_course_scene.py.
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
    REQUEST_ROW,
    STUDENTS,
    UNIX_SOCKET_READY,
    Certificate,
    Server,
    StartServer,
    as_user,
    assert_stream_is_not_buffered,
    client_from_elsewhere,
    command_path,
    student_socket_folder,
    unix_account,
    wait_for_log_line,
)
from course_site import WebServer, apache_course_site, nginx_course_site
from test_unix_socket import connect_as

NOT_RUNNING = "g11dan"  # has a folder, as every student, but no greeter running
FULL = "g11bob"  # a greeter whose live stream takes no viewers
FORGED = {
    "X-Forwarded-For": "198.51.100.66",
    "X-Forwarded-Proto": "gopher",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Prefix": "/~g11bob/greeter",
}
# greeter's security headers, which the web server adds to its own pages (greeter's answers carry their own)
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")
HSTS = "max-age=31536000"


@dataclass(frozen=True)
class Course:
    """The students' greeters and their sockets."""

    greeters: dict[str, Server]
    sockets: dict[str, Path]
    folder: Path


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
    student_socket_folder(socket_folders, unix_account(NOT_RUNNING))
    return Course(greeters, sockets, socket_folders)


@pytest.fixture(scope="module")
def apache(
    start_module_server: StartServer, tmp_path_factory: pytest.TempPathFactory, course: Course, self_signed: Certificate
) -> WebServer:
    return apache_course_site(start_module_server, tmp_path_factory.mktemp("apache-course"), course.folder, self_signed)


@pytest.fixture(scope="module")
def nginx(
    start_module_server: StartServer, tmp_path_factory: pytest.TempPathFactory, course: Course, self_signed: Certificate
) -> WebServer:
    return nginx_course_site(start_module_server, tmp_path_factory.mktemp("nginx-course"), course.folder, self_signed)


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


@pytest.mark.parametrize(
    "path", ["/~G11ann/greeter/", "/~g11ann.x/greeter/", "/~/greeter/", "/~g11ann/greeterx/", "/", "/index.html"]
)
async def test_anything_else_is_the_courses_own_404(web: WebServer, browser_like: httpx.AsyncClient, path: str) -> None:
    # not relayed to any greeter, and not the web server's welcome page ("It works!", "Welcome to nginx!")
    page = await browser_like.get(web.https + path)
    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "Each student's greeter is at <code>https://localhost:" in page.text


async def test_plain_http_goes_to_https_on_the_sites_own_name(web: WebServer, browser_like: httpx.AsyncClient) -> None:
    redirect = await browser_like.get(f"{web.http}/~g11ann/greeter/hello/")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == f"{web.https}/~g11ann/greeter/hello/"


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_another_host_name_is_misdirected_never_redirected(
    web: WebServer, browser_like: httpx.AsyncClient, scheme: str
) -> None:
    # Host: evil.example once gave 308 https://evil.example/...: a name the site does not answer for ends at once
    base = web.http if scheme == "http" else web.https
    answer = await browser_like.get(f"{base}/~g11ann/greeter/hello", headers={"Host": "evil.example"})
    assert answer.status_code == 421
    assert "location" not in answer.headers
    by_address = await browser_like.get(f"{web.other_host_http}/~g11ann/greeter/")  # Host: 127.0.0.1:PORT
    assert by_address.status_code == 421


async def test_every_https_answer_has_hsts_and_one_policy(web: WebServer, browser_like: httpx.AsyncClient) -> None:
    own_pages = [f"/~{NOT_RUNNING}/greeter/", "/", "/~G11ann/greeter/"]  # the web server's: 503, 404, 404
    for path in own_pages:
        page = await browser_like.get(web.https + path)
        assert page.headers["strict-transport-security"] == HSTS, path
        for name in SECURITY_HEADERS:
            assert len(page.headers.get_list(name)) == 1, (path, name)
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
    # greeter's own answers keep their own policy, with no second one added (two would both apply)
    for path in ("/process/", "/hello/", "/no/such/page"):
        page = await browser_like.get(f"{web.https}/~g11ann/greeter{path}")
        assert page.headers["strict-transport-security"] == HSTS
        policies = page.headers.get_list("content-security-policy")
        assert len(policies) == 1 and "'sha256-" in policies[0], (path, policies)
        for name in SECURITY_HEADERS:
            assert len(page.headers.get_list(name)) == 1, (path, name)


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
