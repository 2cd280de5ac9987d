"""What the site's browser tests share: the real catalog built once per test session with the real
command (`python -m survey.site build`), served by a plain HTTP server in a process of its own, and pages
opened in Debian's chromium through Playwright with every console error and every request recorded.

Without Playwright or /usr/bin/chromium the browser tests are skipped (`make test` installs both).

Test modules import these fixtures, so pytest holds one definition per module: the site and its server
are kept in `_SHARED` to be built and started once for all of them, and the browser is per module
(Playwright's sync API runs one at a time).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from survey.loader import load_catalog

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("build/screenshots")
# Flags for this closed network: no background requests of chromium's own.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


_SHARED: dict[str, object] = {}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    if "built" not in _SHARED:
        site = tmp_path_factory.mktemp("site")
        result = subprocess.run(
            [sys.executable, "-m", "survey.site", "build", "--site-dir", str(site)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        _SHARED["built"] = site
    return _SHARED["built"]


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(Path("catalog"))[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(built: Path):
    if "server" in _SHARED:
        yield _SHARED["server"]
        return
    # A separate process: the test process may hold heavy libraries (torch, DeepSpeed) from earlier tests.
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(built)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    _SHARED["server"] = url
    yield url
    _SHARED.pop("server")
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (make test installs it)")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page with every console error and every request recorded."""

    def __init__(self, browser, base: str, viewport: dict | None = None, **context) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, **context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def go(self, path: str, shot: str | None = None):
        self.page.goto(self.base + path, wait_until="networkidle")
        if shot:
            SHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
        return self.page

    def check_clean(self) -> None:
        assert not self.errors, self.errors
        outside = [u for u in self.requests if urlparse(u).scheme in ("http", "https") and urlparse(u).hostname != "127.0.0.1"]
        assert not outside, outside
        self.context.close()


@pytest.fixture
def visit(browser, server):
    """visit(viewport=PHONE, has_touch=True, …) -> a Visit; each is checked for errors and outside requests."""
    visits: list[Visit] = []

    def make(viewport: dict | None = None, **context) -> Visit:
        visits.append(Visit(browser, server, viewport, **context))
        return visits[-1]

    yield make
    for v in visits:
        v.check_clean()


def search(page, query: str) -> list[str]:
    """Type `query` into the search box as a reader would; the pages found, in order, as paths relative to
    the server (each page once: Material lists a page's matching sections under it)."""
    if page.locator("input.md-search__input").is_hidden():
        page.locator("label.md-search__icon").first.click()
    page.locator("input.md-search__input").click()
    previous = page.eval_on_selector_all(".md-search-result__item > .md-search-result__link", "l => l.map(a => a.href).join()")
    # The worker starts when the box is first used and ignores queries until its index has loaded, so type
    # again until the results change.
    for _ in range(60):
        page.fill("input.md-search__input", query)
        page.press("input.md-search__input", "End")  # a key event too: the search listens for keyboard input
        page.wait_for_timeout(250)
        now = page.eval_on_selector_all(".md-search-result__item > .md-search-result__link", "l => l.map(a => a.href).join()")
        if now and now != previous:
            break
    page.wait_for_timeout(300)
    links = page.eval_on_selector_all(".md-search-result__item > .md-search-result__link", "l => l.map(a => a.href)")
    origin = re.match(r"https?://[^/]+/", page.url).group()
    pages = [re.split(r"[?#]", link.removeprefix(origin))[0] for link in links]
    return list(dict.fromkeys(pages))
