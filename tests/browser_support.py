"""Headless Chromium for tests: Debian's /usr/bin/chromium driven by Playwright for Python.

`tests/conftest.py` registers this module as a plugin, so every test module has the
fixtures without importing them (importing them into a module would start one browser per
module):

    @pytest.mark.browser
    def test_opens(browser_page, tmp_path):
        browser_page.open(tmp_path / "index.html")      # a file:// URL
        assert browser_page.page.title() == "Vellum"
        browser_page.assert_clean()                     # no console errors, page errors, network

`browser_page` is a `BrowserPage`: `.page` (a Playwright Page, 1280x800 unless
`browser_page.page.set_viewport_size` changes it), `.console_errors`, `.page_errors` and
`.network_attempts` (every request whose URL is not file:, data:, blob: or loopback; those
requests are aborted, so a page that needs the network fails visibly).

Without /usr/bin/chromium the fixture skips the test, or fails it when the environment
variable CI is "true" (CI installs chromium first: a missing browser there is a bug).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome-error"}

__all__ = ["CHROMIUM", "BrowserPage", "is_local_url", "require_chromium", "browser", "browser_page"]


def is_local_url(url: str) -> bool:
    """True for URLs a page may load offline: file:, data:, blob: and loopback hosts."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_chromium() -> None:
    """Skip (or, under CI=true, fail) the calling test when Chromium is not installed."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class BrowserPage:
    """A page plus everything it reported: console errors, page errors, network attempts."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    network_attempts: list[str] = field(default_factory=list)

    def open(self, path: Path, *, wait_until: str = "load") -> None:
        """Navigate to a local file by path (as file://) and wait for it to load."""
        self.page.goto(Path(path).resolve().as_uri(), wait_until=wait_until)

    def assert_clean(self) -> None:
        """Fail if the page logged a console error, threw, or tried to use the network."""
        problems = (
            [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"network request: {u}" for u in self.network_attempts]
        )
        assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium process for the whole session."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def browser_page(browser) -> Iterator[BrowserPage]:
    """A fresh page in its own context, recording errors and blocking the network."""
    # Reduced motion: no smooth scrolling, so positions measured in a test hold still.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = context.new_page()
    session = BrowserPage(page)

    def on_console(message) -> None:
        if message.type == "error":
            session.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_route(route) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
        else:
            session.network_attempts.append(url)
            route.abort()

    def on_request(request) -> None:
        # Routes do not see every request (e.g. some preloads); record those too.
        if not is_local_url(request.url) and request.url not in session.network_attempts:
            session.network_attempts.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: session.page_errors.append(str(error)))
    page.on("request", on_request)
    context.route("**/*", on_route)
    try:
        yield session
    finally:
        context.close()
