"""Fixtures: both apps and their test clients, real servers on loopback, and tools the suite needs."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.async_api import Browser, async_playwright
from quart import Quart
from quart.testing import QuartClient
from werkzeug.datastructures import Headers

from greeter import create_app
from greeter.flask_twin import create_flask_app

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs"  # one page per reader; the README links each

BIN_DIR = Path(sys.executable).parent  # the console scripts of the environment running the tests


def _time_scale() -> float:
    """How much longer than on a quiet machine every wait may take: the load per core when the run starts (CI and
    the engineers' runs share machines; under a load of 8 on 2 cores a start took four times as long), from 1 to 4,
    or GREETER_TEST_TIME_SCALE. Deadlines only catch a bug that hangs: nothing here measures a speed."""
    if "GREETER_TEST_TIME_SCALE" in os.environ:
        return float(os.environ["GREETER_TEST_TIME_SCALE"])
    return min(4.0, max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))


TIME_SCALE = _time_scale()


def scaled(seconds: float) -> float:
    """A deadline of `seconds` on a quiet machine, as long as this machine needs now."""
    return seconds * TIME_SCALE


STARTUP_TIMEOUT = scaled(20.0)
STOP_TIMEOUT = scaled(15.0)
TEST_TIMEOUT = 120.0  # pyproject.toml's: the per-test timeout of pytest-timeout, scaled below
# an HTTP client lets a kept-alive connection go well before the server's keep_alive_timeout (5 s in
# hypercorn.toml) closes it: at the same 5 s (httpx's default) a request sent just as the server closes is lost
KEEP_ALIVE_LIMITS = httpx.Limits(keepalive_expiry=1.0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test's own timeout, where it sets none, scaled as the deadlines are."""
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(scaled(TEST_TIMEOUT)))


# every run is a student's run: a root shell here had PYTHONUNBUFFERED=1 and hid servers whose output, sent to a
# file, waited in a buffer (`quart run`'s "Running on" never came). The servers are given it on purpose instead.
os.environ.pop("PYTHONUNBUFFERED", None)


@pytest.fixture
def app() -> Quart:
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Quart) -> QuartClient:
    test_client = app.test_client()
    assert isinstance(test_client, QuartClient)  # the protocol Quart declares lacks open()'s defaults
    return test_client


@pytest.fixture
def flask_app() -> Flask:
    return create_flask_app({"TESTING": True})


@pytest.fixture
def flask_client(flask_app: Flask) -> FlaskClient:
    return flask_app.test_client()


@dataclass(frozen=True)
class Answer:
    """One answer from either app's test client, in one shape."""

    status: int
    headers: Headers  # names in any case, as a client reads them
    text: str


Fetch = Callable[..., Awaitable[Answer]]


