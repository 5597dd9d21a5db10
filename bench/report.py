"""The benchmark report: docs/benchmarks.md (or bench/results/quick.md) from a run's
``Results``, and the latency plot."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import django

from . import fanout, grid, search, timetable
from .harness import sql
from .load import Run
from .plan import AFTER_LEVEL, FULL, LEVELS, QUICK, Plan, Results, spread


def versions() -> dict:
    def first_line(*command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return {
        "machine": f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB",
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": sql("SHOW server_version")[0][0],
        "redis": first_line("redis-server", "--version"),
    }


def fmt(spread_: dict, digits: int = 1) -> str:
    """Median with the range of the runs: ``12.3 (11.9 to 13.0)``."""
    return f"{spread_['median']:.{digits}f} ({spread_['min']:.{digits}f} to {spread_['max']:.{digits}f})"


def cells(*series: list[float], digits: int = 1) -> str:
    """Table cells, one per series of per-run values."""
    return " | ".join(fmt(spread(values), digits) for values in series)


@dataclass
class Section:
    """Lines of the report, and whether what they show is correct (no error answer, no
    double booking)."""

    lines: list[str]
    ok: bool = True


def report(plan: Plan, results: Results) -> tuple[str, bool]:
    sections = [
        header_section(plan),
        claims_section(results),
        hot_room_section(plan, results),
        search_section(plan, results),
        grid_section(plan, results),
        fanout_section(results),
        timetable_section(results),
        memory_section(plan, results),
        servers_section(results),
    ]
    return "\n".join(line for section in sections for line in section.lines), all(s.ok for s in sections)


def header_section(plan: Plan) -> Section:
    info = versions()
    return Section(
        [
            "# Benchmarks",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by "
            f"`python -m bench{' --quick' if plan is QUICK else ''}` on the production set-up, as "
            "deploy/ runs it: two gunicorn processes (WSGI, 8 threads each) answer HTTP and two daphne "
            "processes hold the live sockets (DEBUG off, production settings), on PostgreSQL + Redis, "
            "loaded by one asyncio/httpx client on the same "
            f"machine. Each figure is the median of {plan.runs} runs, with the range in brackets; ratios "
            "are to a baseline measured in the same run. What the figures mean against the targets, the "
            "profile and what would close the gaps: [performance.md](performance.md).",
            "",
            f"- Machine: {info['machine']}",
            f"- Python {info['python']}, Django {info['django']}, PostgreSQL {info['postgresql']}",
            f"- {info['redis']}",
        ]
    )


def claims_section(results: Results) -> Section:
    section = Section(
        [
            "",
            "## 1. Claim throughput (distinct slots over 100 rooms)",
            "",
            "| clients | claims/s | p50 ms | p99 ms | errors | pgbench tps (same SQL) | claims/s ÷ pgbench "
            "| server CPU ms per claim | generator CPU (cores) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
    )
    for level in LEVELS:
        runs, tps = results.claims[level], results.pgbench[level]
        rates = spread([r.rate for r in runs])
        ratio = spread([r.rate / t for r, t in zip(runs, tps, strict=True)])
        errors = sum(r.errors for r in runs)
        section.ok = section.ok and errors == 0
        section.lines.append(
            f"| {level} | {fmt(rates)} | {cells([r.p50 for r in runs], [r.p(99) for r in runs])} "
            f"| {errors} | {fmt(spread(tps))} | {fmt(ratio, 3)} | {fmt(spread(results.claim_cpu[level]), 2)} "
            f"| {cells([r.generator_cpu_share for r in runs], digits=2)} |"
        )
    section.lines += [
        "",
        "### 1b. The floor: an authenticated request that does nothing (`GET /account/me/`)",
        "",
        "The same two server processes, middleware, session and user lookup as a claim, and no work of",
        "its own: how much of a claim is Django's floor, and how much is ours.",
        "",
        "| clients | requests/s | p50 ms | p99 ms | errors | server CPU ms per request "
        "| claim CPU ÷ floor CPU | claims/s ÷ floor requests/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for level in LEVELS:
        runs, cpu = results.floor[level], results.floor_cpu[level]
        errors = sum(r.errors for r in runs)
        section.ok = section.ok and errors == 0
        cpu_ratio = spread([c / f for c, f in zip(results.claim_cpu[level], cpu, strict=True)])
        rate_ratio = spread([c.rate / f.rate for c, f in zip(results.claims[level], runs, strict=True)])
        latency = cells([r.p50 for r in runs], [r.p(99) for r in runs])
        section.lines.append(
            f"| {level} | {fmt(spread([r.rate for r in runs]))} | {latency} "
            f"| {errors} | {fmt(spread(cpu), 2)} | {fmt(cpu_ratio, 2)} | {fmt(rate_ratio, 2)} |"
        )
    return section


def hot_room_section(plan: Plan, results: Results) -> Section:
    hot = results.hot
    double = sum(h.double_bookings for h in hot)
    unexpected = sum(h.unexpected for h in hot)
    return Section(
        [
            "",
            f"## 2. One hot room (40 teachers, same slot, {plan.hot_rounds} rounds, both processes)",
            "",
            "| who | p50 ms | p99 ms |",
            "| --- | --- | --- |",
            f"| winner | {cells([h.winners.p50 for h in hot], [h.winners.p(99) for h in hot])} |",
            f"| losers | {cells([h.losers.p50 for h in hot], [h.losers.p(99) for h in hot])} |",
            "",
            f"Double bookings (checked in SQL): **{double}**. Rounds without exactly one winner or with an "
            f"answer other than 201/409: **{unexpected}**.",
        ],
        ok=double == 0 and unexpected == 0,
    )


def server_against_bare_sql(
    page: str, server_ms: list[list[float]], whole: list[Run], bare_ms: list[list[float]], bare_label: str
) -> list[str]:
    """The table of a page's server time, its whole response and its bare SQL (p50, p99)."""
    server = [search.summary(times) for times in server_ms]
    bare = [search.summary(times) for times in bare_ms]

    def row(label: str, p50: list[float], p99: list[float]) -> str:
        return f"| {label} | {cells(p50, p99, digits=2)} |"

    return [
        "| measure | p50 ms | p99 ms |",
        "| --- | --- | --- |",
        row(f"{page}, server time (`Server-Timing`)", [s["p50"] for s in server], [s["p99"] for s in server]),
        row(f"{page}, whole response at the client", [r.p50 for r in whole], [r.p(99) for r in whole]),
        row(bare_label, [b["p50"] for b in bare], [b["p99"] for b in bare]),
        row(
            "server time ÷ bare SQL",
            [a["p50"] / b["p50"] for a, b in zip(server, bare, strict=True)],
            [a["p99"] / b["p99"] for a, b in zip(server, bare, strict=True)],
        ),
    ]


