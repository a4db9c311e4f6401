"""The `greeter` command: serve on your UID port (the default), and the tools around the app."""

from __future__ import annotations

import asyncio
import difflib
import getpass
import json
import os
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from greeter import create_app
from greeter.banner import ALL_INTERFACES, Listening, banner_lines, reachable_name
from greeter.bench.wrk import WrkFailed
from greeter.checkout import other_copy_warning
from greeter.hypercorn_config import ConfigError, load_hypercorn_config, use_tls
from greeter.invoked import as_invoked, invoked_command
from greeter.launch import ServerStartError
from greeter.machine_addresses import addresses_of, own_addresses
from greeter.ports import PortError, parse_port, port_for_uid, port_reason
from greeter.resources import HYPERCORN_TOML, PACKAGE_DIR
from greeter.serve import EarlyStop, ServeError, hand_over, is_loopback, listen
from greeter.serving_log import BannerSaysWhere
from greeter.settings import SettingsError
from greeter.start_failure import say_start_failure
from greeter.supervisor import run
from greeter.unix_socket import UnixListener, listen_unix

if TYPE_CHECKING:
    from hypercorn.config import Config

    from greeter.comparison.run import Comparison


# a first argument that is a word, not a port: most likely a command mistyped (`greeter twim`)
_WORD = re.compile(r"[A-Za-z][A-Za-z_-]*")


class NoSuchCommand(Exception):
    """A word where a command or a port goes: one sentence, exit status 2."""


class UnsafeChoice(Exception):
    """Options that work but are unsafe together (--debug on a public address): one sentence, exit status 2."""


class ServeByDefault(click.Group):
    """`greeter`, `greeter 8080` and `greeter --port 8080` all mean `greeter serve ...`."""

    chosen = "serve"  # the command being run, for the commands its messages suggest

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        about_greeter = bool(args) and args[0] in ("--help", "-h", "--version")
        if args and _WORD.fullmatch(args[0]) and args[0] not in self.commands:
            closest = difflib.get_close_matches(args[0], list(self.commands), n=1)
            hint = f" (did you mean `greeter {closest[0]}`?)" if closest else " (`greeter --help` lists them)"
            raise NoSuchCommand(
                f"there is no command {args[0]!r}{hint}, and a port is a number, such as 0 for any free port."
            )
        if not about_greeter and (not args or args[0] not in self.commands):
            args = ["serve", *args]
        if args and args[0] in self.commands:
            ServeByDefault.chosen = args[0]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write("Usage: greeter [PORT] [OPTIONS]     serve (the default)\n")
        formatter.write("       greeter COMMAND [ARGS]...\n")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # serving is what `greeter` does with no command: its options come first, not behind `serve --help`
        serve_context = click.Context(serve, info_name="greeter", parent=ctx)
        help_option = serve.get_help_option(serve_context)
        records = [
            record
            for param in serve.get_params(serve_context)
            if isinstance(param, click.Option)
            and param is not help_option
            and (record := param.get_help_record(serve_context)) is not None
        ]
        with formatter.section("Serving options"):
            formatter.write_dl(records)
        super().format_options(ctx, formatter)


def main() -> None:
    """The `greeter` command. Every mistake a person can make is one line on stderr and an exit status."""
    try:
        status = cli.main(standalone_mode=False, prog_name="greeter")  # `python -m greeter` is greeter too
    except (PortError, ConfigError, SettingsError, BenchError, NoSuchCommand, UnsafeChoice) as error:  # typed or set
        _fail(str(error), exit_status=2)
    except (ServeError, ServerStartError, WrkFailed) as error:  # what the machine refused
        _fail(str(error), exit_status=1)
    except click.UsageError as error:  # the options are the problem: an unknown one, a bad value, one too many
        _fail(f"{_end(_usage_words(error))} Run `{_help_command(error.ctx)}` for the options.", error.exit_code)
    except click.ClickException as error:
        _fail(_lower_first(error.format_message()), error.exit_code)
    except (click.Abort, KeyboardInterrupt):  # Ctrl+C before serving, or during `greeter compare` or `bench`
        _fail("stopped.", exit_status=1)
    sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str, exit_status: int) -> NoReturn:
    # the commands suggested are the one the person ran: `greeter twin 0`, `.venv/bin/greeter 0`
    command = invoked_command() + ("" if ServeByDefault.chosen == "serve" else f" {ServeByDefault.chosen}")
    click.echo(f"greeter: {_end(as_invoked(message, command))}", err=True)
    sys.exit(exit_status)


