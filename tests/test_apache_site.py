"""deploy/apache/greeter-site.conf: the whole site of a single production greeter, HTTPS and the HTTP redirect.

As shipped but for its addresses, certificate and checkout path, in front of a greeter started as
greeter.service starts it (`--host 127.0.0.1 --proxy-hops 1`, GREETER_TRUSTED_HOSTS=greeter.example.org).
"""

from __future__ import annotations

import re

import pytest
from conftest import (
    CLIENT_ADDRESS,
    GREETER_READY,
    REPO_ROOT,
    REQUEST_ROW,
    Certificate,
    StartServer,
    apache_logging,
    apache_main_config,
    client_from_elsewhere,
    command_path,
    free_port,
    require_tool,
    wait_for_log_line,
)
from course_site import SHIPPED_CERT, SHIPPED_KEY, shipped_with

SITE = REPO_ROOT / "deploy" / "apache" / "greeter-site.conf"
SITE_NAME = "greeter.example.org"


async def test_the_site_serves_greeter_over_https_and_redirects_http(
    start_server: StartServer, tmp_path_factory: pytest.TempPathFactory, self_signed: Certificate
) -> None:
    apache = require_tool("/usr/sbin/apache2", "apt-get install apache2")
    greeter = start_server(
        [command_path("greeter"), "0", "--host", "127.0.0.1", "--proxy-hops", "1"],
        GREETER_READY,
        env={"GREETER_TRUSTED_HOSTS": SITE_NAME},
    )
    folder = tmp_path_factory.mktemp("apache-site")
    folder.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    site = shipped_with(
        SITE,
        {
            "<VirtualHost *:80>": f"<VirtualHost 127.0.0.1:{http_port}>",
            "<VirtualHost *:443>": f"<VirtualHost 127.0.0.1:{https_port}>",
            SHIPPED_CERT: str(self_signed.certfile),
            SHIPPED_KEY: str(self_signed.keyfile),
            "/srv/greeter/deploy": str(REPO_ROOT / "deploy"),
        },
    )
    (folder / "greeter.conf").write_text(site)
    modules = ["mpm_event", "authz_core", "alias", "headers", "ssl", "proxy", "proxy_http"]
    (folder / "httpd.conf").write_text(f"""{apache_main_config(folder, modules)}
{apache_logging(folder / "log")}
Define GREETER_BACKEND {greeter.host_port}
Listen 127.0.0.1:{http_port}
Listen 127.0.0.1:{https_port}
Include {folder}/greeter.conf
""")
    start_server([apache, "-f", str(folder / "httpd.conf"), "-DFOREGROUND"], "resuming normal operations")
    # the site's name, as a browser sends it, on the test's port
    public = f"https://{SITE_NAME}:{https_port}"
    async with client_from_elsewhere(self_signed) as client:
        redirect = await client.get(f"http://127.0.0.1:{http_port}/hello/", headers={"Host": SITE_NAME})
        assert (redirect.status_code, redirect.headers["location"]) == (301, f"https://{SITE_NAME}/hello/")
        at = f"https://localhost:{https_port}"
        named = {"Host": f"{SITE_NAME}:{https_port}"}
        assert (await client.get(f"{at}/", headers=named)).text == "Hello World!"
        to_slash = await client.get(f"{at}/hello", headers=named)
        assert (to_slash.status_code, to_slash.headers["location"]) == (308, f"{public}/hello/")
        page = await client.get(f"{at}/process/", headers={**named, "X-Forwarded-For": "198.51.100.66"})
        assert REQUEST_ROW.search(page.text).groups() == (CLIENT_ADDRESS, f"{public}/")  # type: ignore[union-attr]
        # any other name is refused by greeter, and the answer names it
        other = await client.get(f"{at}/")
        assert other.status_code == 400
        assert f"'localhost:{https_port}'" in other.text
    # docs/production.md: "Apache's /var/log/apache2/access.log has every request", both sites' (Debian's log formats)
    access_log = folder / "log" / "access.log"
    for request in ('"GET /hello/ HTTP/1.1" 301 ', '"GET /process/ HTTP/1.1" 200 ', '"GET / HTTP/1.1" 400 '):
        assert wait_for_log_line(access_log, re.escape(request)).startswith(f"{CLIENT_ADDRESS} - - [")
