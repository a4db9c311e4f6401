"""Production mode: a real Apache httpd on loopback relays to Hypercorn, with the config files docs/production.md links.

Two sites on one Apache: deploy/apache/greeter-root.conf at the root, and greeter-balancer.conf in front of two
greeter servers. Clients connect from 127.0.0.2, so the client's address and Apache's (127.0.0.1) differ.
Under /~<user>/greeter/ over HTTPS, the course server: test_course_server.py; the HTTPS site: test_apache_site.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import (
    CLIENT_ADDRESS,
    GREETER_READY,
    PAGE_PID,
    REPO_ROOT,
    REQUEST_ROW,
    Certificate,
    Server,
    StartServer,
    apache_main_config,
    assert_stream_is_not_buffered,
    client_from_elsewhere,
    command_path,
    free_port,
    require_tool,
)

DEPLOY = REPO_ROOT / "deploy" / "apache"
TICK_SECONDS = "0.2"
PAGES = {
    "/": "Hello World!",
    "/index": "Hello World!",
    "/hello/": "Greetings and Felicitations",
    "/hello/Ann%20%3Cb%3E": "Hello Ann &lt;b&gt;, nice to meet you!",
    "/hail/": "<h1>Hail</h1>\n<p>Greetings and Felicitations, <em>honored</em> guest!</p>",
}


@dataclass(frozen=True)
class Site:
    """Apache, and the greeter servers behind it."""

    root: str  # greeter-root.conf, over HTTP
    balanced: str  # greeter-balancer.conf, over HTTP
    backend: Server  # behind root and prefixed
    members: tuple[Server, Server]  # behind balanced
    certificate: Certificate


def apache_config(folder: Path, ports: dict[str, int], site_backends: dict[str, str]) -> str:
    """A minimal httpd.conf around the deploy files: only what they need, logs in the test's folder."""
    modules = ["mpm_event", "authz_core", "headers", "proxy", "proxy_http", "proxy_balancer"]
    modules += ["slotmem_shm", "lbmethod_byrequests"]
    defines = "\n".join(f"Define {name} {value}" for name, value in site_backends.items())
    return f"""{apache_main_config(folder, modules)}
{defines}
Listen 127.0.0.1:{ports["root"]}
Listen 127.0.0.1:{ports["balanced"]}
<VirtualHost 127.0.0.1:{ports["root"]}>
    Include {DEPLOY}/greeter-root.conf
</VirtualHost>
<VirtualHost 127.0.0.1:{ports["balanced"]}>
    Include {DEPLOY}/greeter-balancer.conf
</VirtualHost>
"""


@pytest.fixture(scope="module")
def site(start_module_server: StartServer, tmp_path_factory: pytest.TempPathFactory, self_signed: Certificate) -> Site:
    apache = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    greeter = [command_path("greeter"), "0", "--proxy-hops", "1"]
    tick = {"GREETER_PROCESS_TICK_SECONDS": TICK_SECONDS}
    backend = start_module_server(greeter, GREETER_READY, env=tick)
    members = (start_module_server(greeter, GREETER_READY), start_module_server(greeter, GREETER_READY))
    folder = tmp_path_factory.mktemp("apache")
    folder.chmod(0o755)  # Apache's workers run as www-data
    ports = {name: free_port() for name in ("root", "balanced")}
    backends = {
        "GREETER_BACKEND": backend.host_port,
        "GREETER_BACKEND_1": members[0].host_port,
        "GREETER_BACKEND_2": members[1].host_port,
    }
    (folder / "httpd.conf").write_text(apache_config(folder, ports, backends))
    start_module_server([apache, "-f", str(folder / "httpd.conf"), "-DFOREGROUND"], "resuming normal operations")
    return Site(
        root=f"http://127.0.0.1:{ports['root']}",
        balanced=f"http://127.0.0.1:{ports['balanced']}",
        backend=backend,
        members=members,
        certificate=self_signed,
    )


@pytest.fixture
async def browser_like(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from_elsewhere(site.certificate) as client:
        yield client


async def test_every_page_renders_through_apache(site: Site, browser_like: httpx.AsyncClient) -> None:
    base = site.root
    for path, body in PAGES.items():
        response = await browser_like.get(base + path)
        assert (response.status_code, response.text) == (200, body), path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["x-content-type-options"] == "nosniff"
    greet = await browser_like.get(base + "/greet/")
    assert greet.status_code == 200
    assert "<h1>Hail</h1>" in greet.text and greet.text.startswith("<!doctype html>")
    process = await browser_like.get(base + "/process/")
    assert process.status_code == 200
    assert PAGE_PID.search(process.text)[1] == str(site.backend.process.pid)  # type: ignore[index]
    assert (await browser_like.get(base + "/no/such/page")).status_code == 404


async def test_redirects_go_to_the_public_url(site: Site, browser_like: httpx.AsyncClient) -> None:
    base = site.root
    response = await browser_like.get(base + "/hello?name=Ann")
    assert response.status_code == 308
    # the public scheme, host, port and prefix: never the internal address greeter listens on
    assert response.headers["location"] == f"{base}/hello/?name=Ann"
    assert site.backend.host_port not in response.text
    assert (await browser_like.get(response.headers["location"])).text == "Greetings and Felicitations"


async def test_the_app_sees_the_real_client_and_scheme(site: Site, browser_like: httpx.AsyncClient) -> None:
    forged = {
        "X-Forwarded-For": "198.51.100.66",
        "X-Forwarded-Proto": "gopher",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Prefix": "/evil",
    }
    page = await browser_like.get(f"{site.root}/process/", headers=forged)
    client, root = REQUEST_ROW.search(page.text).groups()  # type: ignore[union-attr]
    assert client == CLIENT_ADDRESS  # not Apache's 127.0.0.1, nor the address the client made up
    assert root == f"{site.root}/"  # no prefix, scheme or host of the client's making


async def test_the_live_stream_is_not_buffered_by_apache(site: Site, browser_like: httpx.AsyncClient) -> None:
    # ticks every 0.2 s, a few hundred bytes an event
    await assert_stream_is_not_buffered(browser_like, f"{site.root}/process/stream")


async def test_the_balancer_spreads_requests_over_two_processes(site: Site, browser_like: httpx.AsyncClient) -> None:
    pids = set()
    for _ in range(6):
        page = await browser_like.get(f"{site.balanced}/process/")
        assert page.status_code == 200
        pids.add(int(PAGE_PID.search(page.text)[1]))  # type: ignore[index]
    assert pids == {member.process.pid for member in site.members}
    redirect = await browser_like.get(f"{site.balanced}/hello")
    assert redirect.headers["location"] == f"{site.balanced}/hello/"


async def test_without_proxy_hops_the_app_believes_no_forwarded_header(
    start_server: StartServer, browser_like: httpx.AsyncClient
) -> None:
    direct = start_server([command_path("greeter"), "0"], GREETER_READY)
    forged = {
        "X-Forwarded-For": "198.51.100.66",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Prefix": "/evil",
    }
    page = await browser_like.get(f"{direct.base_url}/process/", headers=forged)
    assert REQUEST_ROW.search(page.text).groups() == (CLIENT_ADDRESS, f"{direct.base_url}/")  # type: ignore[union-attr]
    redirect = await browser_like.get(f"{direct.base_url}/hello", headers=forged)
    assert redirect.headers["location"] == f"{direct.base_url}/hello/"
