"""Issue 2's proof: two daphne processes on one PostgreSQL and Redis.

1. 40 teachers claim the same slot at the same instant, half on each process:
   exactly one 201, 39 409s, one row stored.
2. 200 random overlapping claims: no overlap stored, and as many rows as 201 answers.

Exits non-zero if either invariant breaks. Usage: python -m bench.race
"""

from __future__ import annotations

import asyncio
import collections
import random
import sys
import time

from .harness import PASSWORD, Servers, fresh_database, logged_in_client, manage, overlapping_pairs, slot, sql

TEACHERS = 40


async def same_slot(clients, room_id: int) -> collections.Counter:
    start, end = slot(1, 10)
    go = asyncio.Event()

    async def attempt(client):
        await go.wait()
        response = await client.post(f"/rooms/{room_id}/claim/", data={"start": start, "end": end})
        return response.status_code, response.json().get("code")

    tasks = [asyncio.create_task(attempt(client)) for client in clients]
    await asyncio.sleep(0.2)  # let every task reach the start line
    go.set()
    return collections.Counter(await asyncio.gather(*tasks))


async def random_overlapping(clients, room_ids: list[int], claims: int = 200) -> collections.Counter:
    rng = random.Random(2)
    plan = []
    for _ in range(claims):
        start, end = slot(2, 8 + rng.randrange(0, 32) * 0.25, minutes=rng.choice([30, 45, 60, 90]))
        plan.append((rng.choice(clients), rng.choice(room_ids), start, end))

    async def attempt(client, room_id, start, end):
        response = await client.post(f"/rooms/{room_id}/claim/", data={"start": start, "end": end})
        return response.status_code

    return collections.Counter(await asyncio.gather(*(attempt(*claim) for claim in plan)))


async def main() -> int:
    fresh_database()
    manage("seed_demo", "--bare", "--teachers", str(TEACHERS), "--rooms", "24", "--password", PASSWORD, "-v0")
    room_ids = [row[0] for row in sql("SELECT id FROM rooms_room ORDER BY name LIMIT 4")]
    failures = []
    with Servers(count=2) as servers:
        clients = [await logged_in_client(servers.urls[n % 2], f"teacher{n + 1}") for n in range(TEACHERS)]
        started = time.perf_counter()
        answers = await same_slot(clients, room_ids[0])
        elapsed = time.perf_counter() - started
        rows = sql("SELECT count(*) FROM bookings_booking WHERE room_id = %s", room_ids[0])[0][0]
        print(f"Scenario 1: {TEACHERS} teachers, one slot, two processes ({elapsed * 1000:.0f} ms)")
        for (status, code), count in sorted(answers.items(), key=lambda item: (item[0][0], str(item[0][1]))):
            print(f"  {count:3d} x {status} {code or ''}")
        print(f"  rows stored: {rows}")
        if (
            answers[(201, None)] != 1
            or sum(answers.values()) - 1
            != sum(count for (status, _), count in answers.items() if status == 409)
            or rows != 1
        ):
            failures.append("scenario 1: not exactly one winner and 39 x 409")

        started = time.perf_counter()
        statuses = await random_overlapping(clients, room_ids[1:4])
        elapsed = time.perf_counter() - started
        stored = sql("SELECT count(*) FROM bookings_booking WHERE room_id = ANY(%s)", room_ids[1:4])[0][0]
        overlaps = overlapping_pairs()
        print(f"Scenario 2: 200 random overlapping claims on 3 rooms ({elapsed * 1000:.0f} ms)")
        print(f"  answers: {dict(sorted(statuses.items()))}")
        print(f"  rows stored: {stored}, 201 answers: {statuses[201]}, overlapping pairs: {overlaps}")
        if overlaps or stored != statuses[201] or set(statuses) - {201, 409}:
            failures.append("scenario 2: overlap stored, rows != 201s, or unexpected status")
        for client in clients:
            await client.aclose()
    for failure in failures:
        print("FAILED", failure)
    print("OK" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
