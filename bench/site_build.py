"""Benchmark 2: building the site (render + `mkdocs build`, both languages) for the real catalog and for the
real catalog plus 1,000 synthetic model cards; what a reader downloads; the search index.

Run: .venv/bin/python bench/site_build.py [--cards 1000] [--runs 3] [--no-browser]
Each catalog is copied into a temporary project folder (catalog/, mkdocs.yml, mkdocs.en.yml) and built
there with the real command, `python -m survey.site build --site-dir DIR`, so nothing in the working tree
(docs/generated/, site/) is touched. Page weight is measured in Debian's
chromium through Playwright with an empty cache: every response the page loads (HTML, CSS, JS, fonts,
images), as served (no compression) and as gzip would send it; then, apart, what the search fetches when
the search box is first used (its worker and index, which no longer load with the page).
The last line is the headline ratio (1,000-card build time / real-catalog build time) with the targets.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
BUILD_TARGET_S, PAGE_TARGET_KB = 60, 500


def project(folder: Path, synthetic_cards: int) -> Path:
    """A project folder: a copy of the real catalog (plus synthetic model cards), the two mkdocs configs and
    the theme overrides they name, committed to a git repository of its own, so that the build's one
    `git log` call (each card's last-changed date) is measured over every card."""
    shutil.copytree(ROOT / "catalog", folder / "catalog")
    if synthetic_cards:
        synthetic.write(folder / "catalog", synthetic_cards)
    for name in ("mkdocs.yml", "mkdocs.en.yml"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "survey" / "site" / "theme", folder / "survey" / "site" / "theme")
    git = ["git", "-C", str(folder), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for command in (["init", "-q"], ["add", "catalog"], ["commit", "-q", "-m", "catalog"]):
        subprocess.run(git + command, check=True, capture_output=True)
    return folder


def env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "NO_MKDOCS_2_WARNING": "1"}


def run(folder: Path, *command: str) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, *command], cwd=folder, env=env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed in {folder}:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return seconds


def build(folder: Path) -> float:
    """The whole build from scratch (no rendered pages, no site), as `make site` runs it."""
    shutil.rmtree(folder / "docs", ignore_errors=True)
    shutil.rmtree(folder / "site", ignore_errors=True)
    return run(folder, "-m", "survey.site", "build", "--site-dir", str(folder / "site"))


