"""What one long-running process knows about itself, kept in memory between requests. No framework here."""

from __future__ import annotations

import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jinja2 import BaseLoader, Environment

from greeter.shared.run_facts import RunFacts, format_duration


@dataclass
class ProcessState:
    """This process's own figures: each worker process has its own, as each has its own memory."""

    pid: int = field(default_factory=os.getpid)
    ppid: int = field(default_factory=os.getppid)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_monotonic: float = field(default_factory=time.monotonic)  # immune to changes of the wall clock
    server: str = "not serving (a test client)"
    worker_class: str = "none"
    requests_served: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    template_reads: Counter[str] = field(default_factory=Counter)
    template_renders: Counter[str] = field(default_factory=Counter)
    run: RunFacts | None = None  # a worker of greeter's supervisor: the whole run, across reloads

    def request_started(self) -> None:
        self.requests_served += 1
        if self.run is not None:
            self.run.count(self.requests_served)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def request_finished(self) -> None:
        self.in_flight -= 1

    def template_rendered(self, name: str | None) -> None:
        self.template_renders[name or "<string>"] += 1

    def uptime(self) -> float:
        return time.monotonic() - self.started_monotonic

    def snapshot(self, *, viewers: int, debug: bool) -> dict[str, Any]:
        """The figures the page shows and the stream sends, as JSON-ready values."""
        uptime = self.uptime()
        return {
            "pid": self.pid,
            "ppid": self.ppid,
            "server": self.server,
            "worker_class": self.worker_class,
            "python": platform.python_version(),
            "debug": debug,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "uptime": format_duration(uptime),
            "uptime_seconds": round(uptime, 3),
            "requests_served": self.requests_served,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "templates": self.template_counts(),
            "viewers": viewers,
            "run": self.run.sentence(self.pid, uptime) if self.run is not None else None,
        }

    def template_counts(self) -> list[dict[str, Any]]:
        """Each template read or rendered so far: how often read from disk, how often rendered as a page."""
        names = sorted(self.template_reads.keys() | self.template_renders.keys())
        return [
            {"name": name, "read": self.template_reads[name], "rendered": self.template_renders[name]} for name in names
        ]

    def stopping_line(self, grace_seconds: float) -> str | None:
        """What the log says when a stop begins with requests still in flight; None when none are."""
        if not self.in_flight:
            return None
        requests = "1 request" if self.in_flight == 1 else f"{self.in_flight} requests"
        return f"greeter: stopping; waiting up to {grace_seconds:g} s for {requests} in flight."

    def served_line(self) -> str:
        """The serving log's last line."""
        requests = "1 request" if self.requests_served == 1 else f"{self.requests_served} requests"
        return f"greeter: process {self.pid} served {requests} in {format_duration(self.uptime())}"


class CountingLoader(BaseLoader):
    """Wraps an app's template loader to count how often each template is read from disk."""

    def __init__(self, inner: BaseLoader, reads: Counter[str]) -> None:
        self.inner = inner
        self.reads = reads

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        # Jinja calls this only on a cache miss: with auto-reload off, once per template per process
        self.reads[template] += 1
        return self.inner.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def count_template_reads(environment: Environment, state: ProcessState) -> None:
    """Make the environment's loader count reads into the state."""
    assert environment.loader is not None
    environment.loader = CountingLoader(environment.loader, state.template_reads)


def describe_event_loop(loop: object) -> str:
    """The worker class an event loop belongs to, as Hypercorn names it: asyncio or uvloop."""
    return type(loop).__module__.split(".")[0]
