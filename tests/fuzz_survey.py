"""A long survey with the differential fuzzer: many cases, in shards, every finding counted by family.

tests/test_fuzz.py fails on the first difference it does not allow; this counts them all instead, with the
shortest example of each, to see what a change does (run it before and after), or to find new families:

    .venv/bin/python tests/fuzz_survey.py --examples 5000 --shards 2 --seed 100 --out /tmp/fuzz-survey
    .venv/bin/python tests/fuzz_survey.py ... --code /path/to/another/checkout   # its greeter, this fuzzer

Shard n draws its cases from seed + n, on its own pair of servers (free ports, as the suite starts them).
Ctrl+C or SIGTERM stops it between two cases: each shard stops its servers and writes its counts so far, and the
total of those is printed, marked as stopped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path
from typing import Any

from conftest import scaled, server_starter
from fuzz_families import APP, CRASH, SAME, SERVER, UNEXPLAINED, classify
from fuzz_requests import FuzzCase, fuzz_case
from fuzz_servers import CASE_SECONDS, run_case, start_pair
from hypothesis import HealthCheck, Phase, given, seed, settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# a stopped shard ends its case in flight, then stops two servers (conftest.stop_group): then it is killed
SHARD_STOP_SECONDS = CASE_SECONDS + scaled(30.0)


class Stopped(BaseException):
    """Raised between two cases once a stop signal came: not an Exception, so Hypothesis does not take it for a
    failure to shrink, and passes it on."""


class StopSignals:
    """Stop signals remembered, never raised as KeyboardInterrupt, so no cleanup is cut short."""

    def __init__(self) -> None:
        self.received = False
        for number in STOP_SIGNALS:
            signal.signal(number, self._remember)

    def _remember(self, number: int, frame: object) -> None:
        self.received = True


def run_shard(number: int, examples: int, first_seed: int, out: Path, code: Path | None) -> None:
    stop = StopSignals()
    counts: Counter[str] = Counter()
    shortest: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    folder = out / f"shard{number}"
    folder.mkdir(parents=True, exist_ok=True)
    with server_starter(folder) as start:
        pair = start_pair(start, code)

        @seed(first_seed + number)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=fuzz_case())
        def explore(case: FuzzCase) -> None:
            if stop.received:
                raise Stopped
            finding = classify(run_case(pair, case))
            key = f"{finding.kind}: {finding.family}" if finding.kind != SAME else SAME
            counts[key] += 1
            counts["(cases)"] += 1
            counts["(requests)"] += len(case.methods)
            if finding.kind != SAME and (key not in shortest or len(case.data) < len(shortest[key]["data"])):
                shortest[key] = {
                    "data": case.data.decode("latin-1"),
                    "greeter": finding.greeter,
                    "twin": finding.twin,
                }

        with suppress(Stopped):
            explore()
    report = {"seconds": time.monotonic() - started, "stopped": stop.received, "counts": counts, "shortest": shortest}
    (out / f"shard{number}.json").write_text(json.dumps(report, indent=1))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="cases per shard")
    parser.add_argument("--seed", type=int, default=0, help="shard n draws from seed + n")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/greeter-fuzz-survey"))
    parser.add_argument("--code", type=Path, help="a checkout whose greeter the servers run (default: this one)")
    options = parser.parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    for number in range(options.shards):  # a shard's report of an earlier run is not this one's
        (options.out / f"shard{number}.json").unlink(missing_ok=True)
    stop = StopSignals()
    started = time.monotonic()
    shards = [
        multiprocessing.Process(target=run_shard, args=(n, options.examples, options.seed, options.out, options.code))
        for n in range(options.shards)
    ]
    for shard in shards:
        shard.start()
    wait_for_shards(shards, stop)
    total: Counter[str] = Counter()
    shortest: dict[str, dict[str, Any]] = {}
    for number in range(options.shards):
        path = options.out / f"shard{number}.json"
        if not path.exists():  # killed before it wrote its counts
            print(f"shard {number} wrote no counts", file=sys.stderr)
            continue
        result = json.loads(path.read_text())
        stop.received |= result["stopped"]
        total.update(result["counts"])
        for key, item in result["shortest"].items():
            if key not in shortest or len(item["data"]) < len(shortest[key]["data"]):
                shortest[key] = item
    seconds = time.monotonic() - started
    report = {
        "seconds": seconds,
        "seed": options.seed,
        "shards": options.shards,
        "stopped": stop.received,
        "counts": dict(total.most_common()),
    }
    (options.out / "report.json").write_text(json.dumps({**report, "shortest": shortest}, indent=1))
    print(
        f"{total['(cases)']} cases, {total['(requests)']} requests in {seconds:.0f} s;"
        f" seeds {options.seed} to {options.seed + options.shards - 1}, {options.examples} cases each"
        + ("; stopped by a signal: the counts so far" if stop.received else "")
    )
    failing = 0
    for key, count in total.most_common():
        if key.startswith("("):
            continue
        kind = key.split(":", 1)[0]
        failing += count if kind in (APP, CRASH, UNEXPLAINED) else 0
        print(f"{count:7d}  {key}")
        if kind != SERVER and key in shortest:
            item = shortest[key]
            print(f"           {item['data'][:150]!r}\n           greeter: {item['greeter'][:110]}")
            print(f"           twin:    {item['twin'][:110]}")
    return 1 if failing or stop.received else 0


def wait_for_shards(shards: list[multiprocessing.Process], stop: StopSignals) -> None:
    """Wait for every shard to end. Once a stop signal came (to this process alone, maybe: a SIGTERM), pass it on to
    each shard, then wait SHARD_STOP_SECONDS at most before killing one."""
    stopping_since: float | None = None
    while any(shard.is_alive() for shard in shards):
        if stop.received and stopping_since is None:
            stopping_since = time.monotonic()
            for shard in shards:
                if shard.pid is not None and shard.is_alive():
                    os.kill(shard.pid, signal.SIGTERM)
        if stopping_since is not None and time.monotonic() - stopping_since > SHARD_STOP_SECONDS:
            for shard in shards:
                shard.kill()
        for shard in shards:
            shard.join(timeout=0.2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