def parts(folder: Path) -> dict[str, float]:
    """The build's parts, each a fresh process: render only, then each mkdocs build over the rendered pages."""
    shutil.rmtree(folder / "docs", ignore_errors=True)
    render = run(folder, "-m", "survey.site", "generate")
    zh = run(folder, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", "mkdocs.yml", "-d", str(folder / "site"))
    en = run(folder, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", "mkdocs.en.yml", "-d", str(folder / "site" / "en"))
    return {"render": render, "zh": zh, "en": en}


def serve(site: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - local server
            break
        except OSError:
            time.sleep(0.1)
    return process, url


def _bytes(responses: list) -> int:
    total = 0
    for response in responses:
        try:
            total += len(response.body())
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            continue
    return total


def weigh(browser, url: str) -> dict:
    """Bytes of every response an uncached page load fetches (until the network is idle), and what the
    search then fetches when the reader first uses the search box (its worker and index start only then)."""
    context = browser.new_context()  # a fresh context: an empty cache
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)
    first = list(responses)
    if page.locator("input.md-search__input").is_hidden():
        page.locator("label.md-search__icon").first.click()
    page.locator("input.md-search__input").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    search_bytes = _bytes(responses[len(first):])
    responses = first
    raw = gz = 0
    kinds: dict[str, int] = {}
    for response in responses:
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            continue
        raw += len(body)
        gz += len(gzip.compress(body, 6))
        path = urlparse(response.url).path
        kind = "search index" if path.endswith("search_index.json") else (Path(path).suffix.lstrip(".") or "html")
        kinds[kind] = kinds.get(kind, 0) + len(body)
    context.close()
    return {"raw": raw, "gzip": gz, "requests": len(responses), "kinds": kinds, "search": search_bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000, help="synthetic model cards added to the real catalog")
    parser.add_argument("--runs", type=int, default=3, help="best of N builds per catalog")
    parser.add_argument("--no-browser", action="store_true", help="skip the page-weight measurement")
    parser.add_argument("--keep", type=Path, default=None, help="build here and keep the folders")
    args = parser.parse_args()
    console = Console(width=160)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        catalogs = {"real catalog": project(base / "real", 0),
                    f"real + {args.cards:,} synthetic models": project(base / f"synthetic-{args.cards}", args.cards)}
        times: dict[str, dict[str, float]] = {}
        for name, folder in catalogs.items():
            runs = [{"total": build(folder), **parts(folder)} for _ in range(args.runs)]
            times[name] = {key: min(r[key] for r in runs) for key in runs[0]}
            build(folder)  # the parts' bare mkdocs runs leave their own output; measure what the build command ships

        table = Table(title=f"site build, both languages (seconds, best of {args.runs}; each part a fresh process)")
        for column in ("catalog", "cards", "pages (zh)", "render", "mkdocs zh", "mkdocs en", "whole build", "search index zh / en (KB)"):
            table.add_column(column, justify="right")
        for name, folder in catalogs.items():
            cards = sum(1 for _ in (folder / "catalog").rglob("*.yaml")) - sum(1 for _ in (folder / "catalog" / "schema").glob("*.yaml"))
            pages = sum(1 for _ in (folder / "site").rglob("index.html")) - sum(1 for _ in (folder / "site" / "en").rglob("index.html"))
            index = [(folder / "site" / sub / "search" / "search_index.json").stat().st_size / 1000 for sub in ("", "en")]
            t = times[name]
            table.add_row(name, f"{cards:,}", f"{pages:,}", f"{t['render']:.1f}", f"{t['zh']:.1f}", f"{t['en']:.1f}",
                          f"{t['total']:.1f}", f"{index[0]:,.0f} / {index[1]:,.0f}")
        console.print(table)

        heaviest = heaviest_gzip = 0.0
        if not args.no_browser:
            from playwright.sync_api import sync_playwright

            weights = Table(title="bytes a reader downloads, empty cache (KB; every response until the network is idle)")
            for column in ("catalog", "page", "requests", "as served", "gzip", "search, on first use (as served)",
                           "largest parts (as served)"):
                weights.add_column(column, justify="right")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                for name, folder in catalogs.items():
                    server, url = serve(folder / "site")
                    try:
                        model = "models/alpaca/" if (folder / "site" / "models" / "alpaca").is_dir() else \
                            sorted((folder / "site" / "models").glob("*/"))[0].name + "/"
                        for label, path in (("home", ""), ("model page", model), ("model page, en", "en/" + model)):
                            w = weigh(browser, url + path)
                            if label != "home":
                                heaviest = max(heaviest, w["raw"] / 1000)
                                heaviest_gzip = max(heaviest_gzip, w["gzip"] / 1000)
                            largest = ", ".join(f"{k} {v / 1000:,.0f}" for k, v in sorted(w["kinds"].items(), key=lambda kv: -kv[1])[:4])
                            weights.add_row(name, f"{label} (/{path})", str(w["requests"]), f"{w['raw'] / 1000:,.0f}",
                                            f"{w['gzip'] / 1000:,.0f}", f"{w['search'] / 1000:,.0f}", largest)
                    finally:
                        server.terminate()
                        server.wait()
                browser.close()
            console.print(weights)

    small, large = times["real catalog"]["total"], times[f"real + {args.cards:,} synthetic models"]["total"]
    console.print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; targets: {args.cards:,}-card build "
                  f"< {BUILD_TARGET_S} s ({'met' if large < BUILD_TARGET_S else 'missed'}: {large:.1f} s), model page "
                  f"< {PAGE_TARGET_KB} KB" + (f": as served {'met' if heaviest < PAGE_TARGET_KB else 'missed'} ({heaviest:,.0f} KB), "
                                             f"gzip {'met' if heaviest_gzip < PAGE_TARGET_KB else 'missed'} ({heaviest_gzip:,.0f} KB)"
                                             if heaviest else ""))
    console.print(f"headline: {args.cards:,}-card site build / real catalog build = {large / small:.2f}x ({large:.1f} s vs {small:.1f} s)")


if __name__ == "__main__":
    main()
