"""greeter/server/zygote.py: workers forked from the supervisor itself. Each case runs in a Python of its own (a fork
from the test runner, which has threads, would prove nothing), and prints what it found."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from conftest import STOP_TIMEOUT

# the supervisor's imports, then a worker forked the supervisor's way; the worker reports over its pipe
FORKED = """
import json, os, signal, sys, time
import greeter.cli, greeter.server.serve
from greeter.server.zygote import Channel, fork_worker, preload

def main(orders, title):
    os.kill(os.getpid(), signal.SIGTERM)  # ignored, as SIGINT and SIGHUP: only the supervisor's word stops it
    os.kill(os.getpid(), signal.SIGHUP)
    found = {
        "greeter_forgotten": not any(name.startswith("greeter") for name in sys.modules),
        "framework_there": "quart" in sys.modules,
        "title": open("/proc/self/cmdline", "rb").read().split(b"\\0")[0].decode(),
        "other_end_closed": closed_here,
    }
    import greeter.server.worker  # greeter anew, from disk
    found["greeter_again"] = "greeter.server.worker" in sys.modules
    orders.send(json.dumps(found))
    raise SystemExit(int(sys.argv[1]))

preload()
ours, theirs = Channel.pair()
kept, given_away = Channel.pair()  # a pipe end the worker must not hold: another worker's
closed_here = False

def close_kept():
    global closed_here
    kept.close()
    closed_here = True

child = fork_worker(theirs, "greeter worker 9 (test)", [ours.close, close_kept], main)
theirs.close()
child.join(10)
report = json.loads(b"".join(iter(lambda: ours.sock.recv(65536), b"")))  # the channel's words are short; this is not
given_away.close()
kept.sock.setblocking(False)
print(json.dumps({**report, "exitcode": child.exitcode, "supervisor_still_has_its_end": kept.fileno() >= 0}))
"""


def run_forked(exit_status: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", FORKED, str(exit_status)], capture_output=True, text=True, timeout=STOP_TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_a_forked_worker_forgets_greeter_ignores_stop_signals_and_closes_what_it_is_given() -> None:
    found = run_forked(3)
    assert found["greeter_forgotten"] and found["greeter_again"]  # the code as it is on disk now
    assert found["framework_there"]  # the supervisor's pages, shared
    assert found["title"] == "greeter worker 9 (test)"  # in `ps` at once
    assert found["other_end_closed"]  # the supervisor's ends of other pipes: closed in the worker only
    assert found["supervisor_still_has_its_end"]
    assert found["exitcode"] == 3  # os._exit with the worker's own status: SIGTERM and SIGHUP did not kill it


def test_a_worker_that_ends_normally_exits_0() -> None:
    assert run_forked(0)["exitcode"] == 0


# two workers started together: each closes the supervisor's end of its own pipe, the second that of the first too
SIBLINGS = """
import json
from unittest import mock
import greeter.server.supervisor as supervisor
from greeter.server.hypercorn_config import load_hypercorn_config
from greeter.server.listen import listen
from greeter.shared.paths import HYPERCORN_TOML

given = []

def fake_fork(theirs, title, inherited, main):
    given.append([getattr(closer, "__self__", None) for closer in inherited])
    return supervisor.Child(0)

config = load_hypercorn_config(HYPERCORN_TOML)
config.workers = 2
with mock.patch.object(supervisor, "fork_worker", fake_fork), mock.patch.object(supervisor.Child, "__init__",
                                                                               lambda self, pid: None):
    boss = supervisor.Supervisor(config, listen("127.0.0.1", 0), None)
    first, second = boss._start_workers()
print(json.dumps({"second_closes_first": first.orders in given[1], "first_closes_own": first.orders in given[0]}))
"""


def test_each_worker_closes_the_supervisors_end_of_every_other_workers_pipe() -> None:
    # else a supervisor killed with SIGKILL would leave the first worker serving, unsupervised, while the second
    # held its pipe open
    done = subprocess.run([sys.executable, "-c", SIBLINGS], capture_output=True, text=True, timeout=STOP_TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"second_closes_first": True, "first_closes_own": True}
