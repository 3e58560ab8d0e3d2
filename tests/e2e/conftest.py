import os
import shutil

import pytest

CHROMIUM = os.environ.get("PLENARY_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def browser():
    """One browser per test: Playwright's sync API runs an event loop in this thread for as
    long as it is open, and later tests (WebSocket, channel layer) need the thread free."""
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) to run browser tests."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    yield page
    context.close()
