"""The benchmark suite: two daphne processes on PostgreSQL + Redis with production
settings, loaded by this asyncio client; writes docs/benchmarks.md and a plot.

    python -m bench           # full run, several repetitions (make bench)
    python -m bench --quick   # a smoke run under two minutes (make bench-quick)

Exits non-zero on a correctness failure (an error answer, a double booking); missed speed
targets are reported, not failed, since a shared machine is noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import django

from tests.servers import gunicorn_command

from . import fanout, grid, hotroom, search, throughput
from .harness import (
    PASSWORD,
    ROOT,
    Servers,
    fresh_database,
    logged_in_client,
    manage,
    sql,
)
from .load import Run

LEVELS = (1, 8, 32)


@dataclass(frozen=True)
class Plan:
    runs: int
    claim_seconds: int
    hot_rounds: int
    search_rooms: int
    bookings_per_room: int
    search_queries: int
    sockets: tuple[int, ...]
    fanout_rounds: int
    compare_servers: bool
    report: Path


FULL = Plan(3, 8, 50, 2000, 250, 300, (100, 1000), 20, True, ROOT / "docs" / "benchmarks.md")
QUICK = Plan(1, 2, 5, 200, 50, 40, (100,), 5, False, ROOT / "bench" / "results" / "quick.md")


@dataclass
class Results:
    """Every scenario's figures, one entry per repetition."""

    claims: dict[int, list[Run]] = field(default_factory=dict)  # by client count
    claim_cpu: dict[int, list[float]] = field(default_factory=dict)  # server CPU ms per claim
    floor: dict[int, list[Run]] = field(default_factory=dict)  # the no-op, by client count
    floor_cpu: dict[int, list[float]] = field(default_factory=dict)
    pgbench: dict[int, list[float]] = field(default_factory=dict)  # tps, by client count
    hot: list[hotroom.HotRoom] = field(default_factory=list)
    search_counts: tuple[int, int] = (0, 0)  # rooms, bookings
    search: list[search.Searches] = field(default_factory=list)
    bare_sql: list[search.BareSql] = field(default_factory=list)
    grids: list[grid.Grids] = field(default_factory=list)
    grid_bare_sql: list[list[float]] = field(default_factory=list)
    fanout: dict[int, list[fanout.Fanout]] = field(default_factory=dict)  # by socket count
    rss: list[float] = field(default_factory=list)  # MiB, per server process
    servers: dict[str, dict[int, list[Run]]] = field(default_factory=dict)  # by server, client count


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_suite(plan: Plan) -> Results:
    results = Results()
    fresh_database()
    manage("seed_demo", "--bare", "--teachers", "42", "--rooms", "100", "--password", PASSWORD, "-v0")
    grid.add_periods()
    room_ids = [row[0] for row in sql("SELECT id FROM rooms_room ORDER BY id")]
    teacher_id = sql("SELECT id FROM teachers_teacher WHERE username = 'teacher42'")[0][0]

    with Servers(count=2) as servers:
        clients = [await logged_in_client(servers.urls[n % 2], f"teacher{n + 1}") for n in range(41)]

        print("1. claim throughput", flush=True)
        slots = throughput.SlotPlan(room_ids)
        for level in LEVELS:
            measured = [
                await throughput.with_server_cpu(
                    servers.pids, throughput.claim_load(clients[:level], slots, plan.claim_seconds)
                )
                for _ in range(plan.runs)
            ]
            runs = [run for run, _ in measured]
            results.claim_cpu[level] = [cpu for _, cpu in measured]
            floor = [
                await throughput.with_server_cpu(
                    servers.pids, throughput.floor_load(clients[:level], plan.claim_seconds)
                )
                for _ in range(plan.runs)
            ]
            results.floor[level] = [run for run, _ in floor]
            results.floor_cpu[level] = [cpu for _, cpu in floor]
            tps = [
                throughput.pgbench(level, plan.claim_seconds, room_ids, teacher_id) for _ in range(plan.runs)
            ]
            results.claims[level] = runs
            results.pgbench[level] = tps
            rate, p99 = statistics.median(r.rate for r in runs), statistics.median(r.p(99) for r in runs)
            baseline = statistics.median(tps)
            floor_rate = statistics.median(r.rate for r in results.floor[level])
            print(
                f"   {level:2d} clients: {rate:7.1f} claims/s, p99 {p99:6.1f} ms; "
                f"pgbench tps {baseline:7.1f}; floor {floor_rate:7.1f} req/s"
            )

        print("2. one hot room", flush=True)
        results.hot = [
            await hotroom.hot_room(clients[:40], room_ids[0], plan.hot_rounds) for _ in range(plan.runs)
        ]

        print("3. search at scale", flush=True)
        search.load(plan.search_rooms, plan.bookings_per_room, teacher_id)
        queries = search.search_queries(plan.search_queries)
        results.search_counts = sql(
            "SELECT (SELECT count(*) FROM rooms_room), (SELECT count(*) FROM bookings_booking)"
        )[0]
        results.search = [await search.dashboard_searches(clients[40], queries) for _ in range(plan.runs)]
        results.bare_sql = [search.bare_sql_times(queries) for _ in range(plan.runs)]

        print("3b. timetable at scale", flush=True)
        building = grid.make_building()
        grid_queries = grid.grid_queries(plan.search_queries, building)
        results.grids = [await grid.timetables(clients[40], grid_queries) for _ in range(plan.runs)]
        results.grid_bare_sql = [grid.bare_sql_times(grid_queries) for _ in range(plan.runs)]

        print("4. fan-out", flush=True)
        for count in plan.sockets:
            results.fanout[count] = [
                await fanout.measure(
                    servers.urls, clients[:40], clients[40], room_ids, count, plan.fanout_rounds
                )
                for _ in range(plan.runs)
            ]

        results.rss = [peak_rss_mib(pid) for pid in servers.pids]
        for client in clients:
            await client.aclose()

    if plan.compare_servers:
        print("6. daphne, uvicorn and gunicorn side by side", flush=True)
        results.servers = {
            name: await server_comparison(command, first_day, room_ids, plan)
            for name, (command, first_day) in SERVERS.items()
        }
    return results


