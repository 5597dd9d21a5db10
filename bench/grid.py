"""Scenario 3b: the timetable at scale. One building of 100 rooms, ten periods a day,
over the search scenario's bookings (hundreds of thousands): the day grid's server time
against EXPLAIN ANALYZE of its bare SQL (the building's rooms, then their bookings that
day)."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from .harness import database_url
from .load import Run
from .search import DAYS

ROOMS = 100
PERIODS = [(f"Period {n + 1}", 8 + n) for n in range(10)]  # 08:00-09:00 … 17:00-18:00


def add_periods() -> None:
    """Ten periods a day (before the servers start: they keep the calendar in memory)."""
    with psycopg.connect(database_url()) as conn:
        for name, hour in PERIODS:
            conn.execute(
                "INSERT INTO rooms_period (name, starts, ends, weekday, week) VALUES (%s, %s, %s, NULL, '')",
                (name, f"{hour:02d}:00", f"{hour + 1:02d}:00"),
            )


def make_building() -> int:
    """Move the first hundred benchmark rooms into a building of their own; its id."""
    with psycopg.connect(database_url()) as conn:
        building = conn.execute(
            "INSERT INTO rooms_building (name) VALUES ('Bench Grid') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            """UPDATE rooms_room SET building_id = %s
               WHERE id IN (SELECT id FROM rooms_room WHERE name LIKE 'Bench %%' ORDER BY id LIMIT %s)""",
            (building, ROOMS),
        )
        conn.execute("ANALYZE rooms_room")
    return building


def grid_queries(count: int, building: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    return [
        {"date": (tomorrow + timedelta(days=rng.randrange(DAYS))).isoformat(), "building": str(building)}
        for _ in range(count)
    ]


@dataclass(frozen=True)
class Grids:
    whole: Run
    server_ms: list[float]
    cells: int  # of the last grid, as a check that it is the size asked for


async def timetables(client, queries) -> Grids:
    await client.get("/timetable/", params=queries[0])  # warm-up: the first grid loads the calendar
    run, server_ms, cells = Run(), [], 0
    for query in queries:
        sent = time.perf_counter()
        response = await client.get("/timetable/", params=query, headers={"Accept": "text/html"})
        run.latencies.append((time.perf_counter() - sent) * 1000)
        if response.status_code != 200:
            run.errors += 1
        server_ms.append(float(re.search(r"app;dur=([\d.]+)", response.headers["server-timing"]).group(1)))
        cells = response.text.count('<td class="cell')
    return Grids(run.stop(), server_ms, cells)


BARE_ROOMS = """
SELECT r.id, r.name, r.capacity, b.name FROM rooms_room r JOIN rooms_building b ON b.id = r.building_id
 WHERE r.is_active AND r.building_id = %(building)s ORDER BY b.name, r.name
"""
BARE_BOOKINGS = """
SELECT k.id, k.room_id, k.start, k."end", k.status, k.purpose, k.lesson_id, k.freed_reason,
       t.display_name, t.username
  FROM bookings_booking k JOIN teachers_teacher t ON t.id = k.teacher_id
 WHERE k.status IN ('confirmed', 'requested', 'freed') AND k.start < %(last)s AND k."end" > %(first)s
   AND k.room_id IN (SELECT id FROM rooms_room WHERE is_active AND building_id = %(building)s)
 ORDER BY k.start
"""


def bare_sql_times(queries) -> list[float]:
    """EXPLAIN ANALYZE (planning + execution, ms) of the grid's two queries, summed."""
    times = []
    with psycopg.connect(database_url()) as conn:
        for query in queries:
            day = datetime.fromisoformat(query["date"]).replace(tzinfo=UTC)
            params = {
                "building": int(query["building"]),
                "first": day + timedelta(hours=8),
                "last": day + timedelta(hours=18),
            }
            total = 0.0
            for statement in (BARE_ROOMS, BARE_BOOKINGS):
                plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params).fetchone()[0][0]
                total += plan["Planning Time"] + plan["Execution Time"]
            times.append(total)
    return times
