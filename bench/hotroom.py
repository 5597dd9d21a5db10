"""Scenario 2: one hot room. 40 teachers claim the same slot at once, round after round,
spread over both processes: winner and loser latencies, and zero double bookings."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from .harness import fresh_slot, overlapping_pairs
from .load import Run


async def _attempt(client, go: asyncio.Event, room_id: int, start: str, end: str) -> tuple[int, float]:
    await go.wait()
    sent = time.perf_counter()
    response = await client.post(f"/rooms/{room_id}/claim/", data={"start": start, "end": end})
    return response.status_code, (time.perf_counter() - sent) * 1000


@dataclass(frozen=True)
class HotRoom:
    winners: Run
    losers: Run
    unexpected: int  # rounds without exactly one winner, and answers other than 201/409
    double_bookings: int  # overlapping pairs stored, checked in SQL


async def hot_room(clients, room_id: int, rounds: int) -> HotRoom:
    winners, losers = Run(), Run()
    unexpected = 0
    for _ in range(rounds):
        start, end = fresh_slot()
        go = asyncio.Event()

        tasks = [asyncio.create_task(_attempt(client, go, room_id, start, end)) for client in clients]
        await asyncio.sleep(0.05)  # every task waits at the start line
        go.set()
        answers = await asyncio.gather(*tasks)
        wins = [ms for status, ms in answers if status == 201]
        winners.latencies += wins
        losers.latencies += [ms for status, ms in answers if status == 409]
        unexpected += sum(status not in (201, 409) for status, _ in answers) + (len(wins) != 1)
    return HotRoom(winners.stop(), losers.stop(), unexpected, overlapping_pairs())
