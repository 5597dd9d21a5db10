"""The benchmark suite: the production set-up (two gunicorn processes for HTTP, two
daphne processes for the live sockets, as deploy/ runs them) on PostgreSQL + Redis with
production settings, loaded by this asyncio client; daphne serving both (``make run``'s
way) and uvicorn as comparison rows; writes docs/benchmarks.md and a plot.

    python -m bench           # full run, several repetitions (make bench)
    python -m bench --quick   # a smoke run under two minutes (make bench-quick)

Exits non-zero on a correctness failure (an error answer, a double booking); missed speed
targets are reported, not failed, since a shared machine is noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
from pathlib import Path

from tests.servers import gunicorn_command

from . import fanout, grid, hotroom, search, throughput, timetable
from .harness import (
    PASSWORD,
    ProductionServers,
    Servers,
    fresh_database,
    logged_in_client,
    manage,
    sql,
)
from .plan import AFTER_LEVEL, FULL, LEVELS, QUICK, Plan, Results
from .report import plot, report


def peak_rss_mib(pid: int) -> float:
    """The largest peak RSS (VmHWM) of the process and its children: a gunicorn master's
    worker, which serves the requests, not the master."""
    peaks = []
    for process in throughput.with_children([pid]):
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=float("nan"))


async def run_suite(plan: Plan) -> Results:
    results = Results()
    fresh_database()
    manage("seed_demo", "--bare", "--teachers", "42", "--rooms", "100", "--password", PASSWORD, "-v0")
    grid.add_periods()
    room_ids = [row[0] for row in sql("SELECT id FROM rooms_room ORDER BY id")]
    teacher_id = sql("SELECT id FROM teachers_teacher WHERE username = 'teacher42'")[0][0]

    with ProductionServers(count=2) as servers:
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
                    servers.live_urls, clients[:40], clients[40], room_ids, count, plan.fanout_rounds
                )
                for _ in range(plan.runs)
            ]

        print("4b. the school's timetable", flush=True)

        # The same measures just before the import, so that before and after differ by the
        # timetable alone (not by what the earlier scenarios left in the servers).
        async def school_day():  # claims (8 clients), searches and grids, as a school's day
            claims = [
                await throughput.claim_load(clients[:AFTER_LEVEL], slots, plan.claim_seconds)
                for _ in range(plan.runs)
            ]
            searches = [await search.dashboard_searches(clients[40], queries) for _ in range(plan.runs)]
            grids = [await grid.timetables(clients[40], grid_queries) for _ in range(plan.runs)]
            return claims, searches, grids

        results.claims_before, results.search_before, results.grids_before = await school_day()
        first, last = timetable.prepare()
        results.timetable = timetable.import_year(first, last)
        results.claims_after, results.search_after, results.grids_after = await school_day()

        results.rss = [peak_rss_mib(pid) for pid in servers.pids]  # gunicorn's, then daphne's
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
