"""`greeter`: everything checked before anything listens, then the banner, then the app served until it stops.

The command line (greeter/cli.py) has parsed what was asked; this is the work of serving it.
"""

from __future__ import annotations

import os
import pwd
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from hypercorn.config import Config

from greeter import create_app
from greeter.server.banner import banner_lines, listening_facts
from greeter.server.forced_exit import clean_up_on_forced_exit
from greeter.server.hypercorn_config import load_hypercorn_config, use_tls
from greeter.server.listen import ServeError, listen
from greeter.server.ports import port_for_uid
from greeter.server.reloader import other_copy_warning
from greeter.server.start_failure import say_start_failure
from greeter.server.supervisor import run
from greeter.server.unix_socket import UnixListener, listen_unix
from greeter.shared.paths import PACKAGE_DIR
from greeter.shared.settings import SettingsError, check_settings
from greeter.shared.stop_request import StopRequest


@dataclass(frozen=True)
class ServeOptions:
    """What the command line asked for."""

    host: str
    asked_port: int | None  # None: the port of the user's UID (or a Unix socket)
    socket_path: Path | None
    workers: int
    reload: bool
    debug: bool
    proxy_hops: int | None  # None: as GREETER_PROXY_HOPS says, or one proxy on a Unix socket
    certfile: Path | None
    keyfile: Path | None
    config_path: Path
    command: str  # as the person ran it (`.venv/bin/greeter`), for the commands greeter suggests


def serve(options: ServeOptions) -> int:
    """Serve greeter until SIGTERM, SIGHUP or Ctrl+C; the exit status."""
    port = port_for_uid(os.getuid()) if options.asked_port is None else options.asked_port
    _set_app_environment(options)
    _check_the_app_starts(reload=options.reload or options.debug)
    StopRequest.check()  # a Ctrl+C while the app was loading: stopped, nothing listened yet
    config = load_hypercorn_config(options.config_path)
    use_tls(config, options.certfile, options.keyfile)
    unix_listener = listen_unix(options.socket_path) if options.socket_path is not None else None
    if unix_listener is not None:  # a stop that ends a held event loop (greeter/server/watchdog.py) skips `finally`
        clean_up_on_forced_exit(unix_listener.remove)
    sock = unix_listener.sock if unix_listener is not None else listen(options.host, port)
    workers = "1 worker" if options.workers == 1 else f"{options.workers} workers"
    facts = listening_facts(
        sock,
        options.host,
        options.asked_port,
        f"{workers} of class {config.worker_class}",
        command=options.command,
        debug=options.debug,
        scheme="https" if config.ssl_enabled else "http",
        unix_listener=unix_listener,
    )
    config.workers = options.workers
    config.use_reloader = (
        options.reload or options.debug
    )  # greeter's own reloader; as `flask run --debug`, debug reloads
    # the banner says "serving": a stop from now on is graceful (the supervisor, or the worker, sees it asked for)
    print("\n".join(banner_lines(facts)), flush=True)
    # only where edits are meant to be served: a service runs an installed copy from its checkout on purpose
    if config.use_reloader and (warning := other_copy_warning(Path.cwd())):
        print(f"greeter: {warning}", file=sys.stderr, flush=True)
    return _run_then_clean_up(config, sock, unix_listener)


def _set_app_environment(options: ServeOptions) -> None:
    """What the options say about the app, where its settings read it: in this process and in every worker."""
    if options.debug:
        os.environ["GREETER_DEBUG"] = "true"
    proxy_hops = options.proxy_hops
    if proxy_hops is None and options.socket_path is not None and "GREETER_PROXY_HOPS" not in os.environ:
        proxy_hops = 1  # only the web server can connect to the socket: its headers are the only ones there are
    if proxy_hops is not None:
        os.environ["GREETER_PROXY_HOPS"] = str(proxy_hops)
    if options.socket_path is not None and "GREETER_PREFIX_USER" not in os.environ:
        # the web server names the URL's account in X-Forwarded-Prefix (/~ann/greeter): another account's URL that
        # reaches this socket came through a link in that account's folder, and is refused (421)
        os.environ["GREETER_PREFIX_USER"] = _account_name()


def _account_name() -> str:
    """The name of the account running greeter, as the course server's URLs carry it."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a UID with no name on this machine: no URL can name it either
        return str(os.getuid())


def _check_the_app_starts(*, reload: bool) -> None:
    """Every GREETER_* setting checked before anything listens (a bad one is one sentence, status 2), and the code."""
    if reload:
        # with no framework imported: this process only watches files and manages workers. The code's own start
        # failure is the first worker's to show, compactly; the supervisor then waits for a fix, serving it once
        # the code starts
        check_settings()
        return
    try:
        create_app()  # the settings, and the code: this process serves it (or forks the workers that do)
    except SettingsError:
        raise
    except Exception as error:  # the code itself does not start: a syntax error in views.py, a failed import
        say_start_failure(error, PACKAGE_DIR)
        raise ServeError(
            "the code in the checkout does not start (the error is above); fix it and start greeter again."
        ) from None


def _run_then_clean_up(config: Config, sock: socket.socket, unix_listener: UnixListener | None) -> int:
    """Serve; then, however serving ended, the socket file goes with the server that made it."""
    try:
        return run(config, sock, refuse_new=unix_listener.remove if unix_listener is not None else None)
    finally:
        if unix_listener is not None:
            unix_listener.remove()
