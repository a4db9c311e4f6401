"""Every mistake a person can make starting the real `greeter` command: one sentence, an exit status, no traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from conftest import (
    GREETER_READY,
    Server,
    StartServer,
    command_lines_in_session,
    command_path,
    run_greeter,
    scaled,
    spawned,
)

RUN_TIMEOUT = scaled(30)


def assert_one_sentence(result: subprocess.CompletedProcess[str], exit_status: int, words: str) -> None:
    assert result.returncode == exit_status, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("greeter: ")
    assert lines[0].endswith("."), lines[0]  # a sentence, ended as one
    assert words in lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["8o8o"], {}, "port '8o8o' is not a number"),
        (["80"], {}, "port 80 is below 1024, where ports are reserved for the system"),
        (["70000"], {}, "port 70000 is above 65535, the largest port; give one from 1024 to 65535"),
        (["--port", "-5"], {}, "port '-5' is not a number"),
        ([], {"GREETER_PORT": "http"}, "port 'http' (from GREETER_PORT in your environment) is not a number"),
        (["8080", "--port", "8081"], {}, "two ports given"),
        (["--workers", "0"], {}, "--workers must be a whole number, 1 or more, not '0'. Run `"),
        (["--bogus"], {}, "no such option --bogus; did you mean --host? Run `"),
        (
            ["0"],
            {"GREETER_BLOCKED_LOOP_SECONDS": "soon"},
            "GREETER_BLOCKED_LOOP_SECONDS must be a number of seconds from 0 to 60, not 'soon'.",
        ),
    ],
)
def test_bad_arguments_exit_2(args: list[str], env: dict[str, str], words: str) -> None:
    assert_one_sentence(run_greeter(*args, env=env), 2, words)


def test_port_in_use_exits_1(busy_port: int) -> None:
    result = run_greeter(str(busy_port))
    assert_one_sentence(result, 1, f"port {busy_port} on 127.0.0.1 is already in use")
    assert f"run `{command_path('greeter')} 0` for any free port." in result.stderr  # the command as it was run
    assert f"greeter {busy_port + 1}" not in result.stderr  # on a course server, the next port is a classmate's UID


def test_port_in_use_by_your_earlier_greeter_names_it(greeter_server: Server) -> None:
    port = greeter_server.address[1]
    result = run_greeter(str(port), "--host", "0.0.0.0")
    pid = greeter_server.process.pid
    assert_one_sentence(
        result,
        1,
        f"port {port} on 0.0.0.0 is already in use by your own process {pid} (greeter), most likely a greeter you"
        f" started earlier and left running; stop it (Ctrl+C in its terminal, or `kill {pid}`),"
        f" or run `{command_path('greeter')} 0` for any free port.",
    )


def test_port_in_use_by_your_earlier_reloading_greeter_names_both(start_server: StartServer) -> None:
    server = start_server([command_path("greeter"), "0", "--reload"], GREETER_READY)
    port, pid = server.address[1], server.process.pid
    server.wait_for(r"reloading when a file changes")
    deadline = time.monotonic() + RUN_TIMEOUT
    while f"(port {port})" not in " ".join(command_lines_in_session(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)  # its worker, which holds the socket too, is named once it runs
    result = run_greeter(str(port))
    # two processes, said as two; stopping the first stops its worker gracefully, so only it is to be killed
    assert_one_sentence(result, 1, f"is already in use by your own processes {pid} (greeter) and ")
    assert "(greeter worker)" in result.stderr
    assert f"`kill {pid}`" in result.stderr


def test_a_name_that_does_not_resolve_exits_1() -> None:
    result = run_greeter("0", "--host", "nosuchhost.invalid")
    assert_one_sentence(result, 1, "cannot listen on nosuchhost.invalid: no address of that name was found;")
    assert "while attempting" not in result.stderr


def test_help_shows_the_serving_options() -> None:
    result = run_greeter("--help")
    assert result.returncode == 0
    serving = result.stdout.split("Serving options:")[1].split("Options:")[0]
    for option in ("--port", "--host", "--workers", "--reload", "--debug", "--proxy-hops", "--certfile", "--config"):
        assert f"  {option} " in serving, option
    assert "Usage: greeter [PORT] [OPTIONS]" in result.stdout
    assert "twin " in result.stdout.split("Commands:")[1]


def test_python_dash_m_calls_itself_greeter() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "greeter", "--version"], capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    assert result.stdout.startswith("greeter, version ")


def loading_dependencies(pid: int) -> bool:
    """Whether the process has begun loading greeter's dependencies: a compiled module of site-packages is mapped."""
    with suppress(OSError):
        return "site-packages" in Path(f"/proc/{pid}/maps").read_text()
    return False


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.1, 0.2])
def test_ctrl_c_while_starting_is_no_traceback(delay: float) -> None:
    argv = [command_path("greeter"), "0"]
    with spawned(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True) as process:
        # counted from greeter's first import of Quart, Hypercorn and the rest (the tenth of a second a person
        # sees): before it, Python is still starting or in the console-script wrapper pip writes, out of reach
        deadline = time.monotonic() + RUN_TIMEOUT
        while not loading_dependencies(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    assert "Traceback" not in stdout + stderr, stderr
    assert "KeyboardInterrupt" not in stdout + stderr
    # stopped before serving (one sentence, status 1), or after the banner (a graceful stop, status 0). A Ctrl+C
    # that lands inside click's own parsing gets click's newline first, which on a terminal ends the ^C line
    assert (process.returncode, stderr.lstrip("\n")) == (1, "greeter: stopped.\n") or process.returncode == 0, stderr


def test_address_not_on_this_machine_exits_1() -> None:
    # 192.0.2.0/24 is reserved for documentation: no machine has it, and binding sends no packet
    assert_one_sentence(run_greeter("0", "--host", "192.0.2.1"), 1, "cannot listen on 192.0.2.1")


def test_missing_config_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert_one_sentence(run_greeter("0", "--config", str(missing)), 2, f"config file {missing} does not exist")


def test_config_with_a_typo_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "typo.toml"
    config.write_text("graceful_timout = 3\n")
    assert_one_sentence(
        run_greeter("0", "--config", str(config)), 2, "keys that are not Hypercorn settings: graceful_timout"
    )


def test_config_that_is_not_toml_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("workers = [\n")
    assert_one_sentence(run_greeter("0", "--config", str(config)), 2, "is not valid TOML")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "greeter.example"])
