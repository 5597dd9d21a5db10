"""Scenario 3: search at scale. Thousands of rooms, hundreds of thousands of bookings
over a school year; the dashboard search against EXPLAIN ANALYZE of the bare SQL."""

from __future__ import annotations

import json
import random
import re
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from .harness import database_url, percentile
from .load import Run

DAYS = 300


def load(rooms: int, bookings_per_room: int, teacher_id: int) -> None:
    """Rooms with mixed sizes and features; each room's bookings on distinct (day, hour)
    pairs from tomorrow on, so the exclusion constraint is satisfied."""
    first_day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    with psycopg.connect(database_url()) as conn:
        building = conn.execute(
            "INSERT INTO rooms_building (name) VALUES ('Bench Campus') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            """INSERT INTO rooms_room (name, building_id, capacity, is_active, display_key)
               SELECT 'Bench ' || n, %s, 8 + (n * 37) %% 113, true,
                      replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
               FROM generate_series(1, %s) n""",
            (building, rooms),
        )
        conn.execute(
            """INSERT INTO rooms_room_features (room_id, feature_id)
               SELECT r.id, f.id FROM rooms_room r JOIN rooms_feature f ON (r.id + f.id) % 3 = 0
               WHERE r.name LIKE 'Bench %'"""
        )
        # What rooms.signals keeps for rooms given features through the ORM.
        conn.execute(
            """UPDATE rooms_room r SET feature_count =
                   (SELECT count(*) FROM rooms_room_features rf WHERE rf.room_id = r.id)
               WHERE r.name LIKE 'Bench %'"""
        )
        conn.execute(
            """INSERT INTO bookings_booking
                   (room_id, teacher_id, start, "end", status, purpose, freed_reason, created_at)
               SELECT r.id, %(teacher)s,
                      %(first)s + ((k %% %(days)s) || ' days')::interval
                                + ((8 + 2 * (k / %(days)s) + r.id %% 2) || ' hours')::interval,
                      %(first)s + ((k %% %(days)s) || ' days')::interval
                                + ((9 + 2 * (k / %(days)s) + r.id %% 2) || ' hours')::interval,
                      'confirmed', '', '', now()
               FROM rooms_room r CROSS JOIN generate_series(0, %(per_room)s - 1) k
               WHERE r.name LIKE 'Bench %%'""",
            {"teacher": teacher_id, "first": first_day, "days": DAYS, "per_room": bookings_per_room},
        )
        conn.execute("ANALYZE")


def search_queries(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    queries = []
    for _ in range(count):
        day = tomorrow + timedelta(days=rng.randrange(DAYS))
        hour = rng.randrange(8, 16)
        queries.append(
            {
                "date": day.isoformat(),
                "start": f"{hour:02d}:00",
                "end": f"{hour + 1:02d}:00",
                "capacity": str(rng.choice([10, 20, 30, 60])),
            }
        )
    return queries


@dataclass(frozen=True)
class Searches:
    whole: Run  # each response as the client saw it
    server_ms: list[float]  # the app's own time, from Server-Timing


@dataclass(frozen=True)
class BareSql:
    times: list[float]  # EXPLAIN ANALYZE planning + execution, ms
    plan: str  # one plan, as text
    indexed_share: float  # plans whose overlap check reads an index


async def dashboard_searches(client, queries) -> Searches:
    run, server_ms = Run(), []
    for query in queries:
        sent = time.perf_counter()
        response = await client.get("/", params=query, headers={"Accept": "text/html"})
        run.latencies.append((time.perf_counter() - sent) * 1000)
        if response.status_code != 200:
            run.errors += 1
        server_ms.append(float(re.search(r"app;dur=([\d.]+)", response.headers["server-timing"]).group(1)))
    return Searches(run.stop(), server_ms)


BARE_SQL = """
SELECT r.id, r.name, r.capacity, b.name
  FROM rooms_room r JOIN rooms_building b ON b.id = r.building_id
 WHERE r.is_active AND r.capacity >= %(seats)s
   AND NOT EXISTS (SELECT 1 FROM bookings_booking k
                    WHERE k.room_id = r.id AND k.status IN ('confirmed', 'requested')
                      AND tstzrange(k.start, k."end", '[)') && tstzrange(%(start)s, %(end)s, '[)'))
 ORDER BY r.capacity, r.name
 LIMIT 31
"""


def bare_sql_times(queries) -> BareSql:
    """EXPLAIN ANALYZE times (ms) of the bare free-rooms query, one plan, and the share of
    plans whose overlap check reads an index."""
    times, plan_text, indexed = [], "", 0
    with psycopg.connect(database_url()) as conn:
        for query in queries:
            day = datetime.fromisoformat(query["date"]).replace(tzinfo=UTC)
            params = {
                "seats": int(query["capacity"]),
                "start": day + timedelta(hours=int(query["start"][:2])),
                "end": day + timedelta(hours=int(query["end"][:2])),
            }
            plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + BARE_SQL, params).fetchone()[0][0]
            times.append(plan["Planning Time"] + plan["Execution Time"])
            text = json.dumps(plan)
            indexed += "booking_no_overlap" in text or "booking_overlap_idx" in text
        plan_text = "\n".join(
            row[0] for row in conn.execute("EXPLAIN ANALYZE " + BARE_SQL, params).fetchall()
        )
    return BareSql(times, plan_text, indexed / len(queries))


def summary(values: list[float]) -> dict:
    return {"p50": statistics.median(values), "p99": percentile(values, 99)}
