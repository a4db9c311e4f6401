"""The bench's scenarios as tables for people: footprint, course, memory per stream, crowd, profile, CPU per request."""

from __future__ import annotations

import math
import statistics

from greeter.tools.bench.contenders import BASELINE, Lineup
from greeter.tools.bench.course import CourseResult
from greeter.tools.bench.crowd import CrowdResult
from greeter.tools.bench.footprint import FootprintRow
from greeter.tools.bench.in_process import InProcessResult
from greeter.tools.bench.instructions import InstructionCount
from greeter.tools.bench.profile import Profile
from greeter.tools.bench.rounds import Results
from greeter.tools.bench.stream_memory import StreamMemory, per_stream
from greeter.tools.bench.stream_owners import Owners

MiB = 2**20
OWNER_ROWS = 9  # the largest owners; the rest summed on one line


def mib(size: float) -> str:
    return f"{size / MiB:,.1f}"


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def footprint_table(rows: list[FootprintRow], rounds: int) -> str:
    lines = [
        f"footprint: each command started as its users start it, one page asked for, idle a second; PSS of its"
        f" whole process tree; medians of {rounds} round(s), the commands taking turns",
        f"  {'command':<28} {'procs':>5} {'PSS MiB (min-max)':>22} {'first answer':>13} {'edit to served (worst)':>23}"
        f" {'load':>5}",
    ]
    for row in rows:
        pss = f"{mib(row.pss)} ({mib(row.pss_min)}-{mib(row.pss_max)})"
        edit = ""
        if row.edit_seconds is not None and row.edit_worst_seconds is not None:
            edit = f"{row.edit_seconds:.2f} s ({row.edit_worst_seconds:.2f} s)"
        if row.edits_missed:
            edit += f", {row.edits_missed} not served"
        lines.append(
            f"  {row.command:<28} {len(row.processes):>5} {pss:>22} {row.start_seconds:>11.2f} s {edit:>23}"
            f" {row.load:>5.1f}"
        )
    lines.append("  per process (PSS MiB, last round):")
    for row in rows:
        parts = ", ".join(f"{process.label} {mib(process.pss)}" for process in row.processes)
        lines.append(f"    {row.command}: {parts}")
    return "\n".join(lines)


def course_table(course: CourseResult | str) -> str:
    if isinstance(course, str):
        return course
    students = course.students
    pages = sum(student.requests for student in course.results)
    slowest = course.slowest
    projected = course.total_pss / students * 100
    lines = [
        f"course: {students} students, each `greeter --socket ... --reload` behind one Apache with the course file,"
        f" each with a live stream open and a page every {course.interval:g} s for {course.seconds:g} s",
        f"  students' PSS in all {mib(course.total_pss)} MiB ({mib(course.total_pss / students)} per student;"
        f" at that, 100 students {mib(projected)} MiB); Apache {mib(course.apache_pss)} MiB in"
        f" {course.apache_processes} processes",
        f"  {pages:,} pages, {course.errors} errors; the students' median p50"
        f" {ms(statistics.median(student.p50_seconds for student in course.results))}; the slowest student's p99"
        f" {ms(slowest.p99_seconds)} ({slowest.name})",
        f"  every student's greeter answering {course.start_seconds:.1f} s after the first started; load average"
        f" {course.load[0]:.1f} before, {course.load[1]:.1f} after",
        f"  {'the slowest':<12} {'PSS MiB':>8} {'procs':>5} {'pages':>5} {'p50':>9} {'p99':>9} {'errors':>6}"
        f" {'events':>6}",
    ]
    for student in sorted(course.results, key=lambda student: -student.p99_seconds)[:5]:
        lines.append(
            f"  {student.name:<12} {mib(student.pss):>8} {student.processes:>5} {student.requests:>5}"
            f" {ms(student.p50_seconds):>9} {ms(student.p99_seconds):>9} {student.errors:>6} {student.events:>6}"
            + (f"  {'; '.join(student.first_errors)}" if student.first_errors else "")
        )
    return "\n".join(lines)