def search_section(plan: Plan, results: Results) -> Section:
    rooms, bookings = results.search_counts
    indexed = min(b.indexed_share for b in results.bare_sql)
    return Section(
        [
            "",
            f"## 3. Search at scale ({rooms:,} rooms, {bookings:,} bookings, {plan.search_queries} searches)",
            "",
            *server_against_bare_sql(
                "dashboard",
                [s.server_ms for s in results.search],
                [s.whole for s in results.search],
                [b.times for b in results.bare_sql],
                "bare SQL, EXPLAIN ANALYZE (planning + execution)",
            ),
            "",
            f"Share of the bare-SQL plans whose overlap check reads an index: **{indexed:.0%}**. One plan:",
            "",
            "```",
            results.bare_sql[0].plan,
            "```",
        ],
        ok=all(s.whole.errors == 0 for s in results.search),
    )


def grid_section(plan: Plan, results: Results) -> Section:
    _, bookings = results.search_counts
    return Section(
        [
            "",
            f"## 3b. Timetable at scale ({grid.ROOMS} rooms \u00d7 {len(grid.PERIODS)} periods, "
            f"{bookings:,} bookings in all, {plan.search_queries} days)",
            "",
            f"Cells in each grid: {results.grids[0].cells:,}.",
            "",
            *server_against_bare_sql(
                "day grid",
                [g.server_ms for g in results.grids],
                [g.whole for g in results.grids],
                results.grid_bare_sql,
                "bare SQL (rooms + the day's bookings), EXPLAIN ANALYZE",
            ),
        ],
        ok=all(g.whole.errors == 0 for g in results.grids)
        and all(g.cells == grid.ROOMS * len(grid.PERIODS) for g in results.grids),
    )


def fanout_section(results: Results) -> Section:
    section = Section(
        [
            "",
            "## 4. Fan-out (sockets spread over both processes)",
            "",
            "| sockets | last socket after the 201: p50 ms | p99 ms "
            "| after sending the claim: p50 ms | p99 ms |",
            "| --- | --- | --- | --- | --- |",
        ]
    )
    for count, runs in results.fanout.items():
        after_201 = [fanout.summary(r.after_201) for r in runs]
        after_send = [fanout.summary(r.after_send) for r in runs]
        section.lines.append(
            f"| {count} | {cells([f['p50'] for f in after_201], [f['p99'] for f in after_201])} "
            f"| {cells([f['p50'] for f in after_send], [f['p99'] for f in after_send])} |"
        )
    return section


