"""Scenario 1: claim throughput with 1/8/32 concurrent teachers on distinct slots over
100 rooms, against pgbench running the same transaction in bare SQL."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from .harness import database_url, slot, sql
from .load import Run

PGBENCH_SCRIPT = """
\\set room random(:first_room, :last_room)
\\set minute random(0, 500000)
BEGIN;
SELECT id FROM rooms_room WHERE id = :room FOR UPDATE;
SELECT id FROM bookings_booking
 WHERE room_id = :room AND status IN ('confirmed', 'requested')
   AND start < to_timestamp(2000000000 + :minute * 60 + 3600)
   AND "end" > to_timestamp(2000000000 + :minute * 60)
 LIMIT 1;
INSERT INTO bookings_booking
       (room_id, teacher_id, start, "end", status, attendees, purpose, freed_reason, created_at)
VALUES (:room, :teacher, to_timestamp(2000000000 + :minute * 60),
        to_timestamp(2000000000 + :minute * 60 + 3600), 'confirmed', NULL, '', '', now())
ON CONFLICT DO NOTHING;
END;
"""

SLOTS_PER_DAY = 20  # half-hour slots from 08:00


class SlotPlan:
    """Hands out (room, period) pairs that no one else gets: claims never collide."""

    def __init__(self, room_ids: list[int]):
        self.room_ids = room_ids
        self.counter = itertools.count()

    def next(self) -> tuple[int, str, str]:
        n = next(self.counter)
        room = self.room_ids[n % len(self.room_ids)]
        slot_of_room = n // len(self.room_ids)
        day, half_hour = divmod(slot_of_room, SLOTS_PER_DAY)
        start, end = slot(1 + day, 8 + half_hour * 0.5, minutes=30)
        return room, start, end


async def claim_load(clients, plan: SlotPlan, duration: float) -> Run:
    run = Run()
    deadline = time.perf_counter() + duration

    async def teacher(client):
        while time.perf_counter() < deadline:
            room, start, end = plan.next()
            sent = time.perf_counter()
            response = await client.post(f"/rooms/{room}/claim/", data={"start": start, "end": end})
            if response.status_code == 201:
                run.latencies.append((time.perf_counter() - sent) * 1000)
            else:
                run.errors += 1

    await asyncio.gather(*(teacher(client) for client in clients))
    return run.stop()


async def floor_load(clients, duration: float) -> Run:
    """The floor: an authenticated request that does nothing (``GET /account/me/``) on the
    same stack as a claim (server, middleware, session and user lookup)."""
    run = Run()
    deadline = time.perf_counter() + duration

    async def teacher(client):
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            response = await client.get("/account/me/")
            if response.status_code == 200:
                run.latencies.append((time.perf_counter() - sent) * 1000)
            else:
                run.errors += 1

    await asyncio.gather(*(teacher(client) for client in clients))
    return run.stop()


TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the server processes and their children (a gunicorn
    master's workers) have used so far, from /proc."""
    total = 0
    for pid in with_children(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def with_children(pids: list[int]) -> list[int]:
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            todo.extend(int(child) for child in children)
    return found


async def with_server_cpu(pids: list[int], load) -> tuple[Run, float]:
    """Run ``load`` (a coroutine giving a Run); also the servers' CPU ms per request."""
    before = server_cpu(pids)
    run = await load
    used = server_cpu(pids) - before
    return run, used * 1000 / max(len(run.latencies), 1)


def pgbench(clients: int, duration: int, room_ids: list[int], teacher_id: int) -> float:
    """Transactions per second of the bare-SQL claim at ``clients`` connections."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(PGBENCH_SCRIPT)
        script.flush()
        result = subprocess.run(
            [
                "pgbench",
                "-n",
                "-M",
                "prepared",
                "-c",
                str(clients),
                "-j",
                str(min(clients, 2)),
                "-T",
                str(duration),
                "-f",
                script.name,
                "-D",
                f"first_room={min(room_ids)}",
                "-D",
                f"last_room={max(room_ids)}",
                "-D",
                f"teacher={teacher_id}",
                database_url(),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    sql("DELETE FROM bookings_booking WHERE start >= to_timestamp(2000000000)")
    return float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))
