"""A real browser on the chat page: Debian's Chromium driven by Playwright, against the web
app, Rasa (socket.io channel, CORS for the page's origin) and the action server, as `make run`
starts them.

No browser is ever downloaded: Playwright drives the system's Chromium (``/usr/bin/chromium``,
or ``CHROMIUM_PATH``). Without it, or without the npm-installed widget assets, these tests fail
with what to install rather than being skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from live_servers import WebServices, free_port

from bot.config import PROJECT_ROOT

# Screenshots also land here, in the repository (gitignored), so CI keeps them.
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts" / "browser"
VENDOR_JS = PROJECT_ROOT / "bot/web/static/vendor/socket.io.min.js"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
NO_CHROMIUM = (
    "Chromium is needed for the browser tests and was not found ({tried}). Install Debian's "
    "package: `sudo apt-get install -y chromium` (CI's .ci/run does this), or point CHROMIUM_PATH "
    "at a Chromium/Chrome binary. No browser is downloaded by the tests."
)
NO_PLAYWRIGHT = (
    "The Python package `playwright` is missing from .venv: it is in requirements/bot.txt, "
    "so `make setup` installs it (never run `playwright install`: the tests use the system Chromium)."
)
NO_WIDGET = (
    f"{VENDOR_JS.relative_to(PROJECT_ROOT)} is missing: `make setup` installs the chat widget's npm "
    "packages (npm ci in bot/web/) and copies socket.io-client there (npm run build)."
)


@pytest.fixture(scope="session")
def web_only(rasa_env, tmp_path_factory) -> Iterator[WebServices]:
    """The web app alone (no Rasa: tests that fake Rasa's socket.io server in the browser)."""
    if not VENDOR_JS.exists():
        pytest.fail(NO_WIDGET, pytrace=False)
    workdir = tmp_path_factory.mktemp("web-only")
    started = WebServices(model=Path(), workdir=workdir, state_dir=workdir, rasa_env=rasa_env)
    started.web_url = f"http://127.0.0.1:{started.web_port}"
    started.rasa_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {**rasa_env, "BOT_RASA_URL": started.rasa_url}
    started._spawn("web", [".venv/bin/bot", "web", "--host", "127.0.0.1", "--port", str(started.web_port)], env)
    try:
        started._wait(started.web_url + "/healthz")
        yield started
    finally:
        started.stop()


def chromium_path() -> str:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        if Path(configured).is_file():
            return configured
        pytest.fail(NO_CHROMIUM.format(tried=f"CHROMIUM_PATH={configured}"), pytrace=False)
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(NO_CHROMIUM.format(tried=", ".join(CHROMIUM_CANDIDATES) + " on PATH"), pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Chromium (the system's), for the whole run."""
    if not VENDOR_JS.exists():
        pytest.fail(NO_WIDGET, pytrace=False)
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(NO_PLAYWRIGHT, pytrace=False)
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Screenshots:
    """Numbered screenshots of one test, in the pytest tmp dir and in test-artifacts/browser/."""

    page: object
    tmp_dir: Path
    artifacts_dir: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, name: str) -> Path:
        filename = f"{len(self.taken) + 1:02d}-{name}.png"
        path = self.tmp_dir / filename
        self.page.screenshot(path=str(path), full_page=True)
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, self.artifacts_dir / filename)
        self.taken.append(path)
        return path


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test, so a fixture can tell a failure at teardown."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh browser context (empty localStorage) and page; on failure, a screenshot and the
    browser console go to test-artifacts/browser/."""
    for stale in ARTIFACTS_DIR.glob(f"FAILED-{request.node.name}.*"):
        stale.unlink()
    context = browser.new_context(viewport={"width": 900, "height": 1200}, locale="en-US")
    page = context.new_page()
    page.console_lines = []
    page.page_errors = []
    page.on("console", lambda message: page.console_lines.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
            stem = f"FAILED-{request.node.name}"
            try:
                page.screenshot(path=str(ARTIFACTS_DIR / f"{stem}.png"), full_page=True)
            except Exception:  # the page may be gone; the console log still helps
                pass
            (ARTIFACTS_DIR / f"{stem}.console.txt").write_text(
                "\n".join(page.console_lines + ["", "page errors:", *page.page_errors]), encoding="utf-8"
            )
        context.close()


@pytest.fixture
def screenshots(page, request, tmp_path) -> Screenshots:
    """screenshots("name") saves NN-name.png for this test (tmp dir and test-artifacts/browser/<test>/)."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    artifacts = ARTIFACTS_DIR / request.node.name
    shutil.rmtree(artifacts, ignore_errors=True)  # this run's pictures only
    return Screenshots(page, shots, artifacts)