def _end(message: str) -> str:
    """One sentence, ended as one, whoever wrote the message (click's own end without a full stop)."""
    return message if message.endswith((".", "?", "!")) else f"{message}."


def _lower_first(message: str) -> str:
    # greeter's sentences follow "greeter: " in lower case; click's start with a capital
    return message[:1].lower() + message[1:]


def _usage_words(error: click.UsageError) -> str:
    """click's usage messages in greeter's words."""
    if isinstance(error, click.NoSuchOption):
        close = " or ".join(error.possibilities or ())
        return f"no such option {error.option_name}" + (f"; did you mean {close}?" if close else "")
    if isinstance(error, click.BadParameter) and error.param is not None:
        name = error.param.opts[0] if isinstance(error.param, click.Option) else error.param.human_readable_name
        return f"{name} {error.message}" if isinstance(error.param.type, WholeNumber) else f"{name}: {error.message}"
    return _lower_first(error.format_message())


def _help_command(ctx: click.Context | None) -> str:
    """`greeter --help` for serving (what `greeter` does with no command), `greeter twin --help` for twin."""
    words = ctx.command_path.split()[1:] if ctx is not None else []
    return " ".join([invoked_command(), *(word for word in words if word != "serve"), "--help"])


class WholeNumber(click.ParamType[int, object]):
    """A whole number from a minimum up, said as greeter says it, with no `x>=1` in --help."""

    name = "n"

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if isinstance(value, int) or (text.isascii() and text.isdigit()):
            number = int(text)
            if number >= self.minimum:
                return number
        self.fail(f"must be a whole number, {self.minimum} or more, not {str(value)!r}", param, ctx)


Command = TypeVar("Command", bound=Callable[..., None])


def where_to_listen(command: Command) -> Command:
    """[PORT], --port and --host: the same words for greeter and greeter twin."""
    for decorator in (
        click.option(
            "--host", default="127.0.0.1", show_default=True, help="Address to listen on; 0.0.0.0 for all interfaces."
        ),
        click.option(
            "--port",
            "port_option",
            envvar="GREETER_PORT",
            metavar="PORT",
            help="Port to serve on (also GREETER_PORT); 0: any free port.",
        ),
        click.argument("port_argument", metavar="[PORT]", required=False),
    ):
        command = decorator(command)
    return command


@click.group(cls=ServeByDefault, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="greeter")
def cli() -> None:
    """The classic Flask teaching app on Quart and Hypercorn.

    With no command, greeter serves on PORT: by default the port equal to your UID, or 0 for any free port.
    """


