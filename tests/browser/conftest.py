"""Debian's Chromium, driven by Playwright, against the two live daphne processes."""

import os
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from rooms.models import Period
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.factories import lunchtime_zone
from tests.servers import DaphneServers, collectstatic, servers_env

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.exit(f"Browser tests need Chromium at {CHROMIUM}: apt-get install chromium.", returncode=3)
    # Playwright's sync API keeps an event loop running in this thread; the test's own
    # ORM calls are still plain sync code, so Django's async guard is lifted here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def open_page(browser, request):
    """Pages in their own browser contexts (separate cookies: separate teachers)."""
    contexts = []

    def open_one(
        base_url: str, username: str | None, *, bypass_csp: bool = False, width: int = 1280, height: int = 900
    ) -> Page:
        """A page signed in as ``username`` (None: nobody, as on a door display)."""
        context = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            bypass_csp=bypass_csp,
            has_touch=width < 600,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        if username is not None:
            log_in(page, username)
        return page

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request):
    """Save a screenshot of a key state as a test artifact (not committed)."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        page.screenshot(path=folder / f"{name}.png", full_page=True)

    return take


@pytest.fixture
def lunchtime(transactional_db, request):
    """Daphne (two processes with ``@pytest.mark.parametrize("lunchtime", [2],
    indirect=True)``) in a zone where it is 13:xx now, in Period 5 with 30 minutes to go;
    Periods 1-4 are over and Period 6 follows. Yields the servers, the zone and now."""
    zone = lunchtime_zone()
    now = datetime.now(zone).replace(second=0, microsecond=0)
    for number, hour in enumerate((8, 9, 10, 11), start=1):  # the morning, over
        Period.objects.create(name=f"Period {number}", starts=time(hour), ends=time(hour, 50))
    begun = now - timedelta(minutes=20)  # Period 5 began 20 minutes ago and has 30 to go
    Period.objects.create(name="Period 5", starts=begun.time(), ends=(now + timedelta(minutes=30)).time())
    Period.objects.create(
        name="Period 6",
        starts=(now + timedelta(minutes=30)).time(),
        ends=(now + timedelta(minutes=80)).time(),
    )
    env = servers_env(TIME_ZONE=zone.key)
    collectstatic(env)
    with DaphneServers(env, count=getattr(request, "param", 1)) as server:
        yield server, zone, now
