"""Settings: defaults, then GREETER_* from the environment, then the test config; the same for both apps."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO_ROOT, command_path, scaled
from flask import Flask
from quart import Quart

from greeter import create_app
from greeter.flask_twin import create_flask_app
from greeter.shared.settings import DEFAULTS, SERVED_HOSTS, PlainConfig, SettingsError, check_settings


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
def test_defaults(factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GREETER_DEBUG", raising=False)
    app = factory()
    for key, value in DEFAULTS.items():
        assert app.config[key] == value
    assert app.debug is False


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
def test_environment_then_test_config(factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    # how `greeter --debug` reaches the app, in this process and in every worker
    monkeypatch.setenv("GREETER_DEBUG", "true")
    monkeypatch.setenv("GREETER_WAIT_MAX_SECONDS", "2.5")
    app = factory()
    assert app.debug is True
    assert app.config["WAIT_MAX_SECONDS"] == 2.5
    assert factory({"WAIT_MAX_SECONDS": 1}).config["WAIT_MAX_SECONDS"] == 1


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
def test_trusted_hosts_from_the_environment(
    factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREETER_TRUSTED_HOSTS", " Greeter.example , .course.example,")
    app = factory()
    assert app.config[SERVED_HOSTS] == ["greeter.example", ".course.example"]
    assert app.config["TRUSTED_HOSTS"] is None  # Flask's own check stays off: the twin checks as the Quart app does


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("GREETER_PROXY_HOPS", "one", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_PROXY_HOPS", "11", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_PROXY_HOPS", "-1", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_PROXY_HOPS", "1.5", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_PROXY_HOPS", "true", "GREETER_PROXY_HOPS must be a whole number"),
        ("GREETER_BLOCKED_LOOP_SECONDS", "half", "GREETER_BLOCKED_LOOP_SECONDS must be a number of seconds"),
        ("GREETER_BLOCKED_LOOP_SECONDS", "-0.5", "GREETER_BLOCKED_LOOP_SECONDS must be a number of seconds"),
        ("GREETER_BLOCKED_LOOP_SECONDS", "61", "GREETER_BLOCKED_LOOP_SECONDS must be a number of seconds"),
        ("GREETER_TRUSTED_HOSTS", ",", "GREETER_TRUSTED_HOSTS must name one host or more"),
        ("GREETER_TRUSTED_HOSTS", "[1, 2]", "GREETER_TRUSTED_HOSTS must name one host or more"),
    ],
)
def test_unusable_values_are_one_sentence(
    factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=words):
        factory()


# every numeric setting, with each kind of value no one means: (variable, value as written in the environment)
HOSTILE = [
    *(
        (name, value)
        for name in ("GREETER_WAIT_MAX_SECONDS", "GREETER_PROCESS_TICK_SECONDS")
        for value in ("abc", "-5", "NaN", "Infinity", "-Infinity", "1e400", "1e300", "true", '"5"', "[1]", "null")
    ),
    ("GREETER_PROCESS_TICK_SECONDS", "0"),  # a stream at full CPU: 29 MB in 2 s
    ("GREETER_PROCESS_TICK_SECONDS", "0.001"),
    ("GREETER_WAIT_MAX_SECONDS", "3601"),
    *(
        (name, value)
        for name in ("GREETER_STREAM_MAX_VIEWERS", "GREETER_PROXY_HOPS")
        for value in ("x", "-1", "1.5", "NaN", "Infinity", "1e400", "true", "99999999999999999999", '"3"', "null")
    ),
    ("GREETER_PROXY_HOPS", "11"),
    ("GREETER_STREAM_MAX_VIEWERS", "1000001"),
    ("GREETER_DEBUG", "yes"),
    ("GREETER_DEBUG", "1"),
    ("GREETER_TRUSTED_HOSTS", "5"),
]


@pytest.mark.parametrize("factory", [create_app, create_flask_app])
@pytest.mark.parametrize(("name", "value"), HOSTILE)
def test_every_hostile_value_is_one_sentence_naming_it(
    factory: Callable[..., Quart | Flask], monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        factory()
    sentence = str(refused.value)
    assert sentence.startswith(f"{name} must ") and sentence.endswith(".") and "\n" not in sentence


def sentence_of(check: Callable[[], object]) -> str | None:
    try:
        check()
    except SettingsError as error:
        return str(error)
    return None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        *HOSTILE,
        ("GREETER_WAIT_MAX_SECONDS", "2.5"),
        ("GREETER_TRUSTED_HOSTS", "a.org, .b.org"),
        ("GREETER_TRUSTED_HOSTS", '["a.org"]'),
        ("GREETER_DEBUG", "true"),
        ("GREETER_NOT_A_SETTING", "1"),
    ],
)
def test_the_framework_free_check_says_what_create_app_says(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    # `greeter --reload` checks the settings in its supervisor, which imports no framework to do it
    monkeypatch.setenv(name, value)
    assert sentence_of(check_settings) == sentence_of(create_app)


def test_the_plain_config_loads_the_environment_as_flask_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask.config import Config

    for name in [name for name in os.environ if name.startswith("GREETER_")]:
        monkeypatch.delenv(name)
    for name, value in {
        "GREETER_A": "1.5",
        "GREETER_B": "not json",
        "GREETER_C": '{"x": [1, 2]}',
        "GREETER_D__E": "true",
        "GREETER_D__F__G": '"deep"',
        "GREETER_lower": "null",
        "OTHER_H": "1",
    }.items():
        monkeypatch.setenv(name, value)
    flask_config, plain = Config("."), PlainConfig()
    for config in (flask_config, plain):
        config.from_mapping({"KEPT": 1, "dropped": 2})
        config.from_prefixed_env("GREETER")
    assert dict(plain) == dict(flask_config)


def test_checking_the_settings_imports_no_framework() -> None:
    code = (
        "import sys; from greeter.shared.settings import check_settings; check_settings(); "
        "print(sorted(name for name in ('flask', 'quart', 'werkzeug', 'jinja2') if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        (
            "GREETER_WAIT_MAX_SECONDS",
            "-5",
            "GREETER_WAIT_MAX_SECONDS must be a number of seconds from 0 to 3,600, not -5.",
        ),
        ("GREETER_PROCESS_TICK_SECONDS", "0", "must be a number of seconds from 0.05 to 3,600, not 0."),
        ("GREETER_STREAM_MAX_VIEWERS", "x", "must be a whole number of viewers from 0 to 1,000,000, not 'x'."),
        ("GREETER_PROXY_HOPS", "NaN", "must be a whole number of proxies from 0 to 10, not nan."),
    ],
)
def test_the_sentence_says_the_range(monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=re.escape(words)):
        create_app()


@pytest.mark.parametrize(
    ("key", "value"),
    [("WAIT_MAX_SECONDS", 0), ("WAIT_MAX_SECONDS", 3600), ("PROCESS_TICK_SECONDS", 0.05), ("STREAM_MAX_VIEWERS", 0)],
)
def test_the_ends_of_each_range_are_allowed(key: str, value: float) -> None:
    assert create_app({key: value}).config[key] == value


RUN_TIMEOUT = scaled(60)
A_TEST_RUN = """
from greeter import create_app
from greeter.flask_twin import create_flask_app