def stream_table(found: list[StreamMemory], owners: dict[str, Owners | str], keys: tuple[str, ...]) -> str:
    subject, floor, *others = keys
    mine, bare = per_stream(found, subject), per_stream(found, floor)
    counts = sorted({measured.streams for measured in found})
    rounds = len({measured.round for measured in found})
    lines = [
        f"memory per live stream: the worker's RSS growth with {'/'.join(f'{c:,}' for c in counts)} streams open,"
        f" divided by their number; median of {rounds} fresh server(s) each",
        f"  {subject:<16} {mine / 1024:8.2f} KiB   {mine / bare:.2f}x the floor",
        f"  {floor:<16} {bare / 1024:8.2f} KiB   the floor: a bare ASGI app streaming the same way, same settings",
        *(
            f"  {other:<12} {per_stream(found, other) / 1024:8.2f} KiB   {per_stream(found, other) / bare:.2f}x"
            for other in others
        ),
    ]
    kinds = {subject: owners.get("greeter"), floor: owners.get("bare")}
    if any(isinstance(entry, str) or entry is None for entry in kinds.values()):
        lines += [f"  {entry}" for entry in kinds.values() if isinstance(entry, str)]
        return "\n".join(lines)
    measured = {key: entry for key, entry in kinds.items() if isinstance(entry, Owners)}
    streams = next(iter(measured.values())).streams
    lines.append(f"  who owns it (tracemalloc: Python objects, bytes per stream, {streams} streams; the innermost")
    lines.append("  frame outside the standard library):")
    lines.append(f"    {'owner':<40} {subject:>10} {floor:>10}")
    names = list(dict.fromkeys(name for entry in measured.values() for name in entry.packages))
    names.sort(key=lambda name: -max(entry.packages.get(name, 0.0) for entry in measured.values()))
    for name in names[:OWNER_ROWS]:
        cells = " ".join(f"{entry.packages.get(name, 0.0):>10,.0f}" for entry in measured.values())
        lines.append(f"    {name:<40} {cells}")
    rest = " ".join(
        f"{sum(entry.packages.get(name, 0.0) for name in names[OWNER_ROWS:]):>10,.0f}" for entry in measured.values()
    )
    lines.append(f"    {'the rest':<40} {rest}")
    lines.append(f"    {'in all':<40} " + " ".join(f"{entry.bytes_per_stream:>10,.0f}" for entry in measured.values()))
    return "\n".join(lines)


def crowd_table(found: list[CrowdResult], path: str) -> str:
    clients = next((result.clients for result in found if result.load == "clients"), 0)
    streams = next((result.clients for result in found if result.load == "streams"), 0)
    lines = [
        f"where async wins: {clients:,} clients at once on {path}"
        + (f"; {streams:,} live streams" if streams else "")
        + " (each contender one worker process)",
        f"  {'load':<8} {'contender':<30} {'completed':>10} {'failed':>8} {'p99':>10} {'RSS MB':>8}",
    ]
    for result in found:
        lines.append(
            f"  {result.load:<8} {result.contender:<30} {result.completed:>10,} {result.failed:>8,}"
            f" {ms(result.p99_seconds):>10} {result.rss_peak / 1e6:>8.1f}"
        )
    lines.append("  (clients: requests answered in the time, and errors or timeouts; p99 of those answered. streams:")
    lines.append("  viewers watching to the end, and those refused, never answered or cut off; p99 of a tick's")
    lines.append("  lateness behind the first viewer to get it)")
    return "\n".join(lines)


def profile_table(profile: Profile | str, paths: tuple[str, ...]) -> str:
    if isinstance(profile, str):
        return profile
    shares = ", ".join(f"{group} {share:.0%}" for group, share in profile.shares.items())
    return (
        f"profile of {profile.own}'s worker under wrk on {', '.join(paths)} (py-spy, {profile.samples:,} samples,"
        f" each for the package of its innermost frame):\n  {shares}\n"
        f"  {profile.own}'s own code: {profile.shares.get(profile.own, 0.0):.1%} of the time"
    )