def timetable_section(results: Results) -> Section:
    """The timetable's import, and claims, search and grid with a year of lessons loaded
    against the same measures just before the import (the ratio is after ÷ before)."""
    imported = results.timetable
    if imported is None:
        return Section([])
    before_claims, after_claims = results.claims_before, results.claims_after

    def row(label: str, before: list[float], after: list[float], digits: int = 1) -> str:
        ratio = statistics.median(after) / statistics.median(before)
        return f"| {label} | {fmt(spread(before), digits)} | {fmt(spread(after), digits)} | {ratio:.2f} |"

    errors = sum(r.errors for r in after_claims) + sum(s.whole.errors for s in results.search_after)
    errors += sum(g.whole.errors for g in results.grids_after)
    return Section(
        [
            "",
            f"## 4b. The school's timetable ({timetable.ROOMS} rooms, {timetable.PERIODS} periods a day, "
            f"a two-week cycle, {timetable.WEEKS} weeks)",
            "",
            f"A GPU001.TXT (Untis) of {imported.lessons:,} lessons, laid out on {imported.dates:,} dates, "
            "imported with `manage.py import_timetable` (the whole command, Python's start included), "
            "then the same file again:",
            "",
            "| import | seconds | target |",
            "| --- | --- | --- |",
            f"| the year, first | {imported.first_seconds:.1f} | ≤ 20 |",
            f"| the same file again | {imported.again_seconds:.1f} | ≤ 10 |",
            "",
            f"The second import said: {imported.again_summary}.",
            "",
            "With that year of lessons in the database (and its 60 rooms in the search), against the "
            "same measures taken just before the import:",
            "",
            "| measure | before | with the timetable | after ÷ before |",
            "| --- | --- | --- | --- |",
            row(
                f"claims/s, {AFTER_LEVEL} clients",
                [r.rate for r in before_claims],
                [r.rate for r in after_claims],
            ),
            row(
                f"claim p50 ms, {AFTER_LEVEL} clients",
                [r.p50 for r in before_claims],
                [r.p50 for r in after_claims],
            ),
            row(
                "search server p50 ms",
                [statistics.median(s.server_ms) for s in results.search_before],
                [statistics.median(s.server_ms) for s in results.search_after],
                2,
            ),
            row(
                "day grid server p50 ms",
                [statistics.median(g.server_ms) for g in results.grids_before],
                [statistics.median(g.server_ms) for g in results.grids_after],
                2,
            ),
        ],
        ok=errors == 0 and "0 lessons new" in imported.again_summary,
    )


def _rss(rss: list[float]) -> str:
    """gunicorn's processes (HTTP), then daphne's (the live sockets)."""
    half = len(rss) // 2
    http, live = rss[:half], rss[half:]
    return (
        "gunicorn (HTTP) "
        + ", ".join(f"{value:.0f} MiB" for value in http)
        + "; daphne (sockets) "
        + ", ".join(f"{value:.0f} MiB" for value in live)
    )


def memory_section(plan: Plan, results: Results) -> Section:
    return Section(
        [
            "",
            "## 5. Memory",
            "",
            "Peak RSS (VmHWM) of each server process over the whole run: "
            + _rss(results.rss)
            + f" (the daphne processes with up to {max(plan.sockets) // 2:,} sockets each).",
            "",
            "![Claim latency against concurrent clients](claim-latency.png)" if plan is FULL else "",
            "",
        ]
    )


def servers_section(results: Results) -> Section:
    if not results.servers:
        return Section([])
    section = Section(
        [
            "",
            "## 6. For comparison: one server for everything (two processes each, claims)",
            "",
            "daphne serving HTTP and sockets is how `make run` and the tests run; sections 1 to 5 run the "
            "production set-up, whose HTTP is the gunicorn row.",
            "",
            "| server | 1 client: claims/s | p99 ms | 32 clients: claims/s | p99 ms | errors |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
    )
    for name, figures in results.servers.items():
        one, many = figures[1], figures[32]
        errors = sum(r.errors for r in one + many)
        section.ok = section.ok and errors == 0
        section.lines.append(
            f"| {name} | {cells([r.rate for r in one], [r.p(99) for r in one])} "
            f"| {cells([r.rate for r in many], [r.p(99) for r in many])} | {errors} |"
        )
    return section


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for label, pct in (("p50", 50), ("p99", 99)):
        values = [
            statistics.median(r.p50 if pct == 50 else r.p(99) for r in results.claims[level])
            for level in LEVELS
        ]
        axis.plot(LEVELS, values, marker="o", label=label)
    axis.set_xscale("log", base=2)
    axis.set_xticks(LEVELS, [str(level) for level in LEVELS])
    axis.set_xlabel("concurrent teachers")
    axis.set_ylabel("claim latency (ms)")
    axis.set_title("Claim latency, the production set-up (gunicorn + daphne) on PostgreSQL + Redis")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
