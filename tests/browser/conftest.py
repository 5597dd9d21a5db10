"""Debian's Chromium, driven by Playwright, against the two live daphne processes."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS, log_in

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
        base_url: str, username: str, *, bypass_csp: bool = False, width: int = 1280, height: int = 900
    ) -> Page:
        context = browser.new_context(
            base_url=base_url,
            viewport={"width": width, "height": height},
            bypass_csp=bypass_csp,
            has_touch=width < 600,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
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