def test_debug_off_loopback_is_refused(host: str) -> None:
    result = run_greeter("0", "--debug", "--host", host)
    assert_one_sentence(result, 2, f"--debug shows tracebacks to whoever can reach {host}")
    assert "--allow-remote-debug" in result.stderr


def test_debug_off_loopback_goes_on_when_forced() -> None:
    # forced, the refusal is gone: what stops it now is the address, which no machine has
    result = run_greeter("0", "--debug", "--allow-remote-debug", "--host", "192.0.2.1")
    assert_one_sentence(result, 1, "cannot listen on 192.0.2.1")


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("GREETER_PROXY_HOPS", "two", "GREETER_PROXY_HOPS must be a whole number of proxies"),
        ("GREETER_WAIT_MAX_SECONDS", "abc", "GREETER_WAIT_MAX_SECONDS must be a number of seconds from 0 to 3,600"),
        ("GREETER_WAIT_MAX_SECONDS", "-5", "GREETER_WAIT_MAX_SECONDS must be a number of seconds from 0 to 3,600"),
        ("GREETER_STREAM_MAX_VIEWERS", "x", "GREETER_STREAM_MAX_VIEWERS must be a whole number of viewers"),
        ("GREETER_PROCESS_TICK_SECONDS", "0", "GREETER_PROCESS_TICK_SECONDS must be a number of seconds from 0.05"),
        ("GREETER_TRUSTED_HOSTS", ",", "GREETER_TRUSTED_HOSTS must name one host or more"),
    ],
)
def test_unusable_setting_in_the_environment_exits_2(name: str, value: str, words: str) -> None:
    assert_one_sentence(run_greeter("0", env={name: value}), 2, words)


