"""Serving with Hypercorn: its config from hypercorn.toml, our own listening socket, start and stop."""

from __future__ import annotations

import asyncio
import errno
import inspect
import signal
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.run import run as run_supervisor

from greeter import create_app

APPLICATION_PATH = "greeter:app"
_MISSING = object()


class ServeError(Exception):
    """Serving cannot start; the message is one sentence for a person, the exit status goes with it."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def is_hypercorn_setting(name: str) -> bool:
    """Whether a TOML key sets something: a public value or a property with a setter, never a method."""
    if name.startswith("_"):
        return False
    attribute = inspect.getattr_static(Config, name, _MISSING)
    if isinstance(attribute, property):
        return attribute.fset is not None  # Config.from_mapping skips read-only ones without a word
    return attribute is not _MISSING and not callable(attribute) and not isinstance(attribute, classmethod)


def value_problem(name: str, value: object) -> str | None:
    """Why a value cannot be right for a setting whose default is a plain bool, number or string, if it cannot."""
    default = getattr(Config(), name)
    if isinstance(default, bool):
        expected: tuple[type, ...] = (bool,)
    elif isinstance(default, int | float):
        expected = (int, float)
    elif isinstance(default, str):
        expected = (str,)
    else:
        return None  # a list, or a setting that may be None: Hypercorn takes several types there
    if isinstance(value, expected) and (bool in expected or not isinstance(value, bool)):
        return None
    return f"{name} should be {' or '.join(kind.__name__ for kind in expected)}, not {type(value).__name__}"


def unknown_config_keys(settings: Mapping[str, object]) -> list[str]:
    """Keys that are not Hypercorn settings: Hypercorn itself would ignore them, or break, without a word."""
    return sorted(key for key in settings if not is_hypercorn_setting(key))


def load_hypercorn_config(path: Path) -> Config:
    """Read a hypercorn.toml, refusing a missing file, bad TOML and unknown keys with one sentence each."""
    try:
        with path.open("rb") as file:
            settings = tomllib.load(file)
    except FileNotFoundError:
        raise ServeError(f"config file {path} does not exist", exit_status=2) from None
    except OSError as error:
        raise ServeError(f"cannot read config file {path}: {error.strerror}", exit_status=2) from None
    except tomllib.TOMLDecodeError as error:
        raise ServeError(f"config file {path} is not valid TOML: {error}", exit_status=2) from None
    unknown = unknown_config_keys(settings)
    if unknown:
        names = ", ".join(unknown)
        raise ServeError(f"config file {path} has keys that are not Hypercorn settings: {names}", exit_status=2)
    problems = [problem for key, value in settings.items() if (problem := value_problem(key, value))]
    if problems:
        raise ServeError(f"config file {path} has a wrong value: {'; '.join(problems)}", exit_status=2)
    return Config.from_mapping(settings)


def listen(host: str, port: int) -> socket.socket:
    """Open the listening socket ourselves, so a port in use is one clear sentence, and port 0 is known."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=1024)
    except OSError as error:
        where = f"port {port} on {host}"
        if error.errno == errno.EADDRINUSE:
            message = f"{where} is already in use; try another port (`greeter {port + 1}`), or 0 for any free port"
        elif error.errno == errno.EACCES:
            message = f"{where} is not open to this user; choose a port from 1024 to 65535"
        elif error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
            message = f"cannot listen on {host}: it is not an address of this machine"
        else:
            message = f"cannot listen on {where}: {error.strerror or error}"
        raise ServeError(message, exit_status=1) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def hand_over(config: Config, sock: socket.socket, *, workers: int, reload: bool) -> None:
    """Point Hypercorn at our socket and apply what the command line says; nothing else is overridden."""
    # fd:// makes Hypercorn adopt the socket; detach so two socket objects never close one descriptor
    config.bind = [f"fd://{sock.detach()}"]
    config.workers = workers
    config.use_reloader = reload
    config.application_path = APPLICATION_PATH


def run(config: Config) -> int:
    """Serve until SIGTERM or Ctrl+C; the exit status of the server."""
    if config.workers > 1 or config.use_reloader:
        # several processes: Hypercorn's supervisor starts them on our socket and restarts on reload
        return run_supervisor(config)
    asyncio.run(_serve_in_this_process(config))
    return 0


async def _serve_in_this_process(config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    # a new app rather than greeter.app, so it reads the GREETER_* environment the command line just set
    await serve(create_app(), config, shutdown_trigger=stop.wait)
