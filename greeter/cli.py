"""The `greeter` command line: it parses what was typed and dispatches; each command's work is done elsewhere.

`greeter` serves (greeter/server/serve.py), `greeter twin` serves the Flask twin (greeter/server/twin.py),
`greeter compare`, `greeter bench` and `greeter course` are tools (greeter/tools/). Every mistake is one sentence and
an exit status.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from greeter.server.invoked import as_invoked, command_as_run, invoked_command
from greeter.server.machine_addresses import is_loopback
from greeter.server.ports import PortError, parse_port
from greeter.shared.errors import GreeterError
from greeter.shared.paths import HYPERCORN_TOML

# a first argument that is a word, not a port: most likely a command mistyped (`greeter twim`)
_WORD = re.compile(r"[A-Za-z][A-Za-z_-]*")


class NoSuchCommand(GreeterError):
    """A word where a command or a port goes: one sentence, exit status 2."""


class UnsafeChoice(GreeterError):
    """Options that work but are unsafe together (--debug on a public address): one sentence, exit status 2."""


class ServeByDefault(click.Group):
    """`greeter`, `greeter 8080` and `greeter --port 8080` all mean `greeter serve ...`."""

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
    except GreeterError as error:  # 2 for what was typed or set, 1 for what the machine refused (or a stop)
        _fail(str(error), exit_status=error.exit_status)
    except click.UsageError as error:  # the options are the problem: an unknown one, a bad value, one too many
        _fail(f"{_end(_usage_words(error))} Run `{_help_command(error.ctx)}` for the options.", error.exit_code)
    except click.ClickException as error:
        _fail(_lower_first(error.format_message()), error.exit_code)
    except (click.Abort, KeyboardInterrupt):  # Ctrl+C in a test runner's CliRunner, where no handler remembers it
        _fail("stopped.", exit_status=1)
    sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str, exit_status: int) -> NoReturn:
    # the commands suggested are the one the person ran: `greeter twin 0`, `.venv/bin/greeter 0`
    click.echo(f"greeter: {_end(as_invoked(message, _command_run()))}", err=True)
    sys.exit(exit_status)


def _command_run() -> str:
    """The command the person ran, as they typed it: `.venv/bin/greeter`, `greeter twin`, `python -m greeter`."""
    arguments = sys.argv[1:]
    return command_as_run(arguments[0] if arguments and arguments[0] in cli.commands else "serve")


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
    from greeter.server.serve import ServeOptions
    from greeter.server.serve import serve as serve_greeter

    if socket_path is not None:
        _socket_alone(port_argument, port_option, host_given=_given(click.get_current_context(), "host"))
    if debug and not allow_remote_debug and (socket_path is not None or not is_loopback(host)):
        reach = "the web server's clients" if socket_path is not None else f"whoever can reach {host}"
        raise UnsafeChoice(
            f"--debug shows tracebacks to {reach}; serve on 127.0.0.1 (and use an SSH tunnel),"
            " or add --allow-remote-debug if every machine there is yours."
        )
    options = ServeOptions(
        host=host,
        asked_port=None if socket_path is not None else _asked_port(port_argument, port_option),
        socket_path=socket_path,
        workers=workers,
        reload=reload,
        debug=debug,
        proxy_hops=proxy_hops,
        certfile=certfile,
        keyfile=keyfile,
        config_path=config_path,
        command=_command_run(),
    )
    sys.exit(serve_greeter(options))


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
    from greeter.server.twin import twin as serve_twin

    serve_twin(host, _asked_port(port_argument, port_option), command=_command_run())


@cli.command("config-path")
def config_path_command() -> None:
    """Print where the shipped hypercorn.toml is, for plain Hypercorn from any directory.

    hypercorn --config "$(greeter config-path)" greeter:app
    """
    click.echo(str(HYPERCORN_TOML))


@cli.command()
@click.option("--flask", "flask_app", metavar="MODULE:APP", help="Your Flask app, as flask --app names it.")
@click.option("--quart", "quart_app", metavar="MODULE:APP", help="Its Quart port, named the same way.")
@click.option(
    "--corpus",
    "corpus_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="The requests to send (TOML); default: greeter's own, or one made from the Flask app's URL map.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole comparison as JSON, for machines.")
@click.option("--only-differences", is_flag=True, help="Leave out the rows that match.")
@click.option("--in-process", is_flag=True, help="Use the two test clients instead of real servers (fast).")
@click.option("--differences", "list_differences", is_flag=True, help="Print the intended differences (Markdown).")
def compare(
    flask_app: str | None,
    quart_app: str | None,
    corpus_path: Path | None,
    as_json: bool,
    only_differences: bool,
    in_process: bool,
    list_differences: bool,
) -> None:
    """Send one corpus of requests to a Flask app and its Quart port, and compare every answer.

    With --flask and --quart, your two apps, imported from the current folder (MODULE:APP,
    MODULE:create_app() or MODULE, as flask --app takes them); with neither, greeter's own pair. By default
    each runs on a real server on a free loopback port: the Flask app on Werkzeug's development server (as
    `flask run`), the Quart app on Hypercorn (greeter's with the shipped hypercorn.toml). The exit status is 0
    when every answer matches or differs on purpose, 1 on any MISMATCH, 2 for a mistake in what was given.
    """
    from greeter.tools.compare.run import run_compare  # `greeter` serving never needs the comparison

    sys.exit(
        run_compare(
            flask=flask_app,
            quart=quart_app,
            corpus_path=corpus_path,
            as_json=as_json,
            only_differences=only_differences,
            in_process=in_process,
            list_differences=list_differences,
        )
    )


@cli.command()
@click.option("--quick", is_flag=True, help="Every scenario in a tiny size: a smoke test, no figures to quote.")
@click.option(
    "--rounds", type=WholeNumber(1), help="Rounds of the routes, footprint and streams (default 5; --quick 1)."
)
@click.option("--seconds", type=WholeNumber(1), help="Seconds of load per run of a route (default 5; --quick 1).")
@click.option("--viewers", type=WholeNumber(0), help="Live streams of the crowd (default 5,000; --quick 50).")
@click.option("--students", type=WholeNumber(1), help="Students of the course (default 30; --quick 2).")
@click.option(
    "--only",
    metavar="SCENARIO",
    multiple=True,
    help="Run only this scenario (again for more): footprint, course, streams, routes, profile, crowd, in-process,"
    " instructions.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of the tables.")
@click.option(
    "--in-process", is_flag=True, help="Only each app's own CPU cost per request, with no server (no wrk needed)."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("bench-results"),
    show_default=True,
    help="Where bench.json, bench.txt (the tables), bench.png and course.png are written.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    show_default="the shipped hypercorn.toml",
    help="Hypercorn settings for greeter, stock Quart and the bare app.",
)
@click.option("--flask", "flask_app", metavar="MODULE:APP", help="Your Flask app, as flask --app names it.")
@click.option("--quart", "quart_app", metavar="MODULE:APP", help="Its Quart port, named the same way.")
@click.option("--path", "paths", metavar="/x", multiple=True, help="A path of your apps to load (again for more).")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    metavar="CHECKOUT",
    help="Another checkout of greeter (before a change), measured beside this one.",
)
def bench(
    quick: bool,
    rounds: int | None,
    seconds: int | None,
    viewers: int | None,
    students: int | None,
    only: tuple[str, ...],
    as_json: bool,
    in_process: bool,
    out: Path,
    config_path: Path | None,
    flask_app: str | None,
    quart_app: str | None,
    paths: tuple[str, ...],
    baseline: Path | None,
) -> None:
    """Measure greeter against stock Quart, a bare ASGI app and the Flask twin, or your Flask app against its port.

    The footprint of each development server, a course of students behind Apache, memory per live stream, the
    routes under wrk, a profile, thousands of clients at once, and the cost of each request in-process and in
    instructions. Each contender runs as one worker process on a free loopback port, the contenders taking turns;
    figures are medians. With --flask and --quart (imported from the current folder, as greeter compare does)
    and --path, your two apps in the same scenarios, but those that need greeter's own routes. Results: the
    tables (or --json) on standard output, and bench.json and the charts in --out.
    """
    from greeter.tools.bench.run import Options, run_bench

    run_bench(
        Options(
            quick=quick,
            rounds=rounds,
            seconds=seconds,
            viewers=viewers,
            students=students,
            only=only,
            as_json=as_json,
            in_process=in_process,
            out=out,
            config_path=config_path,
            flask=flask_app,
            quart=quart_app,
            paths=paths,
            baseline=baseline,
        )
    )


@cli.group(invoke_without_command=True, short_help="The teacher's commands for a course server.")
@click.pass_context
def course(ctx: click.Context) -> None:
    """The teacher's commands for a course server, where each student's greeter is on a socket of their own.

    FOLDER holds one folder per student, each with that student's greeter.sock (default /srv/greeter-sockets).
    """
    if ctx.invoked_subcommand is None:
        # greeter's messages say `greeter ...`: main() makes that the command as run, `greeter course` here
        raise NoSuchCommand("a command goes after course: `greeter status` or `greeter apache-config`.")


FOLDER = click.argument("folder", type=click.Path(path_type=Path), required=False)


@course.command("status", short_help="Every student's socket: running, hung, stale, missing or suspicious.")
@FOLDER
@click.option("--json", "as_json", is_flag=True, help="Print every student's socket as JSON, for scripts.")
def course_status(folder: Path | None, as_json: bool) -> None:
    """Every student's socket: running (pid, since, answer time), hung, stale, missing or suspicious.

    Running: a process of the student's listens and answered GET / (as the web server asks it). Hung: it accepts
    but does not answer within 2 s. Stale: a socket file nobody listens on, left by a greeter that was killed.
    Missing: no socket. Suspicious: not a socket, a link, or the wrong owner, group or mode. The exit status is
    0 when nothing needs you (every socket running, stale or missing), 1 when one is hung or suspicious (or
    could not be looked at: run it as root), 2 for a folder that cannot be read.
    """
    from greeter.tools.course.status import course_status as print_course_status

    sys.exit(print_course_status(folder, as_json=as_json))


@course.command("apache-config", short_help="Each student's Apache proxy worker, for the course's site file.")
@FOLDER
@click.option(
    "--connections", type=WholeNumber(1), default=8, show_default=True, help="Connections one student's greeter gets."
)
@click.option("--timeout", type=WholeNumber(1), default=20, show_default=True, help="Seconds before 'not answering'.")
def course_apache_config(folder: Path | None, connections: int, timeout: int) -> None:
    """Print each student's Apache proxy worker, for /etc/apache2/greeter-course-students.conf.

    greeter course apache-config > /etc/apache2/greeter-course-students.conf

    One worker per student folder in FOLDER, with its limits: run it again after adding a student, then reload
    Apache. deploy/apache/greeter-course.conf includes the file and explains each limit.
    """
    from greeter.tools.course.apache_config import apache_config

    click.echo(apache_config(folder, connections, timeout), nl=False)
