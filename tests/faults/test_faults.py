"""The fault suite (``make test-faults``): two servers under a bounded claim load while
Redis is killed or frozen, PostgreSQL is cut, and a server is killed or frozen while it
holds a room's row lock. After each fault, every answer is checked against the
database: no double booking, no 201 without its row, no error whose booking exists
(``OUTCOME_UNKNOWN`` claims neither), no 500; the healthy server keeps answering within
seconds, and everything recovers by itself.

The figures of each fault are written to ``test-artifacts/faults.md`` (docs/reliability.md
quotes them)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD
from tests.faults.system import System, Verdict, sql

pytestmark = pytest.mark.faults

REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "faults.md"
ROWS: list[str] = []


@pytest.fixture(scope="module")
def system():
    with System() as running:
        yield running
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(
        "| fault | answers | by status | ghost bookings | 201 without row | double bookings | "
        "healthy server's slowest answer | time to recover |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(ROWS) + "\n"
    )


@pytest.fixture(scope="module")
def loop():
    runner = asyncio.Runner()
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def load(system, loop):
    from tests.faults.system import Load

    running = Load(system)
    loop.run(running.log_in())
    yield running
    loop.run(running.close())


def far_day(days: int) -> str:
    """A day no load reaches (the load books the next few days)."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def judge(system: System, name: str, answers, *, recovered: float, healthy: str | None = None) -> Verdict:
    verdict = Verdict.of(answers)
    slowest = max((a.took for a in answers if a.server == healthy and a.status), default=0.0)
    statuses = ", ".join(f"{label}: {count}" for label, count in sorted(verdict.statuses.items()))
    ROWS.append(
        f"| {name} | {len(answers)} | {statuses} | {len(verdict.ghosts)} | {len(verdict.missing)} "
        f"| {verdict.double_bookings} | {f'{slowest:.2f} s' if healthy else '-'} | {recovered:.1f} s |"
    )
    assert verdict.double_bookings == 0
    assert verdict.missing == [], "a 201 whose booking is not stored"
    assert verdict.ghosts == [], "an error answer whose booking is stored"
    assert verdict.server_errors == 0, (verdict.statuses, system.log_tails())
    return verdict


def test_redis_killed_then_restarted(system, load, loop):
    loop.run(load.run(2))
    system.redis.kill()
    during = loop.run(load.run(6))
    system.redis.start()
    recovered = loop.run(load.until_recovered())
    after = loop.run(load.run(2))
    verdict = judge(system, "Redis killed for 6 s, then restarted", during + after, recovered=recovered)
    # Booking goes on without Redis, on both servers.
    assert {a.server for a in during if a.status == 201} == {"a", "b"}, verdict.statuses


def test_redis_frozen(system, load, loop):
    system.redis.freeze()
    try:
        during = loop.run(load.run(6))
    finally:
        system.redis.thaw()
    recovered = loop.run(load.until_recovered())
    verdict = judge(system, "Redis frozen (SIGSTOP) for 6 s", during, recovered=recovered)
    assert {a.server for a in during if a.status == 201} == {"a", "b"}, verdict.statuses


def test_postgresql_cut(system, load, loop):
    async def cut_for(seconds):
        await asyncio.sleep(1)
        system.proxy.cut()
        await asyncio.sleep(seconds)
        system.proxy.restore()

    async def scenario():
        answers, _ = await asyncio.gather(load.run(7), cut_for(4))
        return answers

    during = loop.run(scenario())
    recovered = loop.run(load.until_recovered())
    verdict = judge(system, "PostgreSQL cut for 4 s (proxy drops and refuses)", during, recovered=recovered)
    assert any(label.startswith("503") for label in verdict.statuses), verdict.statuses


def test_one_server_killed(system, load, loop):
    async def kill_soon():
        await asyncio.sleep(1)
        system.kill("b")

    async def scenario():
        answers, _ = await asyncio.gather(load.run(6), kill_soon())
        return answers

    during = loop.run(scenario())
    judge(system, "server b killed (SIGKILL)", during, recovered=0.0, healthy="a")
    late = [a for a in during if a.server == "a" and a.sent > min(x.sent for x in during) + 2]
    assert any(a.status == 201 for a in late), "server a stopped booking"
    assert max(a.took for a in during if a.server == "a") < 5
    # A supervisor restarts it; it serves again at once.
    system.stop_server("b")
    system.start_server("b")
    loop.run(load.reconnect("b"))
    loop.run(load.until_recovered(("b",)))