def test_https_needs_both_files(tmp_path: Path) -> None:
    assert_one_sentence(
        run_greeter("0", "--certfile", str(tmp_path / "c.pem")), 2, "needs both --certfile and --keyfile"
    )


def test_https_with_a_missing_certificate_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    result = run_greeter("0", "--certfile", str(missing), "--keyfile", str(missing))
    assert_one_sentence(result, 2, f"cannot serve HTTPS with certificate {missing}")
    assert "No such file or directory" in result.stderr


def test_https_with_files_that_are_not_pem_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    result = run_greeter("0", "--certfile", str(junk), "--keyfile", str(junk))
    assert_one_sentence(result, 2, "they are not a PEM certificate and its private key")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        # a typo of a command is not a port
        (["twim"], "there is no command 'twim' (did you mean `{greeter} twin`?), and a port is a number"),
        (["xyzzy"], "there is no command 'xyzzy' (`{greeter} --help` lists them), and a port is a number"),
        # click's own messages, in greeter's words: lower case, a full stop before "Run"
        (["--hots", "x"], "greeter: no such option --hots; did you mean --host or --port? Run `{greeter} --help` for"),
        (
            ["--workers", "abc"],
            "greeter: --workers must be a whole number, 1 or more, not 'abc'. Run `{greeter} --help`",
        ),
        (["0", "9090"], "greeter: got unexpected extra argument (9090). Run `{greeter} --help` for the options."),
        # a usage error names the help of the command that was run
        (["twin", "--reload"], "greeter: no such option --reload. Run `{greeter} twin --help` for the options."),
    ],
)
def test_usage_errors_in_greeters_words(args: list[str], words: str) -> None:
    assert_one_sentence(run_greeter(*args), 2, words.format(greeter=command_path("greeter")))


def test_a_refusal_has_no_pointer_to_the_options() -> None:
    # the sentence says what to do; "Run `greeter --help`" is for when the options are the problem
    result = run_greeter("0", "--host", "0.0.0.0", "--debug")
    assert_one_sentence(result, 2, "--debug shows tracebacks")
    assert "--help" not in result.stderr


def test_a_bad_port_from_the_environment_names_it() -> None:
    result = run_greeter(env={"GREETER_PORT": "abc"})
    assert_one_sentence(result, 2, "port 'abc' (from GREETER_PORT in your environment) is not a number")
    assert "GREETER_PORT" not in run_greeter("abc").stderr  # typed: the person knows where it came from


def test_help_names_the_values() -> None:
    serving = run_greeter("--help").stdout
    assert "--port PORT " in serving
    assert "--workers N " in serving
    assert "x>=" not in serving


def test_twin_with_the_port_busy_suggests_the_twin(busy_port: int) -> None:
    result = run_greeter("twin", str(busy_port))
    assert_one_sentence(result, 1, f"run `{command_path('greeter')} twin 0` for any free port.")


@pytest.mark.parametrize(
    ("how", "suggested"),
    [
        ("relative", "bin/greeter 0"),  # as a student types it from the README: .venv/bin/greeter
        ("path", "greeter 0"),  # found on PATH (an activated venv)
        ("-m", "python -m greeter 0"),
    ],
)
def test_suggestions_are_the_command_as_it_was_run(how: str, suggested: str, busy_port: int) -> None:
    venv = Path(command_path("greeter")).parent.parent
    argv = {
        "relative": ["bin/greeter"],
        "path": ["greeter"],
        "-m": [sys.executable, "-m", "greeter"],
    }[how]
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"} if how == "path" else None
    result = subprocess.run(
        [*argv, str(busy_port)], capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=venv, env=env
    )
    assert_one_sentence(result, 1, f"or run `{suggested}` for any free port.")
