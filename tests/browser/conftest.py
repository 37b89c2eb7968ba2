"""Playwright driving Debian's Chromium, with axe-core run on every page a test visits."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_or_skip

CHROMIUM = os.environ.get("SAFESOCIAL_CHROMIUM", "/usr/bin/chromium")
AXE_SOURCE = (Path(__file__).parent / "axe.min.js").read_text(encoding="utf-8")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_or_skip(
        Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
        f"no Chromium at {CHROMIUM} (apt-get install chromium)",
    )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
    # where a loop is running unless told that this thread is synchronous code. Only while
    # the browser runs: subprocesses started by other tests must not inherit it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context (Playwright's options) that answers /favicon.ico itself: Chromium asks
    for it on its own, sometimes after the test has ended, when the live server's database is
    being flushed for the next test."""
    context = browser.new_context(**options)
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return context


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = new_context(browser)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page (evaluated, so the page's CSP does not block it)."""
    page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'wcag22aa', 'best-practice']}})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Any) -> None:
    problems = axe_violations(page)
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in problems
    ]
    assert not problems, f"{page.url}: " + "; ".join(summary)
