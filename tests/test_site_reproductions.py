"""The reproduction pages in a browser: a catalog copy holding a card that `reproduce report` wrote from a real
smoke run is built with the real command (`python -m survey.site build`), served, and opened in Debian's chromium.
The reproduction's page and the recipe's side-by-side show; the loss curve is drawn and visible in the light and
the dark palette, its lines stand out from the page, its text is readable, and nothing is wider than a phone.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.site_browser import DESKTOP, PHONE, Visit, browser  # noqa: F401 - fixtures
from tests.test_reproduction_cards import CARD_ID, RECIPE, catalog_with_card, load_card, run_dir  # noqa: F401 - fixtures
from tests.test_site_use import _TEXT_SIZES, _TOO_WIDE

pytest.importorskip("mkdocs")
pytest.importorskip("material")

# The colour of each curve and of the page behind it, as the browser paints them.
_COLOURS = """id => {
  const figure = document.getElementById('loss-' + id);
  const svg = Array.from(figure.querySelectorAll('svg')).find(s => s.getBoundingClientRect().width > 0);
  const lines = Array.from(svg.querySelectorAll('polyline.sv-line')).map(l => getComputedStyle(l).stroke);
  const box = svg.getBoundingClientRect();
  return {lines, background: getComputedStyle(document.body).backgroundColor, frame: svg.getAttribute('class'),
          left: box.left, right: box.right, width: box.width, height: box.height};
}"""


# The first table after a heading, whether Material has wrapped it in its scrolling box or not.
_TABLE_AFTER = """id => {
  for (let el = document.getElementById(id).nextElementSibling; el && el.tagName !== 'H2'; el = el.nextElementSibling) {
    const table = el.tagName === 'TABLE' ? el : el.querySelector('table');
    if (table) return {text: table.innerText, links: Array.from(table.querySelectorAll('a')).map(a => a.getAttribute('href'))};
  }
  return null;
}"""


@pytest.fixture(scope="module")
def site_url(catalog_with_card, tmp_path_factory):  # noqa: F811 - the imported fixture
    tmp = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "survey.site", "--root", str(catalog_with_card), "--out",
                             str(tmp / "generated"), "build", "--site-dir", str(tmp / "site")],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    process = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory",
                                str(tmp / "site")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..."
    port = line.split(" port ")[1].split()[0]
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=10)


def _rgb(text: str) -> tuple[int, ...]:
    return tuple(int(float(part)) for part in text[text.index("(") + 1:text.index(")")].split(",")[:3])


def _contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    def luminance(rgb: tuple[int, ...]) -> float:
        linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_reproduction_page_draws_its_curve_in_both_palettes(browser, site_url, catalog_with_card, scheme, viewport):  # noqa: F811
    card = load_card(catalog_with_card)
    v = Visit(browser, site_url, viewport, color_scheme=scheme)
    for path in (f"reproductions/{CARD_ID}/", f"en/reproductions/{CARD_ID}/"):
        page = v.go(path, f"reproduction-{viewport['width']}-{scheme}")
        assert page.locator(f"#loss-{CARD_ID}").is_visible()
        drawn = page.evaluate(_COLOURS, CARD_ID)
        assert drawn["frame"] == ("sv-narrow" if viewport is PHONE else "sv-wide"), drawn
        assert drawn["width"] > 300 and drawn["height"] > 200 and 0 <= drawn["left"] and drawn["right"] <= viewport["width"]
        background = _rgb(drawn["background"])
        assert len(drawn["lines"]) == 2 and len(set(drawn["lines"])) == 2  # training and held-out, told apart
        for stroke in drawn["lines"]:
            assert _contrast(_rgb(stroke), background) >= 3, (scheme, stroke, drawn["background"])
        assert min(page.evaluate(_TEXT_SIZES)) >= 11
        width, wide = page.evaluate(_TOO_WIDE)
        assert width <= viewport["width"] and wide == [], (path, width, wide)
        measured = page.evaluate(_TABLE_AFTER, "measured")
        assert f"{card.measured.train_loss:g}" in measured["text"] and f"{card.measured.heldout_loss:g}" in measured["text"]
    v.check_clean()


def test_recipe_page_puts_the_original_beside_the_rerun(browser, site_url):  # noqa: F811
    for viewport in (DESKTOP, PHONE):
        v = Visit(browser, site_url, viewport)
        page = v.go(f"en/recipes/{RECIPE}/", f"recipe-side-by-side-{viewport['width']}")
        heading = page.locator("h2#reproductions")
        assert heading.is_visible()
        table = page.evaluate(_TABLE_AFTER, "reproductions")
        assert "Original (reported)" in table["text"] and "52.6" in table["text"] and "25 ± 15.3" in table["text"]
        assert [link for link in table["links"] if f"reproductions/{CARD_ID}" in link]
        assert page.locator(f"#loss-{CARD_ID} svg").first.is_visible() or page.locator(f"#loss-{CARD_ID} svg").nth(1).is_visible()
        width, wide = page.evaluate(_TOO_WIDE)
        assert width <= viewport["width"] and wide == [], (width, wide)
        v.check_clean()