def cpu_table(
    lineup: Lineup,
    routes: Results | None,
    in_process: list[InProcessResult],
    counts: list[InstructionCount] | str | None,
    served: list[InstructionCount] | str | None = None,
) -> str:
    """The subject's CPU per request over its floor's, four ways: on the server (CPU time, and instructions), in-process
    (CPU time, and instructions)."""
    subject = lineup.subject
    lines = [
        f"CPU per request, {subject} against the floor (lower is better): on the server (wrk, CPU time of the server"
        " over requests; and instructions under valgrind, serving included: no noise), in-process (no server; and"
        " its instructions)",
        f"  {'route':<13} {'floor':<22} {'server µs':>17} {'ratio':>6} {'server instructions':>25} {'ratio':>6}"
        f" {'in-process µs':>17} {'ratio':>6} {'instructions':>21} {'ratio':>6}",
    ]

    def pair(figures: dict[str, float], floor: str, shown: str) -> list[str]:
        if subject in figures and floor in figures:
            mine, theirs = figures[subject], figures[floor]
            return [f"{mine:{shown}} / {theirs:{shown}}", f"{mine / theirs:.2f}x"]
        return ["-", "-"]

    for path, floor in lineup.cpu_floor.items():
        server: dict[str, float] = {}
        if routes is not None and (path, subject) in routes.runs:
            server = {key: routes.summary(path, key).cpu_us_per_request for key in (subject, floor)}
        on_server = {
            c.contender: c.instructions_per_request for c in served or [] if not isinstance(c, str) and c.path == path
        }
        process = {r.contender: r.cpu_us_per_request for r in in_process if r.path == path}
        counted = {
            c.contender: c.instructions_per_request for c in counts or [] if not isinstance(c, str) and c.path == path
        }
        cells = (
            pair(server, floor, ",.0f")
            + pair(on_server, floor, ",.0f")
            + pair(process, floor, ",.1f")
            + pair(counted, floor, ",.0f")
        )
        lines.append(
            f"  {path:<13} {floor:<22} {cells[0]:>17} {cells[1]:>6} {cells[2]:>25} {cells[3]:>6} {cells[4]:>17}"
            f" {cells[5]:>6} {cells[6]:>21} {cells[7]:>6}"
        )
    lines += _before_and_after(lineup, served)
    lines += [f"  {why}" for why in (served, counts) if isinstance(why, str)]
    return "\n".join(lines)


def _before_and_after(lineup: Lineup, served: list[InstructionCount] | str | None) -> list[str]:
    """The subject's instructions on the server against the baseline's (--baseline), route by route."""
    counted = {(c.contender, c.path): c.instructions_per_request for c in served or [] if not isinstance(c, str)}
    lines = [
        f"  {path:<13} {counted[lineup.subject, path]:>12,.0f} against {counted[BASELINE, path]:,.0f} before:"
        f" {counted[lineup.subject, path] - counted[BASELINE, path]:+,.0f} a request,"
        f" {counted[lineup.subject, path] / counted[BASELINE, path]:.2f}x"
        for path in lineup.cpu_floor
        if (lineup.subject, path) in counted and (BASELINE, path) in counted
    ]
    heading = f"  {lineup.subject}'s instructions on the server against {BASELINE}'s (--baseline: before the change):"
    return [heading, *lines] if lines else []


def in_process_table(found: list[InProcessResult], keys: tuple[str, ...], paths: tuple[str, ...]) -> str:
    """Each app's own CPU cost per request, no server: Quart apps as ASGI, Flask apps as WSGI."""
    cost = {(r.path, r.contender): r.cpu_us_per_request for r in found}
    lines = [
        "in-process, no server: each app's own CPU µs per request (Quart apps called as ASGI, Flask apps as WSGI)",
        f"  {'route':<13} " + " ".join(f"{key:>21}" for key in keys),
    ]
    for path in paths:
        lines.append(f"  {path:<13} " + " ".join(f"{cost.get((path, key), math.nan):>21,.1f}" for key in keys))
    return "\n".join(lines)


def instruction_table(counts: list[InstructionCount] | str, keys: tuple[str, ...], paths: tuple[str, ...]) -> str:
    if isinstance(counts, str):
        return counts
    found = {(c.path, c.contender): c.instructions_per_request for c in counts}
    requests = counts[0].requests if counts else 0
    lines = [
        f"instructions per request, in-process, counted by valgrind over {requests} requests each:",
        f"  {'route':<13} " + " ".join(f"{key:>21}" for key in keys),
    ]
    for path in paths:
        lines.append(f"  {path:<13} " + " ".join(f"{found.get((path, key), math.nan):>21,.0f}" for key in keys))
    return "\n".join(lines)
