"""Who owns a live stream's memory: the server and app under tracemalloc, N streams held by a client process.

    python -m greeter.tools.bench.stream_owners greeter|bare N [--json] [--brief]

The app (greeter's, or the bare streaming app) runs on Hypercorn in this process, with the shipped hypercorn.toml's
settings, under tracemalloc; a client process (this module again, with --hold) opens N streams of /process/stream
that each read every event. A snapshot before the N streams (after a warm-up) and one while they are open are
compared. Each new allocation is owned by the first frame, from the allocation outwards, that is not the standard
library (quart/wrappers/request.py:56 is a Body's event); one the standard library alone made (asyncio's streams,
called back by the event loop) is owned by asyncio. These are Python objects only: what RSS adds on top (the
allocator's own overhead, libuv's handles) is the stream_memory scenario's to see.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import subprocess
import sys
import sysconfig
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FRAMES = 40  # deep enough to get from asyncio's internals out to the code that asked
WARM_UP = 50
TICKS_SECONDS = 2.5  # two ticks reach every viewer
SETTLE_SECONDS = 1.5
BRIEF_PACE = 0.4  # --brief (the bench's --quick): the waits this much as long, and the figures rougher
BRIEF = 0.5  # --brief (the bench's --quick): these waits so much shorter, the figures so much rougher
TOP = 12
STDLIB = tuple(str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib"))
PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])  # the folder greeter is imported from
HOLD_TIMEOUT = 120.0


@dataclass(frozen=True)
class Owners:
    kind: str
    streams: int
    bytes_per_stream: float
    packages: dict[str, float]  # package (greeter's own file by file): bytes per stream
    top: list[tuple[str, float, float]]  # file:line, bytes per stream, blocks per stream


def owner(frames: Iterable[tracemalloc.Frame]) -> tuple[str, str]:
    """(package, file:line) of the allocation: the first frame outwards not in the standard library."""
    stdlib_frame = None
    for frame in reversed(list(frames)):  # tracemalloc lists the oldest first
        path = frame.filename if frame.filename.startswith("<") else str(Path(frame.filename).resolve())
        if path.startswith("<") or path == str(Path(__file__).resolve()):
            continue
        if path.startswith(STDLIB) and "site-packages" not in path:
            stdlib_frame = stdlib_frame or (path, frame.lineno)
            continue
        relative = _relative(path)
        package = relative.split("/", 1)[0]
        return (relative if package == "greeter" else package), f"{relative}:{frame.lineno}"
    if stdlib_frame is None:
        return "?", "?"
    relative = stdlib_frame[0][len(STDLIB[0]) + 1 :]
    return relative.split("/", 1)[0].removesuffix(".py"), f"{relative}:{stdlib_frame[1]}"


def _relative(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    if path.startswith(PACKAGE_ROOT):
        return path[len(PACKAGE_ROOT) + 1 :]
    return path


def owners_of(kind: str, streams: int, before: tracemalloc.Snapshot, during: tracemalloc.Snapshot) -> Owners:
    by_line: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_package: dict[str, int] = defaultdict(int)
    for stat in during.compare_to(before, "traceback"):
        if stat.size_diff <= 0:
            continue
        package, where = owner(stat.traceback)
        by_line[where][0] += stat.size_diff
        by_line[where][1] += stat.count_diff
        by_package[package] += stat.size_diff
    total = sum(size for size, _ in by_line.values())
    top = sorted(by_line.items(), key=lambda item: -item[1][0])[:TOP]
    return Owners(
        kind=kind,
        streams=streams,
        bytes_per_stream=total / streams,
        packages={name: size / streams for name, size in sorted(by_package.items(), key=lambda item: -item[1])},
        top=[(where, size / streams, blocks / streams) for where, (size, blocks) in top],
    )


async def _controller(kind: str, streams: int, port: int, done: asyncio.Event, pace: float) -> Owners:
    try:
        await _hold(port, WARM_UP, lambda: None, pace)
        await asyncio.sleep(SETTLE_SECONDS * pace)
        gc.collect()
        before = tracemalloc.take_snapshot()
        snapshots: list[tracemalloc.Snapshot] = []

        def snapshot() -> None:
            gc.collect()
            snapshots.append(tracemalloc.take_snapshot())

        await _hold(port, streams, snapshot, pace)
        return owners_of(kind, streams, before, snapshots[0])
    finally:
        done.set()


async def _hold(port: int, streams: int, while_held: Callable[[], None], pace: float) -> None:
    """A client process holds the streams; while_held runs here once they have had their ticks."""
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "greeter.tools.bench.stream_owners",
        "--hold",
        str(port),
        str(streams),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert client.stdin is not None and client.stdout is not None
    try:
        line = await asyncio.wait_for(client.stdout.readline(), HOLD_TIMEOUT)
        if not line.startswith(b"held"):
            raise RuntimeError(f"the client did not hold its streams: {line!r}")
        await asyncio.sleep(TICKS_SECONDS * pace)
        while_held()
        client.stdin.write(b"\n")
        await client.stdin.drain()
        await asyncio.wait_for(client.wait(), HOLD_TIMEOUT)
    finally:
        if client.returncode is None:
            client.kill()
            await client.wait()


def serve_and_measure(kind: str, streams: int, pace: float = 1.0) -> Owners:
    from hypercorn.asyncio import serve

    from greeter.server.hypercorn_config import load_hypercorn_config
    from greeter.server.limits import allow_many_connections
    from greeter.server.worker import event_loop_factory
    from greeter.shared.paths import HYPERCORN_TOML

    allow_many_connections()
    config = load_hypercorn_config(HYPERCORN_TOML)
    listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
    port = listener.getsockname()[1]
    config.bind = [f"fd://{listener.detach()}"]
    config.errorlog = None  # no banner: standard output is the JSON
    if kind == "greeter":
        from greeter import create_app

        app: Any = create_app()
    else:
        from greeter.tools.bench.bare_app import app

    async def main() -> Owners:
        tracemalloc.start(FRAMES)  # only now: what was made before is in neither snapshot, and imports are slow traced
        done = asyncio.Event()
        measuring = asyncio.create_task(_controller(kind, streams, port, done, pace))
        await serve(app, config, shutdown_trigger=done.wait)
        return await measuring

    with asyncio.Runner(loop_factory=event_loop_factory(config.worker_class)) as runner:
        return runner.run(main())


async def hold_streams(port: int, streams: int) -> None:
    """The client: N streams, each read to the end; `held N` once all are open; closed on a line on stdin."""
    from greeter.server.limits import allow_many_connections

    allow_many_connections()
    gate = asyncio.Semaphore(100)
    writers: list[asyncio.StreamWriter] = []
    readers: list[asyncio.Task[None]] = []

    async def read(reader: asyncio.StreamReader) -> None:
        while await reader.read(4096):
            pass

    async def open_one() -> None:
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET /process/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise ConnectionError(head[:60])
        writers.append(writer)
        readers.append(asyncio.create_task(read(reader)))

    await asyncio.gather(*(open_one() for _ in range(streams)))
    print(f"held {len(writers)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for writer in writers:
        writer.close()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--hold"]:
        asyncio.run(hold_streams(int(argv[1]), int(argv[2])))
        return
    kind, streams = argv[0], int(argv[1])
    if kind not in ("greeter", "bare"):
        raise SystemExit("usage: python -m greeter.tools.bench.stream_owners greeter|bare N [--json] [--brief]")
    found = serve_and_measure(kind, streams, BRIEF_PACE if "--brief" in argv else 1.0)
    if "--json" in argv:
        print(json.dumps(asdict(found)))
        return
    print(f"{kind}: {found.bytes_per_stream:,.0f} B per stream in Python objects, {streams} streams")
    for package, size in found.packages.items():
        print(f"  {package:<32} {size:7,.0f} B")


if __name__ == "__main__":
    main(sys.argv[1:])