@cli.command()
@where_to_listen
@click.option(
    "--socket",
    "socket_path",
    envvar="GREETER_SOCKET",
    # readable=False: a socket file is never read; whether it can be used is listen_unix's to say, in its words
    type=click.Path(path_type=Path, dir_okay=False, readable=False),
    help="Serve on this Unix socket instead of a port, for the web server (also GREETER_SOCKET).",
)
@click.option("--workers", type=WholeNumber(1), default=1, show_default=True, help="Worker processes.")
@click.option("--reload", is_flag=True, help="Serve each edit of the code or a template: new workers on a change.")
@click.option("--debug", is_flag=True, help="Debug mode: tracebacks in the browser; reloads as --reload does.")
@click.option(
    "--allow-remote-debug", is_flag=True, help="Allow --debug on an address other machines can reach (unsafe)."
)
@click.option(
    "--proxy-hops",
    type=WholeNumber(0),
    help="Reverse proxies in front whose X-Forwarded-* headers to believe (also GREETER_PROXY_HOPS; default 0).",
)
@click.option(
    "--certfile", type=click.Path(path_type=Path, dir_okay=False), help="TLS certificate (PEM): serve HTTPS and HTTP/2."
)
@click.option("--keyfile", type=click.Path(path_type=Path, dir_okay=False), help="The certificate's private key (PEM).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=HYPERCORN_TOML,
    show_default="the shipped hypercorn.toml",
    help="Hypercorn settings file.",
)
def serve(
    port_argument: str | None,
    port_option: str | None,
    host: str,
    socket_path: Path | None,
    workers: int,
    reload: bool,
    debug: bool,
    allow_remote_debug: bool,
    proxy_hops: int | None,
    certfile: Path | None,
    keyfile: Path | None,
    config_path: Path,
) -> None:
    """Serve greeter with Hypercorn on PORT, by default the port equal to your UID; or on a Unix socket."""
    if socket_path is not None:
        _socket_alone(port_argument, port_option, host_given=_given(click.get_current_context(), "host"))
    if debug and not allow_remote_debug and (socket_path is not None or not is_loopback(host)):
        reach = "the web server's clients" if socket_path is not None else f"whoever can reach {host}"
        raise UnsafeChoice(
            f"--debug shows tracebacks to {reach}; serve on 127.0.0.1 (and use an SSH tunnel),"
            " or add --allow-remote-debug if every machine there is yours."
        )
    asked = None if socket_path is not None else _asked_port(port_argument, port_option)
    port = port_for_uid(os.getuid()) if asked is None else asked
    # read by the app's settings in this process and in every worker Hypercorn starts
    if debug:
        os.environ["GREETER_DEBUG"] = "true"
    if proxy_hops is None and socket_path is not None and "GREETER_PROXY_HOPS" not in os.environ:
        proxy_hops = 1  # only the web server can connect to the socket: its headers are the only ones there are
    if proxy_hops is not None:
        os.environ["GREETER_PROXY_HOPS"] = str(proxy_hops)
    try:
        create_app()  # every GREETER_* setting checked before anything listens: a bad one is one sentence, status 2
    except SettingsError:
        raise
    except Exception as error:  # the code itself does not start: a syntax error in views.py, a failed import
        if not (reload or debug):
            say_start_failure(error, PACKAGE_DIR)
            raise ServeError(
                "the code in the checkout does not start (the error is above); fix it and start greeter again."
            ) from None
        # --reload and --debug serve anyway: the socket opens and the banner says where, then the first worker
        # shows this error compactly and the supervisor waits for a fix, serving it once the code starts
    config = load_hypercorn_config(config_path)
    use_tls(config, certfile, keyfile)
    config.logger_class = BannerSaysWhere  # the banner says where greeter serves, once
    unix_listener = listen_unix(socket_path) if socket_path is not None else None
    sock = unix_listener.sock if unix_listener is not None else listen(host, port)
    workers_text = "1 worker" if workers == 1 else f"{workers} workers"
    how = f"{workers_text} of class {config.worker_class}"
    scheme = "https" if config.ssl_enabled else "http"
    listening = _listening(sock, host, asked, how, debug=debug, scheme=scheme, unix_listener=unix_listener)
    hand_over(config, workers=workers, reload=reload or debug)  # as `flask run --debug`, debug reloads
    EarlyStop.catch()  # the banner says "serving": a stop from now on is graceful
    click.echo("\n".join(banner_lines(listening)))
    # only where edits are meant to be served: a service runs an installed copy from its checkout on purpose
    if (reload or debug) and (warning := other_copy_warning(Path.cwd())):
        click.echo(f"greeter: {warning}", err=True)
    sys.exit(_run_then_clean_up(config, sock, unix_listener))


def _run_then_clean_up(config: Config, sock: socket.socket, unix_listener: UnixListener | None) -> int:
    """Serve; then, however serving ended, the socket file goes with the server that made it."""
    try:
        return run(config, sock)
    finally:
        if unix_listener is not None:
            unix_listener.remove()