def fetcher(app: Quart | Flask) -> Fetch:
    """`await fetch(path, method=..., headers=...)` through the app's own test client, Quart or Flask alike."""
    if isinstance(app, Quart):
        quart_client = app.test_client()
        assert isinstance(quart_client, QuartClient)  # the protocol Quart declares lacks open()'s defaults

        async def fetch_quart(path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
            response = await quart_client.open(path, method=method, headers=headers)
            return Answer(response.status_code, response.headers, await response.get_data(as_text=True))

        return fetch_quart
    flask_client = app.test_client()

    async def fetch_flask(path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
        response = flask_client.open(path, method=method, headers=headers)
        return Answer(response.status_code, response.headers, response.get_data(as_text=True))

    return fetch_flask


APP_FACTORIES: dict[str, Callable[..., Quart | Flask]] = {"quart": create_app, "flask": create_flask_app}


@pytest.fixture(params=list(APP_FACTORIES))
def make_fetch(request: pytest.FixtureRequest) -> Callable[..., Fetch]:
    """Each test runs against both apps: `make_fetch({"PROXY_HOPS": 1})` is a fetch for one with that config."""
    factory = APP_FACTORIES[request.param]

    def make(config: dict[str, Any] | None = None) -> Fetch:
        return fetcher(factory({"TESTING": True, **(config or {})}))

    return make


def command_path(name: str) -> str:
    """A console script of the environment running the tests (greeter, hypercorn, flask)."""
    path = BIN_DIR / name
    return str(path) if path.exists() else name


GREETER_RUN_TIMEOUT = scaled(30)


def run_greeter(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The `greeter` command run to its end, as a person types it, its output kept."""
    return subprocess.run(
        [command_path("greeter"), *args],
        capture_output=True,
        text=True,
        timeout=GREETER_RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def require_tool(name: str, install_hint: str) -> str:
    """The path of an outside tool; without it, skip locally (saying what to install) and fail under CI."""
    path = shutil.which(name)
    if path is None:
        message = f"needs `{name}`: {install_hint}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI must install it)")
        pytest.skip(message)
    return path


@dataclass
class Server:
    """A server process on loopback, its output kept in files so a full pipe can never block it."""

    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    base_url: str = ""
    exit_status: int | None = field(default=None)
    signalled: bool = False

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of a server on plain HTTP, for raw sockets."""
        host, _, port = self.host_port.rpartition(":")
        return host, int(port)

    @property
    def host_port(self) -> str:
        """host:port of a server on plain HTTP, as proxy configs name it."""
        return self.base_url.removeprefix("http://")

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = STARTUP_TIMEOUT) -> re.Match[str]:
        """Wait until the output matches; fail with the output if it does not, or the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output())
            if match:
                return match
            if self.process.poll() is not None:
                pytest.fail(f"server exited with {self.process.returncode} before {pattern!r}:\n{self.output()}")
            time.sleep(0.05)
        pytest.fail(f"server did not print {pattern!r} within {timeout} s:\n{self.output()}")

    def send(self, signal_number: int = signal.SIGTERM) -> None:
        """Ask the server to stop, once: a second signal during shutdown means 'stop now' to most servers."""
        if not self.signalled and self.process.poll() is None:
            self.process.send_signal(signal_number)
            self.signalled = True

    def stop(self, signal_number: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Signal (unless already done) and wait for the exit status; kill it and fail if it does not stop in time."""
        self.send(signal_number)
        try:
            self.exit_status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"server did not stop within {timeout} s of signal {signal_number}:\n{self.output()}")
        return self.exit_status


StartServer = Callable[..., Server]


def server_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A server's environment: ours, unbuffered (its output goes to a file that we read while it runs), and extra."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", **(extra or {})}


@contextmanager
def server_starter(folder: Path) -> Iterator[StartServer]:
    """Start commands as servers, their output in `folder`; every one still running at the end is stopped."""
    servers: list[Server] = []

    def start(argv: list[str], ready: str, *, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT) -> Server:
        """Start and wait for `ready` in the output; its group `url`, if it has one, is the server's base URL."""
        number = len(servers)
        stdout_path, stderr_path = folder / f"server{number}.out", folder / f"server{number}.err"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            # a session of its own: at the end the whole group is stopped, workers and children included
            process = subprocess.Popen(
                argv,
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=server_environment(env),
                start_new_session=True,
            )
        server = Server(process, stdout_path, stderr_path)
        servers.append(server)
        server.base_url = (server.wait_for(ready).groupdict().get("url") or "").rstrip("/")
        return server

    try:
        yield start
    finally:
        for server in servers:
            stop_group(server.process)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a server's whole process group: SIGTERM (Apache and nginx stop their children on it), then SIGKILL."""
    with suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def spawned(argv: list[str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """A command started in a session of its own, and its whole group killed on the way out whatever the test did:
    a process a failed test left running would load the machine and change what later tests see."""
    with subprocess.Popen(argv, start_new_session=True, **popen) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def copy_of_the_package(folder: Path, views_added: str = "", graceful_timeout: float | None = None) -> Path:
    """A student's copy of greeter in folder/checkout (the package, the templates, hypercorn.toml, pyproject.toml),
    its views.py ending with views_added: `python -m greeter` run in that folder (the current folder comes first on
    sys.path), or with it first on PYTHONPATH, serves this copy, and --reload watches it."""
    checkout = folder / "checkout"
    for name in ("greeter", "templates"):
        shutil.copytree(REPO_ROOT / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", checkout / "pyproject.toml")
    config = (REPO_ROOT / "hypercorn.toml").read_text()
    if graceful_timeout is not None:
        config = re.sub(r"(?m)^graceful_timeout = .*$", f"graceful_timeout = {graceful_timeout}", config)
    (checkout / "hypercorn.toml").write_text(config)
    with (checkout / "greeter" / "views.py").open("a") as views:
        views.write(views_added)
    return checkout


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start a command as a server for one test."""
    with server_starter(tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
def start_module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """Start a command as a server for every test of a module."""
    with server_starter(tmp_path_factory.mktemp("servers")) as start:
        yield start


# the greeter banner's URL line; used to learn the real port when serving on port 0
GREETER_READY = r"serving (?P<url>https?://\S+)"
# what Hypercorn and Werkzeug's development server both log once they listen
RUNNING_ON = r"Running on (?P<url>http://\S+)"


@pytest.fixture
def greeter_server(start_server: StartServer) -> Server:
    """The real `greeter` command on any free loopback port."""
    return start_server([command_path("greeter"), "0"], GREETER_READY)


def command_lines_in_session(leader: int) -> list[str]:
    """The command lines of the processes of a session but its leader, as `ps` shows them."""
    lines = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # the fields after the command name, in parentheses: state, parent, process group, session
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[3]) == leader and int(stat.parent.name) != leader:
                command = (stat.parent / "cmdline").read_bytes()
                lines.append(command.replace(b"\0", b" ").decode(errors="replace").strip())
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
    return lines


async def read_figures(http: httpx.AsyncClient) -> dict[str, Any]:
    """The serving process's figures: the first event of its stream, read on a new connection."""
    async with http.stream("GET", "/process/stream", headers={"Connection": "close"}) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                figures: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return figures
    raise AssertionError("the stream ended before its first event")


# Debian's Chromium, driven by Playwright: browser downloads are not possible here. The flags keep it off
# the network (this machine has none) and let it run as root.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_TIMEOUT_MS = 30_000


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium."""
    require_tool(CHROMIUM, "apt-get install chromium")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=BROWSER_TIMEOUT_MS
        )
        yield chromium
        await chromium.close()


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, and its key, in PEM files."""

    certfile: Path
    keyfile: Path


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)  # self-signed: it vouches for itself, and the test client trusts exactly it
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    pair = Certificate(folder / "cert.pem", folder / "key.pem")
    pair.certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    pair.keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return pair


# behind a proxy: clients connect from 127.0.0.2, so their address differs from the proxy's own 127.0.0.1
CLIENT_ADDRESS = "127.0.0.2"
PROXY_HTTP_TIMEOUT = scaled(10.0)
# what the /process/ page says of the request it answers, and of the process that answered
REQUEST_ROW = re.compile(r'data-figure="client">([^<]*)</span> to <span data-figure="url_root">([^<]*)<')
PAGE_PID = re.compile(r'<strong data-figure="pid">(\d+)</strong>')


def client_from_elsewhere(certificate: Certificate) -> httpx.AsyncClient:
    """A client from 127.0.0.2 that trusts the test certificate and follows no redirects by itself."""
    transport = httpx.AsyncHTTPTransport(
        local_address=CLIENT_ADDRESS, verify=ssl.create_default_context(cafile=str(certificate.certfile))
    )
    return httpx.AsyncClient(transport=transport, timeout=PROXY_HTTP_TIMEOUT, limits=KEEP_ALIVE_LIMITS)


def free_port() -> int:
    """A loopback port free right now, for a server that cannot be told to take any (Apache, nginx)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Debian's Apache gives a site file ${APACHE_LOG_DIR} (/etc/apache2/envvars) and the named log formats, such as
# `combined` (/etc/apache2/apache2.conf); the tests' Apache, which includes the shipped site files, needs both
DEBIAN_APACHE_CONF = Path("/etc/apache2/apache2.conf")
LOG_TIMEOUT = scaled(10.0)


def apache_logging(log_dir: Path) -> str:
    """The lines of an httpd.conf that let a site file's ErrorLog and CustomLog work as on Debian, in log_dir."""
    log_dir.mkdir(exist_ok=True)
    formats = [line for line in DEBIAN_APACHE_CONF.read_text().splitlines() if line.startswith("LogFormat ")]
    return "\n".join([f"Define APACHE_LOG_DIR {log_dir}", *formats])


APACHE_MODULES = Path("/usr/lib/apache2/modules")


def apache_main_config(folder: Path, modules: list[str]) -> str:
    """The top of a minimal httpd.conf in the test's folder: the modules a site needs, and, as on Debian, workers
    that run as www-data when root starts Apache. The test adds its Listen lines and includes the site."""
    loads = "\n".join(f"LoadModule {name}_module {APACHE_MODULES}/mod_{name}.so" for name in modules)
    user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    return f"""
ServerRoot {folder}
ServerName 127.0.0.1
PidFile {folder}/httpd.pid
DefaultRuntimeDir {folder}
ErrorLog /dev/stderr
LogLevel notice
{user}
{loads}
"""


def nginx_main_config(folder: Path, site: Path, main: str = "", events: str = "") -> str:
    """A minimal nginx.conf in the test's folder around one site file; workers as www-data when root starts it.
    main and events: directives for the top level and for events {}, as the course's recipe adds them."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user www-data;" if os.geteuid() == 0 else ""
    return f"""
{user}
daemon off;
pid {folder}/nginx.pid;
error_log stderr notice;
{main}
events {{ {events} }}
http {{
    access_log off;
{temp_paths}
    include {site};
}}
"""


def wait_for_log_line(log: Path, pattern: str) -> str:
    """The first line of the log that matches: Apache writes it just after it answers, so it may come late."""
    deadline = time.monotonic() + LOG_TIMEOUT
    while True:
        text = log.read_text() if log.exists() else ""
        if found := re.search(f"^.*{pattern}.*$", text, re.MULTILINE):
            return found[0]
        if time.monotonic() > deadline:
            pytest.fail(f"no line matching {pattern!r} in {log} within {LOG_TIMEOUT}s:\n{text}")
        time.sleep(0.05)


async def assert_stream_is_not_buffered(client: httpx.AsyncClient, url: str) -> None:
    """A proxy passes each event of /process/stream on as it comes: the first piece to arrive holds one or two
    events, not the kilobytes (a dozen events and more) a buffering proxy would collect before sending any."""
    events_per_piece: list[int] = []
    async with client.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for piece in response.aiter_raw():
            events_per_piece.append(piece.count(b"\ndata: ") + piece.startswith(b"data: "))
            if sum(events_per_piece) >= 3:
                break
    assert events_per_piece[0] <= 3, events_per_piece  # 3: slack for a slow reader on a busy machine
    assert sum(events_per_piece) >= 3


# --- Unix sockets and the accounts that own them (issue 11) ---
# the banner line of `greeter --socket PATH`
UNIX_SOCKET_READY = r"serving unix:(?P<path>\S+) \(only you and group (?P<group>\S+) can connect\)"
# course accounts for the tests: names unique to these tests, so parallel runs of other suites cannot collide
STUDENTS = {"g11ann": 41101, "g11bob": 41102, "g11cat": 41103}
# g11dan: a student of the course who has not started greeter; two more, for what one student can do to another's
# folder and socket outside the course's setup
ACCOUNT_UIDS = {**STUDENTS, "g11dan": 41104, "g11fann": 41111, "g11fbob": 41112}
# the whole course scene (test_course_scene.py): two students serving, one spinning in a view, one whose greeter was
# killed, one whose socket is a link to a classmate's, one who never started (tests/test_course_status.py too)
SCENE_STUDENTS = {"g17ann": 41731, "g17bob": 41732, "g17hog": 41733, "g17old": 41734, "g17eve": 41735, "g17dan": 41736}
ACCOUNT_UIDS.update(SCENE_STUDENTS)
WEB_SERVER_USER = "www-data"  # Debian's Apache and nginx workers run as www-data
ACCOUNT_TIMEOUT = scaled(30)


def require_root(what: str) -> None:
    """Root, for what a test does; without it, skip locally (saying why) and fail under CI, which runs as root."""
    if os.geteuid() != 0:
        message = f"needs root {what} (CI runs as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def unix_account(name: str) -> str:
    """A real account (with its own group) for a test to run programs as; made once, reused after that."""
    import pwd

    require_root("to create the test accounts")
    try:
        pwd.getpwnam(name)
    except KeyError:
        _add_account(name)
    _require_python_runs_as(name)
    return name


def _add_account(name: str) -> None:
    uid = str(ACCOUNT_UIDS[name])
    subprocess.run(
        ["groupadd", "--force", "--gid", uid, name], check=True, capture_output=True, timeout=ACCOUNT_TIMEOUT
    )
    made = subprocess.run(
        ["useradd", "--uid", uid, "--gid", name, "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        timeout=ACCOUNT_TIMEOUT,
    )
    # another test run may have made it meanwhile: that account is as good
    if made.returncode != 0 and "already exists" not in made.stderr:
        pytest.fail(f"useradd {name}: {made.stderr}")


def _require_python_runs_as(user: str) -> None:
    """The tests run this environment's greeter as the account: its Python must be one the account can run."""
    ran = subprocess.run(
        as_user(user, [sys.executable, "-c", "pass"]), capture_output=True, text=True, timeout=ACCOUNT_TIMEOUT
    )
    if ran.returncode != 0:
        pytest.fail(
            f"{user} cannot run {sys.executable} ({ran.stderr.strip()}): make the test venv with a Python every"
            " account can reach, such as /usr/bin/python3 -m venv .venv"
        )


def as_user(user: str, argv: list[str]) -> list[str]:
    """argv run as `user` with that user's groups: setpriv execs, so the process keeps its pid."""
    return ["setpriv", "--reuid", user, "--regid", user, "--init-groups", *argv]


@pytest.fixture(scope="module")
def socket_folders() -> Iterator[Path]:
    """A folder every account can traverse (pytest's own are root's alone), for the course's socket folders."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="greeter-i11-sockets-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def student_socket_folder(parent: Path, user: str, group: str = WEB_SERVER_USER) -> Path:
    """What the admin makes for each student: owned by them, the web server's group, set-group-ID, 2750."""
    folder = parent / user
    subprocess.run(
        ["install", "-d", "-o", user, "-g", group, "-m", "2750", str(folder)],
        check=True,
        capture_output=True,
        timeout=ACCOUNT_TIMEOUT,
    )
    return folder
