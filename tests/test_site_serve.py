"""`python -m survey.site serve`: both languages from one server, rebuilt when a card changes."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import write_catalog

pytest.importorskip("mkdocs")
pytest.importorskip("material")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def _wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what} ({last})")


@pytest.fixture
def served(tmp_path: Path):
    root = write_catalog(tmp_path / "catalog")
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "survey.site", "--root", str(root), "--out", str(tmp_path / "generated"),
         "serve", "--address", f"127.0.0.1:{port}", "--site-dir", str(tmp_path / "serve")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(lambda: _get(base), 180, "the first build")
        yield base, root
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        print((tmp_path / "serve.log").read_text())


def test_serve_has_both_languages_and_rebuilds_on_a_card_change(served) -> None:
    base, root = served
    zh = _get(base + "models/tiny-chat/")
    en = _get(base + "en/models/tiny-chat/")
    assert "指令模型。" in zh and "An instruction model." in en
    # The language switch: each page links the other language's root, which the same server serves.
    link = re.search(r'<a href="([^"]*)"[^>]*hreflang="en"', zh)  # the switcher (<link hreflang> names the published page)
    assert link, "no English link on the Chinese page"
    target = urllib.request.urljoin(base + "models/tiny-chat/", link.group(1))
    assert target == base + "en/" and '<html lang="en"' in _get(target)
    back = re.search(r'<a href="([^"]*)"[^>]*hreflang="zh"', en)
    assert urllib.request.urljoin(base + "en/models/tiny-chat/", back.group(1)) == base
    # Served pages carry the live-reload script; the version moves on when the site is rebuilt.
    assert "/__livereload" in zh
    before = int(_get(base + "__livereload?since=-1"))

    card = root / "models" / "tiny-chat.yaml"
    card.write_text(card.read_text("utf-8").replace("An instruction model.", "A model edited while served."), "utf-8")
    _wait_for(lambda: "A model edited while served." in _get(base + "en/models/tiny-chat/"), 180, "the rebuilt page")
    assert "指令模型。" in _get(base + "models/tiny-chat/")  # and the Chinese site is still there
    assert int(_get(base + f"__livereload?since={before}")) > before