def _given(ctx: click.Context, name: str) -> bool:
    """Whether an option was typed (or set in the environment), not just left at its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source is not click.core.ParameterSource.DEFAULT


def _socket_alone(port_argument: str | None, port_option: str | None, *, host_given: bool) -> None:
    """A Unix socket has no port and no address: asking for both is a mistake, said in one sentence."""
    if port_argument is not None or port_option is not None:
        given = port_argument if port_argument is not None else port_option
        raise PortError(f"a port ({given}) and --socket/GREETER_SOCKET both given; give one of them.")
    if host_given:
        raise PortError("--host and --socket/GREETER_SOCKET both given; a Unix socket has no address.")


def _listening(
    sock: socket.socket,
    host: str,
    asked: int | None,
    how: str,
    *,
    debug: bool,
    scheme: str = "http",
    unix_listener: UnixListener | None = None,
) -> Listening:
    """The banner's facts, from the socket as it listens."""
    ssh_connection = os.environ.get("SSH_CONNECTION")
    port = sock.getsockname()[1] if unix_listener is None else 0
    host_name = socket.gethostname()
    name = reachable_name(ssh_connection, host_name, addresses_of(host_name))
    # asked only when the banner needs them: serving on all interfaces, with no name others can use
    others = own_addresses(ipv6=host != "0.0.0.0") if name is None and host in ALL_INTERFACES else []
    return Listening(
        host=host,
        port=port,
        pid=os.getpid(),
        how=how,
        port_reason=as_invoked(port_reason(os.getuid(), asked, port), _suggested_command()),
        reachable_name=name,
        user=getpass.getuser(),
        ssh_connection=ssh_connection,
        debug=debug,
        scheme=scheme,
        unix_socket=str(unix_listener.path) if unix_listener is not None else None,
        socket_group=unix_listener.group if unix_listener is not None else "",
        other_addresses=tuple(others),
    )


def _suggested_command() -> str:
    """The command to suggest in the banner: the one running, as the person ran it."""
    return invoked_command() + ("" if ServeByDefault.chosen == "serve" else f" {ServeByDefault.chosen}")


def _asked_port(port_argument: str | None, port_option: str | None) -> int | None:
    """The explicit port if there is one (the argument or --port/GREETER_PORT); None: the UID's port."""
    from_environment = click.get_current_context().get_parameter_source("port_option") is (
        click.core.ParameterSource.ENVIRONMENT
    )
    option_port = None if port_option is None else parse_port(port_option, "GREETER_PORT" if from_environment else "")
    if port_argument is not None and option_port is not None and parse_port(port_argument) != option_port:
        raise PortError(f"two ports given ({port_argument} and --port/GREETER_PORT {port_option}); give one.")
    return parse_port(port_argument) if port_argument is not None else option_port


@cli.command()
@where_to_listen
def twin(port_argument: str | None, port_option: str | None, host: str) -> None:
    """Serve the Flask twin, as `flask run` does (Werkzeug's development server), on greeter's port: your UID."""
    from greeter.flask_twin import create_flask_app
    from greeter.twin_server import serve_twin

    asked = _asked_port(port_argument, port_option)
    port = port_for_uid(os.getuid()) if asked is None else asked
    app = create_flask_app()  # a bad GREETER_* setting: one sentence, before anything listens
    sock = listen(host, port)
    listening = _listening(sock, host, asked, "Werkzeug's development server, a thread per request", debug=False)
    click.echo("\n".join(banner_lines(listening, name="greeter twin")))
    serve_twin(app, sock)


@cli.command("config-path")
def config_path_command() -> None:
    """Print where the shipped hypercorn.toml is, for plain Hypercorn from any directory.

    hypercorn --config "$(greeter config-path)" greeter:app
    """
    click.echo(str(HYPERCORN_TOML))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON, for machines.")
@click.option("--only-differences", is_flag=True, help="Leave out the rows that match.")
@click.option("--in-process", is_flag=True, help="Use the two test clients instead of real servers (fast).")
@click.option("--differences", "list_differences", is_flag=True, help="Print the intended differences (Markdown).")
def compare(as_json: bool, only_differences: bool, in_process: bool, list_differences: bool) -> None:
    """Send one corpus of requests to the Flask twin and the Quart app, and compare every answer.

    By default each runs on a real server on a free loopback port: the twin on Werkzeug's development
    server (as `flask run`), the Quart app on Hypercorn with the shipped hypercorn.toml. The exit status
    is 0 only when every answer matches or differs on purpose.
    """
    # imported here: `greeter` serving never needs the comparison, nor the twin
    from greeter.comparison import report
    from greeter.comparison.differences import differences_markdown
    from greeter.comparison.verdict import Verdict

    if list_differences:
        click.echo(differences_markdown(), nl=False)
        return
    comparison = asyncio.run(_compare(in_process=in_process))
    if as_json:
        click.echo(json.dumps(report.as_json(comparison), indent=2, ensure_ascii=False))
    else:
        click.echo(report.table(comparison, only_differences=only_differences))
    if any(outcome.verdict is Verdict.MISMATCH for outcome in comparison.outcomes):
        sys.exit(1)


