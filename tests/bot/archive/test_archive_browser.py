"""End to end in headless Chromium (the system's, driven by Playwright): open the home page, see
the chart and the topics, follow a digest link, run a search, save screenshots.

Screenshots go to ``test-artifacts/`` at the repository root (gitignored): ``archive.png`` (home,
desktop, light) and ``archive-phone-dark.png`` (a digest on a phone in dark mode).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from tests.bot.archive.conftest import HOSTILE_TITLE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.skip("no Chromium installed (Debian: apt-get install chromium); .ci/run installs it")
    return found


async def test_archive_in_a_real_browser(base: str, app: App, ids: dict[str, Any]) -> None:
    executable = chromium_path()
    playwright = pytest.importorskip(
        "playwright.async_api", reason="the playwright package is not installed (test extras)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    problems: list[str] = []
    async with playwright.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=ARGS, timeout=60_000)
        try:
            context = await browser.new_context(viewport={"width": 1000, "height": 800})
            page = await context.new_page()
            page.on("dialog", lambda d: dialogs.append(d.message))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            # the home page: chart, topics, styled by the one stylesheet
            await page.goto(f"{base}/")
            chart = page.locator("svg.trend-chart")
            assert await chart.is_visible()
            box = await chart.bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 200
            assert await page.locator("svg.trend-chart polyline").count() == 3
            for name in ("Security", "Migration", "Drugs"):
                assert await page.get_by_role("link", name=name, exact=True).is_visible()
            radius = await page.locator("article.topic").first.evaluate(
                "e => getComputedStyle(e).borderRadius"
            )
            assert radius == "8px"  # site.css loaded under the server's CSP
            await page.screenshot(path=str(ARTIFACTS / "archive.png"), full_page=True)

            # follow the newest security digest
            security = page.locator("article.topic", has=page.locator("#topic-security"))
            await security.locator("ul.digests a").first.click()
            await page.wait_for_url(f"**/digests/security/{ids['security'][0]}")
            assert await page.locator("h1").inner_text() == "Security — last 24h"
            assert await page.get_by_text("Key fact A of story 0.").is_visible()
            assert await page.get_by_role("link", name="Wire Service").get_attribute("href") == (
                "https://wire.example/b/0"
            )

            # search from the nav
            await page.get_by_role("link", name="Search", exact=True).click()
            await page.get_by_role("searchbox", name="Search stories").fill("ransomware")
            await page.get_by_role("button", name="Search").click()
            await page.wait_for_url("**/search?q=ransomware*")
            result = page.locator("ol.results li").first
            assert "Cyberattack on ministry" in await result.inner_text()
            assert await result.locator("mark").count() >= 1

            # hostile feed text: shown, never run
            await page.goto(f"{base}/digests/migration/{ids['hostile']}")
            assert HOSTILE_TITLE in await page.locator("h2").first.inner_text()
            assert await page.locator("main img, main script").count() == 0

            # a phone in dark mode
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, color_scheme="dark", device_scale_factor=2
            )
            small = await phone.new_page()
            await small.goto(f"{base}/digests/security/{ids['security'][0]}")
            width = await small.evaluate("document.documentElement.scrollWidth")
            assert width <= 390  # nothing wider than the screen
            background = await small.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(22, 24, 28)"  # the dark palette
            await small.screenshot(path=str(ARTIFACTS / "archive-phone-dark.png"), full_page=True)
        finally:
            await browser.close()
    assert dialogs == []  # no alert() ever ran
    assert problems == []  # no CSP violations, no script errors
    assert (ARTIFACTS / "archive.png").stat().st_size > 10_000
