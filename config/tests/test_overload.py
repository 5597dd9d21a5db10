"""Overload, as config.overload promises it: past the cap every request is refused at once
(503, Retry-After, JSON or a page); one client meets its own share first; a query string
no page takes is 414; refusals are logged once a second, not once each."""

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from config.overload import InFlightLimit


def test_past_the_cap_requests_are_refused_at_once_with_retry_after():
    async def scenario():
        release = asyncio.Event()

        async def slow_app(scope, receive, send):
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        limited = InFlightLimit(slow_app, limit=2)

        async def request(accept: bytes, path: str = "/") -> list[dict]:
            sent = []

            async def send(message):
                sent.append(message)

            scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"accept", accept)]}
            await limited(scope, None, send)
            return sent

        waiting = [asyncio.create_task(request(b"application/json")) for _ in range(2)]
        await asyncio.sleep(0.01)
        refused = await asyncio.wait_for(request(b"application/json"), 1)
        page = await asyncio.wait_for(request(b"text/html"), 1)
        api = await asyncio.wait_for(request(b"*/*", "/api/v1/rooms"), 1)
        release.set()
        served = await asyncio.gather(*waiting)
        return refused, page, api, served

    # A loop of its own on a thread of its own: the browser tests keep one running here.
    with ThreadPoolExecutor(max_workers=1) as thread:
        refused, page, api, served = thread.submit(asyncio.run, scenario()).result()
    assert refused[0]["status"] == 503
    assert (b"retry-after", b"2") in refused[0]["headers"]
    assert json.loads(refused[1]["body"])["code"] == "SERVICE_BUSY"
    assert page[0]["status"] == 503 and b"Briefly unavailable" in page[1]["body"]
    assert json.loads(api[1]["body"])["code"] == "SERVICE_BUSY"  # the API answers JSON, whatever it accepts
    assert [answer[0]["status"] for answer in served] == [200, 200]


def test_a_query_string_no_page_takes_is_answered_414():
    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def status_of(query: bytes) -> int:
        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": []}
        await InFlightLimit(ok, limit=4)(scope, None, send)
        return sent[0]["status"]

    with ThreadPoolExecutor(max_workers=1) as thread:
        long, fine = (
            thread.submit(asyncio.run, status_of(b"q=" + b"x" * 9000)).result(),
            thread.submit(asyncio.run, status_of(b"date=2026-12-07")).result(),
        )
    assert (long, fine) == (414, 200)


def test_one_client_meets_its_own_share_first_and_refusals_are_logged_once_a_second(caplog):
    async def scenario():
        release = asyncio.Event()

        async def slow_app(scope, receive, send):
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        limited = InFlightLimit(slow_app, limit=4, per_client=2)

        async def request(session: str, path: str = "/") -> int:
            sent = []

            async def send(message):
                sent.append(message)

            headers = [(b"cookie", f"sessionid={session}".encode())]
            await limited({"type": "http", "method": "GET", "path": path, "headers": headers}, None, send)
            return sent[0]["status"]

        flooding = [asyncio.create_task(request("flooder")) for _ in range(2)]
        await asyncio.sleep(0.01)
        refused = [await asyncio.wait_for(request("flooder"), 1) for _ in range(50)]
        static = asyncio.create_task(request("flooder", "/static/css/app.css"))  # not the session's share
        colleague = asyncio.create_task(request("colleague"))
        await asyncio.sleep(0.01)
        release.set()
        return refused, await static, await colleague, await asyncio.gather(*flooding)

    with (
        caplog.at_level(logging.WARNING, logger="config.overload"),
        ThreadPoolExecutor(max_workers=1) as thread,
    ):
        refused, static, colleague, flooding = thread.submit(asyncio.run, scenario()).result()
    assert set(refused) == {503} and static == 200 and colleague == 200 and flooding == [200, 200]
    assert len([r for r in caplog.records if r.name == "config.overload"]) == 1  # not fifty lines