async def _compare(*, in_process: bool) -> Comparison:
    from greeter.comparison.corpus import load_corpus
    from greeter.comparison.run import compare_in_process, compare_over_http
    from greeter.launch import all_running, greeter_on_hypercorn, twin_on_werkzeug

    cases = load_corpus()
    if in_process:
        from greeter import create_app
        from greeter.flask_twin import create_flask_app

        return await compare_in_process(cases, create_flask_app(), create_app())
    with all_running(twin_on_werkzeug(), greeter_on_hypercorn()) as (twin, quart):
        return await compare_over_http(cases, twin, quart)


class BenchError(Exception):
    """Something greeter bench needs is missing: one sentence saying how to get it, exit status 2."""


@cli.command()
@click.option("--quick", is_flag=True, help="One short round: a smoke test, no figures to quote.")
@click.option("--rounds", type=WholeNumber(1), help="Rounds of every scenario (default 5; --quick 1).")
@click.option("--seconds", type=WholeNumber(1), help="Seconds of load per run (default 5; --quick 1).")
@click.option("--viewers", type=WholeNumber(0), help="Live stream viewers (default 10,000; --quick 100).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of the table.")
@click.option(
    "--in-process", is_flag=True, help="Only each app's own CPU cost per request, with no server (no wrk needed)."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("bench-results"),
    show_default=True,
    help="Where bench.json and bench.png are written.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=HYPERCORN_TOML,
    show_default="the shipped hypercorn.toml",
    help="Hypercorn settings for greeter, stock Quart and the bare app.",
)
def bench(
    quick: bool,
    rounds: int | None,
    seconds: int | None,
    viewers: int | None,
    as_json: bool,
    in_process: bool,
    out: Path,
    config_path: Path,
) -> None:
    """Measure greeter against stock Quart, a bare ASGI app and the Flask twin on Werkzeug and Gunicorn.

    Each contender runs as one worker process on a free loopback port; wrk makes the load, the contenders
    taking turns round by round, and the figures are medians over the rounds. Results: a table (or --json)
    on standard output, and bench.json and bench.png in --out.
    """
    import dataclasses

    from greeter.bench import contenders as every
    from greeter.bench import report
    from greeter.bench.rounds import SHORT_ROUTES, make_plan, run_plan
    from greeter.bench.wrk import WrkMissing, wrk_path
    from greeter.launch import all_running

    plan = make_plan(quick=quick, rounds=rounds, seconds=seconds, viewers=viewers)
    if in_process:
        from greeter.bench.in_process import run_in_process

        found = run_in_process(SHORT_ROUTES, rounds=plan.in_process_rounds, requests=plan.in_process_requests)
        in_json = {"in_process": [dataclasses.asdict(result) for result in found]}
        click.echo(json.dumps(in_json, indent=2) if as_json else report.in_process_table(found))
        return
    try:
        wrk_path()
    except WrkMissing as error:
        raise BenchError(str(error)) from None
    _require_modules(("gunicorn", "matplotlib"), "pip install 'greeter[bench]'")
    load_hypercorn_config(config_path)  # a wrong file is one sentence here, not a server that fails to start
    contenders = {
        contender.key: contender
        for contender in (
            every.greeter(config_path),
            every.stock_quart(config_path),
            every.bare_asgi(config_path),
            every.flask_werkzeug(),
            every.flask_gunicorn("sync"),
            every.flask_gunicorn("gthread"),
        )
    }
    with all_running(*(contender.spec for contender in contenders.values())) as servers:
        running = dict(zip(contenders, servers, strict=True))
        results = run_plan(plan, running, progress=lambda line: click.echo(line, err=True))
    out.mkdir(parents=True, exist_ok=True)
    figures = report.as_json(plan, results, contenders)
    (out / "bench.json").write_text(json.dumps(figures, indent=2) + "\n")
    report.chart(plan, results, out / "bench.png")
    click.echo(json.dumps(figures, indent=2) if as_json else report.table(plan, results, contenders))
    click.echo(f"greeter bench: wrote {out / 'bench.json'} and {out / 'bench.png'}", err=True)


def _require_modules(names: tuple[str, ...], install: str) -> None:
    import importlib.util

    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        raise BenchError(f"greeter bench needs {' and '.join(missing)}: {install}")
