"""Fan-out: N sockets spread over two daphne processes (the production set-up: the claim
goes to gunicorn); one claim; how long until the
last socket has its ``bookingCreated``.

Times are measured from the claim's 201 (and, for reference, from sending the claim)
to the last socket's frame, over several claims; printed as p50/p99 per N.
Usage: python -m bench.fanout [--sockets 100 1000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass

import websockets

from .harness import (
    PASSWORD,
    ProductionServers,
    fresh_database,
    fresh_slot,
    logged_in_client,
    manage,
    percentile,
    sql,
)

TEACHERS = 50


async def open_sockets(urls, clients, count):
    sockets = []
    for n in range(count):
        client = clients[n % len(clients)]
        # Each teacher's sockets spread over the processes, as tabs behind a balancer would.
        url = urls[(n // len(clients)) % len(urls)]
        sockets.append(
            await websockets.connect(
                url.replace("http://", "ws://") + "/ws/bookings/",
                origin=url,
                additional_headers={"Cookie": f"sessionid={client.cookies['sessionid']}"},
                max_queue=None,
            )
        )
    return sockets


async def wait_for_booking(socket, booking_ids: asyncio.Queue, arrivals: dict):
    async for raw in socket:
        frame = json.loads(raw)
        if frame["event"] == "bookingCreated":
            arrivals.setdefault(frame["data"]["id"], []).append(time.perf_counter())


@dataclass(frozen=True)
class Fanout:
    after_201: list[float]  # ms from the claim's answer to the last socket's event
    after_send: list[float]  # ms from sending the claim to the last socket's event


async def measure(urls, clients, claimer, room_ids, count, rounds) -> Fanout:
    sockets = await open_sockets(urls, clients, count)
    arrivals: dict[int, list[float]] = {}
    listeners = [asyncio.create_task(wait_for_booking(s, None, arrivals)) for s in sockets]
    from_201, from_send = [], []
    try:
        for round_number in range(rounds):
            start, end = fresh_slot()
            sent = time.perf_counter()
            response = await claimer.post(
                f"/rooms/{room_ids[round_number % len(room_ids)]}/claim/", data={"start": start, "end": end}
            )
            answered = time.perf_counter()
            assert response.status_code == 201, response.text
            booking_id = response.json()["booking"]["id"]
            deadline = time.monotonic() + 30
            while len(arrivals.get(booking_id, [])) < count:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {len(arrivals.get(booking_id, []))}/{count} sockets heard")
                await asyncio.sleep(0.002)
            last = max(arrivals[booking_id])
            from_201.append((last - answered) * 1000)
            from_send.append((last - sent) * 1000)
    finally:
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return Fanout(from_201, from_send)


def summary(values):
    return {
        "p50": round(statistics.median(values), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values), 1),
    }


async def run(socket_counts=(100, 1000), rounds=20) -> dict:
    results = {}
    fresh_database()
    manage(
        "seed_demo", "--bare", "--teachers", str(TEACHERS + 1), "--rooms", "24", "--password", PASSWORD, "-v0"
    )
    room_ids = [row[0] for row in sql("SELECT id FROM rooms_room ORDER BY name")]
    with ProductionServers(count=2) as servers:
        clients = [await logged_in_client(servers.urls[n % 2], f"teacher{n + 1}") for n in range(TEACHERS)]
        claimer = await logged_in_client(servers.urls[0], f"teacher{TEACHERS + 1}")
        for count in socket_counts:
            measured = await measure(servers.live_urls, clients, claimer, room_ids, count, rounds)
            results[count] = {
                "from_201": summary(measured.after_201),
                "from_send": summary(measured.after_send),
            }
            print(
                f"{count:5d} sockets: last socket after the 201: {results[count]['from_201']} ms; "
                f"after sending the claim: {results[count]['from_send']} ms"
            )
        for client in [*clients, claimer]:
            await client.aclose()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.sockets, args.rounds))


if __name__ == "__main__":
    main()