def test_one_server_frozen_while_it_holds_a_room_row_lock(system, load, loop):
    async def freeze_while_holding():
        """Freeze b at random moments of its claims until it is caught holding a row lock."""
        await asyncio.sleep(0.5)
        for _ in range(400):
            system.freeze("b")
            if system.holds_a_room_row_lock("b"):
                return True
            system.thaw("b")
            await asyncio.sleep(random.uniform(0, 0.02))
        return False

    async def scenario():
        run = asyncio.ensure_future(load.run(9, timeout=6))
        caught = await freeze_while_holding()
        frozen_at = time.monotonic()
        await asyncio.sleep(max(0.0, 6 - (time.monotonic() - frozen_at)))
        system.thaw("b")
        return caught, frozen_at, await run

    caught, frozen_at, during = loop.run(scenario())
    assert caught, "never caught server b inside a claim"
    recovered = loop.run(load.until_recovered())
    verdict = judge(
        system,
        "server b frozen for 6 s while holding a room's row lock",
        during,
        recovered=recovered,
        healthy="a",
    )
    while_frozen = [a for a in during if a.server == "a" and a.sent >= frozen_at]
    assert any(a.status == 201 for a in while_frozen), "server a stopped booking"
    assert max(a.took for a in while_frozen) < 5, "server a stalled behind the frozen one"
    assert verdict.statuses.get("201", 0) > 0


def test_with_redis_stopped_forty_teachers_racing_for_one_slot_store_one_booking(system, load, loop):
    system.redis.kill()
    try:
        slot = (load.room_ids[0], f"{far_day(200)}T10:00", f"{far_day(200)}T11:00")
        everyone = [(name, *teacher) for name, clients in load.clients.items() for teacher in clients]

        async def all_at_once():
            return await asyncio.gather(*(load.claim(n, t, c, slot) for n, t, c in everyone))

        answers = loop.run(all_at_once())
    finally:
        system.redis.start()
    verdict = judge(
        system, f"Redis down, {len(everyone)} teachers claim one slot at once", answers, recovered=0.0
    )
    assert len(everyone) == 40
    assert verdict.statuses == {"201": 1, "409 ROOM_NOT_AVAILABLE": 39}


def test_overload_is_refused_at_once_not_queued(system, load, loop):
    pid = system.pid("a")

    def threads() -> int:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))

    async def burst():
        sampled = []

        async def sample():
            while True:
                sampled.append(threads())
                await asyncio.sleep(0.05)

        sampler = asyncio.ensure_future(sample())
        clients = load.clients["a"]
        answers = await asyncio.gather(
            *(load.claim("a", teacher, client) for _ in range(15) for teacher, client in clients)
        )
        sampler.cancel()
        return answers, max(sampled)

    answers, most_threads = loop.run(burst())
    verdict = judge(system, f"{len(answers)} claims at once on one server", answers, recovered=0.0)
    assert "503 SERVICE_BUSY" in verdict.statuses, verdict.statuses  # refused past the cap
    assert most_threads < 32 + 40, most_threads  # the cap (32) and daphne's own, not one per request


def test_with_redis_stopped_a_teacher_claims_a_room_in_the_browser(system):
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import expect, sync_playwright

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS, log_in

    artifacts = REPORT.parent / "faults-browser"
    artifacts.mkdir(parents=True, exist_ok=True)

    def claim_in_chromium() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(base_url=system.url("a"), viewport={"width": 1280, "height": 900})
            page.set_default_timeout(8000)
            log_in(page, "teacher3")
            page.goto(f"/?date={far_day(201)}&start=09:00&end=10:00&capacity=20")
            card = page.locator("#search-results [data-room-id]").first
            card.get_by_role("button", name="Claim Room").click()
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text("cannot be held for you just now")
            expect(page.locator("#live-indicator")).to_have_attribute("data-state", "offline")
            page.screenshot(path=artifacts / "1-dialog-without-redis.png")
            dialog.get_by_role("button", name="Confirm booking").click()
            expect(page.get_by_role("status")).to_contain_text("Room booked successfully")
            page.screenshot(path=artifacts / "2-booked-without-redis.png")
            browser.close()

    system.redis.kill()
    try:
        # Playwright's sync API wants a thread without an event loop of its own.
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(claim_in_chromium).result()
    finally:
        system.redis.start()
    assert sql("SELECT count(*) FROM bookings_booking WHERE start::date = %s", far_day(201))[0][0] == 1


