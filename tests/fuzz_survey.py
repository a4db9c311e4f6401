"""A long survey with the differential fuzzer: many cases, in shards, every finding counted by family.

tests/test_fuzz.py fails on the first difference it does not allow; this counts them all instead, with the
shortest example of each, to see what a change does (run it before and after), or to find new families:

    .venv/bin/python tests/fuzz_survey.py --examples 5000 --shards 2 --seed 100 --out /tmp/fuzz-survey
    .venv/bin/python tests/fuzz_survey.py ... --code /path/to/another/checkout   # its greeter, this fuzzer

Shard n draws its cases from seed + n, on its own pair of servers (free ports, as the suite starts them).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import server_starter
from fuzz_families import APP, CRASH, SAME, SERVER, UNEXPLAINED, classify
from fuzz_requests import FuzzCase, fuzz_case
from fuzz_servers import run_case, start_pair
from hypothesis import HealthCheck, Phase, given, seed, settings


def run_shard(number: int, examples: int, first_seed: int, out: Path, code: Path | None) -> None:
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

        explore()
    report = {"seconds": time.monotonic() - started, "counts": counts, "shortest": shortest}
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
    started = time.monotonic()
    shards = [
        multiprocessing.Process(target=run_shard, args=(n, options.examples, options.seed, options.out, options.code))
        for n in range(options.shards)
    ]
    for shard in shards:
        shard.start()
    for shard in shards:
        shard.join()
    total: Counter[str] = Counter()
    shortest: dict[str, dict[str, Any]] = {}
    for number in range(options.shards):
        result = json.loads((options.out / f"shard{number}.json").read_text())
        total.update(result["counts"])
        for key, item in result["shortest"].items():
            if key not in shortest or len(item["data"]) < len(shortest[key]["data"]):
                shortest[key] = item
    seconds = time.monotonic() - started
    report = {"seconds": seconds, "seed": options.seed, "shards": options.shards, "counts": dict(total.most_common())}
    (options.out / "report.json").write_text(json.dumps({**report, "shortest": shortest}, indent=1))
    print(
        f"{total['(cases)']} cases, {total['(requests)']} requests in {seconds:.0f} s;"
        f" seeds {options.seed} to {options.seed + options.shards - 1}, {options.examples} cases each"
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
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