def test_something_else():
    assert True


def test_creates_the_app():
    create_app()
"""


def test_a_bad_setting_fails_the_test_that_creates_the_app_not_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_theirs.py").write_text(A_TEST_RUN)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "test_theirs.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "GREETER_WAIT_MAX_SECONDS": "abc"},
    )
    assert "INTERNALERROR" not in run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "SettingsError: GREETER_WAIT_MAX_SECONDS must be a number of seconds" in run.stdout


def _start(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
        cwd=REPO_ROOT,
        env={**os.environ, "GREETER_PROCESS_TICK_SECONDS": "0"},
    )


SENTENCE = "greeter: GREETER_PROCESS_TICK_SECONDS must be a number of seconds from 0.05 to 3,600, not 0.\n"


@pytest.mark.parametrize(
    "argv",
    [
        [command_path("greeter"), "0"],
        [command_path("greeter"), "twin", "0"],
        [command_path("flask"), "--app", "greeter.flask_twin", "run", "--port", "0"],
        # in Hypercorn's own process: with a worker process, Hypercorn 0.18 exits 0 whatever the worker's status
        [
            command_path("hypercorn"),
            "--config",
            "hypercorn.toml",
            "--workers",
            "0",
            "--bind",
            "127.0.0.1:0",
            "greeter:app",
        ],
    ],
)
def test_a_bad_setting_stops_each_server_with_one_sentence(argv: list[str]) -> None:
    stopped = _start(argv)
    assert (stopped.returncode, stopped.stderr, stopped.stdout) == (2, SENTENCE, "")


def test_plain_hypercorn_with_a_worker_says_one_sentence() -> None:
    stopped = _start([command_path("hypercorn"), "--config", "hypercorn.toml", "--bind", "127.0.0.1:0", "greeter:app"])
    # the worker refuses with the sentence and status 2; Hypercorn 0.18 itself then exits 0 (pgjones/hypercorn#269)
    assert (stopped.stderr, stopped.stdout) == (SENTENCE, "")
