"""Browser tests: Debian's Chromium (never `playwright install`), driven headless by
Playwright, against ONE served instance per session (``serve --demo`` on a free loopback
port, its own data dir, no map tiles: nothing is fetched from outside). axe-core comes from
npm (tests/web/axe, installed by .ci/run). Locally, a missing Chromium or axe skips these
tests with the reason; in CI (CI=true) it fails them: they must never vanish silently."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.settings import PROJECT_ROOT
from tests.test_served import start_server, stop

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "tests" / "web" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "tests" / "web" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        _unavailable(f"axe-core is missing: run `npm ci --prefix tests/web/axe` ({AXE})")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file() or shutil.which("chromium") is None:
        _unavailable("Chromium is missing: `apt-get install -y chromium` (Debian's package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extras install it
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def served_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served instance's data dir (its SQLite database): tests act there as staff would,
    with the service's own commands."""
    return tmp_path_factory.mktemp("pages")


@pytest.fixture(scope="session")
def served(served_data_dir: Path, browser: Any) -> Iterator[str]:
    """One demo instance for every browser test; no tiles, so no request leaves the machine."""
    started = time.monotonic()
    process, base = start_server(served_data_dir, settings={"SERVICE_MAP_TILES_URL": ""})
    print(f"served instance ready in {time.monotonic() - started:.1f} s")
    yield base
    stop(process)


@pytest.fixture
def page(browser: Any, served: str) -> Iterator[Any]:
    """A fresh page (its own cookies) that refuses any request leaving the served instance."""
    context = browser.new_context(base_url=served, locale="fr-FR")
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(served) else route.abort(),
    )
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # Script errors and CSP refusals; a refused form's 400 is an answer, not an error.
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    tab.errors = errors
    yield tab
    context.close()