UVICORN = [
    str(Path(sys.executable).parent / "uvicorn"),
    "config.asgi:application",
    "--host",
    "127.0.0.1",
    "--port",
    "{port}",
    "--log-level",
    "warning",
    "--no-access-log",
]
# HTTP through a threaded WSGI server (config/wsgi.py), as deploy/ runs it beside daphne.
GUNICORN = gunicorn_command(threads=8)
# Each server's command, and the first day of the calendar its claims use (apart from
# every other scenario's).
SERVERS = {"daphne": (None, 300), "uvicorn": (UVICORN, 250), "gunicorn (WSGI, 8 threads)": (GUNICORN, 200)}


async def server_comparison(command, first_day: int, room_ids, plan: Plan) -> dict:
    """Claims/s and p99 at 1 and 32 clients with two processes of one ASGI server."""
    figures = {}
    with Servers(count=2, base_port=8201, command=command) as servers:
        clients = [await logged_in_client(servers.urls[n % 2], f"teacher{n + 1}") for n in range(32)]
        slots = throughput.SlotPlan(room_ids)
        slots.counter = itertools.count(first_day * throughput.SLOTS_PER_DAY * len(room_ids))
        for level in (1, 32):
            figures[level] = [
                await throughput.claim_load(clients[:level], slots, plan.claim_seconds)
                for _ in range(plan.runs)
            ]
        for client in clients:
            await client.aclose()
    return figures


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
            f"`python -m bench{' --quick' if plan is QUICK else ''}`: two daphne processes (DEBUG off, "
            "production settings) on PostgreSQL + Redis, loaded by one asyncio/httpx client on the same "
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


def memory_section(plan: Plan, results: Results) -> Section:
    return Section(
        [
            "",
            "## 5. Memory",
            "",
            "Peak RSS (VmHWM) of each server process over the whole run: "
            + ", ".join(f"{rss:.0f} MiB" for rss in results.rss)
            + ".",
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
            "## 6. daphne, uvicorn and gunicorn (WSGI), same load (two processes each, claims)",
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
    axis.set_title("Claim latency, two daphne processes on PostgreSQL + Redis")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    results = asyncio.run(run_suite(plan))
    text, ok = report(plan, results)
    plan.report.parent.mkdir(parents=True, exist_ok=True)
    plan.report.write_text(text)
    if plan is FULL:
        plot(results, plan.report.parent / "claim-latency.png")
    print(text)
    print("\nOK" if ok else "\nFAILED: errors or double bookings above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
