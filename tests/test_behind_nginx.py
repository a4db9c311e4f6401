"""The nginx equivalent of the Apache configs: deploy/nginx/greeter.conf in front of a real greeter.

The file is used as shipped, but for its two addresses: the port nginx listens on and greeter's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

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
    assert_stream_is_not_buffered,
    client_from_elsewhere,
    command_path,
    free_port,
    nginx_main_config,
    require_tool,
)

SHIPPED = REPO_ROOT / "deploy" / "nginx" / "greeter.conf"
PREFIX = "/~student/greeter"
FORGED = {"X-Forwarded-For": "198.51.100.66", "X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil"}


@dataclass(frozen=True)
class Site:
    root: str
    prefixed: str
    backend: Server


@pytest.fixture(scope="module")
def site(start_module_server: StartServer, tmp_path_factory: pytest.TempPathFactory) -> Site:
    nginx = require_tool("/usr/sbin/nginx", "apt-get install nginx")
    backend = start_module_server(
        [command_path("greeter"), "0", "--proxy-hops", "1"], GREETER_READY, env={"GREETER_PROCESS_TICK_SECONDS": "0.2"}
    )
    folder = tmp_path_factory.mktemp("nginx")
    folder.chmod(0o755)  # nginx's workers run as www-data
    port = free_port()
    shipped = SHIPPED.read_text()
    assert shipped.count("listen 80;") == 1 and shipped.count("server 127.0.0.1:2001;") == 1
    site_conf = shipped.replace("listen 80;", f"listen 127.0.0.1:{port};").replace(
        "server 127.0.0.1:2001;", f"server {backend.host_port};"
    )
    (folder / "greeter.conf").write_text(site_conf)
    (folder / "nginx.conf").write_text(nginx_main_config(folder, folder / "greeter.conf"))
    start_module_server([nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder)], "start worker process")
    return Site(root=f"http://127.0.0.1:{port}", prefixed=f"http://127.0.0.1:{port}{PREFIX}", backend=backend)


@pytest.fixture
async def browser_like(self_signed: Certificate) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from_elsewhere(self_signed) as client:
        yield client


@pytest.mark.parametrize("public", ["root", "prefixed"])
async def test_pages_and_redirects_through_nginx(site: Site, browser_like: httpx.AsyncClient, public: str) -> None:
    base = getattr(site, public)
    assert (await browser_like.get(f"{base}/")).text == "Hello World!"
    assert (await browser_like.get(f"{base}/hello/Ann")).text == "Hello Ann, nice to meet you!"
    greet = await browser_like.get(f"{base}/greet/")
    assert greet.status_code == 200 and "<h1>Hail</h1>" in greet.text
    redirect = await browser_like.get(f"{base}/hello?name=Ann", headers=FORGED)
    assert redirect.status_code == 308
    assert redirect.headers["location"] == f"{base}/hello/?name=Ann"
    page = await browser_like.get(f"{base}/process/", headers=FORGED)
    assert PAGE_PID.search(page.text)[1] == str(site.backend.process.pid)  # type: ignore[index]
    assert REQUEST_ROW.search(page.text).groups() == (CLIENT_ADDRESS, f"{base}/")  # type: ignore[union-attr]


async def test_the_live_stream_is_not_buffered_by_nginx(site: Site, browser_like: httpx.AsyncClient) -> None:
    # ticks every 0.2 s, a few hundred bytes an event
    await assert_stream_is_not_buffered(browser_like, f"{site.prefixed}/process/stream")