def test_one_teacher_flooding_a_process_does_not_stop_a_colleagues_claims(system, load, loop):
    """Teacher 1 keeps 120 GETs of the search and the timetable in flight on server a for 8
    s; meanwhile teacher 3, on the same server, claims rooms one after another. The flood
    meets its own share (MAX_REQUESTS_IN_FLIGHT_PER_CLIENT) and is refused there; the
    colleague's claims all get a true answer, none a 503."""
    from tests.servers import logged_in_client

    colleague, client = next((name, c) for name, c in load.clients["a"] if name == "teacher3")

    async def scenario():
        flooder = await logged_in_client(system.url("a"), "teacher1", PASSWORD, connections=200)
        flooder.headers["Accept"] = "text/html"
        stop_at = time.monotonic() + 8
        flood_statuses: list[int] = []

        async def flood_one(path: str) -> None:
            while time.monotonic() < stop_at:
                with contextlib.suppress(httpx.HTTPError):
                    flood_statuses.append((await flooder.get(path, timeout=15)).status_code)

        async def claims() -> list:
            answers = []
            while time.monotonic() < stop_at:
                answers.append(await load.claim("a", colleague, client))
            return answers

        flood = [flood_one("/" if n % 2 else "/timetable/") for n in range(120)]
        *_, answers = await asyncio.gather(*flood, claims())
        await flooder.aclose()
        return flood_statuses, answers

    flood_statuses, answers = loop.run(scenario())
    statuses = [answer.status for answer in answers]
    took = sorted(answer.took for answer in answers)
    p50 = took[len(took) // 2] * 1000
    ok = sum(status in (201, 409) for status in statuses)
    ROWS.append(
        f"| one teacher floods server a (120 GETs in flight, 8 s) | {len(answers)} claims by a colleague "
        f"| {ok} answered 201/409, p50 {p50:.0f} ms | - | - | - | flood: {len(flood_statuses)} answers, "
        f"{flood_statuses.count(503)} refused at its share | - |"
    )
    assert flood_statuses.count(503) > 0  # the flood met its own share
    assert len(answers) >= 10 and ok == len(answers), statuses  # the colleague was never refused


def test_a_new_process_with_postgresql_refusing_answers_within_the_pool_timeout(system, load, loop):
    """Server b starts while PostgreSQL refuses every client (the proxy refuses them): a
    claim reaches the database more than once (session, teacher, claim), but waits for
    the pool once, so its 503 comes within DB_POOL_TIMEOUT (3 s here), not twice that."""
    teacher, old = load.clients["b"][0]
    slot = (load.room_ids[0], f"{far_day(210)}T10:00", f"{far_day(210)}T11:00")

    async def claim_on_the_new_process():
        async with httpx.AsyncClient(
            base_url=system.url("b"), cookies=old.cookies, headers=old.headers, timeout=30
        ) as client:
            return await load.claim("b", teacher, client, slot=slot)

    system.proxy.cut()
    try:
        system.stop_server("b")
        system.start_server("b")
        answer = loop.run(claim_on_the_new_process())
    finally:
        system.proxy.restore()
    loop.run(load.until_ready("b"))  # its pool reconnects in the background
    loop.run(load.reconnect("b"))
    ROWS.append(
        f"| server b started with PostgreSQL refusing clients | 1 | {answer.status} {answer.code} "
        f"| 0 | 0 | 0 | {answer.took:.1f} s to the answer | - |"
    )
    assert (answer.status, answer.code) == (503, "SERVICE_BUSY")
    assert answer.took < 3 + 1.5, answer.took
