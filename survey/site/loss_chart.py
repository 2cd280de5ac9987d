"""A reproduction's loss curve (training and held-out loss by step), drawn at build time as inline SVG.

It uses the frames of `survey.site.charts` (a wide one and a phone's, CSS shows one) and the theme's colour
variables, so it reads the same in the light and the dark palette; both axes are linear.
"""

from __future__ import annotations

import math

from survey.site.charts import NARROW, WIDE, Frame, text_width
from survey.site.facts import human
from survey.site.page import Site
from survey.site.text import html_escape as esc

SERIES = (("train", "sv-c0"), ("heldout", "sv-c1"))  # training loss, held-out loss: the first two series colours
DOT = 3.5  # held-out points are few (one per evaluation) and get a dot each


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) covering low..high."""
    span = high - low or abs(high) or 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _step_label(step: float) -> str:
    return human(int(step)) if step >= 1000 else f"{step:g}"


class _Axes:
    def __init__(self, frame: Frame, xs: list[float], ys: list[float]) -> None:
        self.f, self.xs, self.ys = frame, xs, ys

    def x(self, step: float) -> float:
        lo, hi = self.xs[0], self.xs[-1]
        return self.f.left + (step - lo) / ((hi - lo) or 1) * (self.f.width - self.f.left - self.f.right)

    def y(self, loss: float) -> float:
        lo, hi = self.ys[0], self.ys[-1]
        f = self.f
        return f.height - f.bottom - (loss - lo) / ((hi - lo) or 1) * (f.height - f.top - f.bottom)


def _svg(frame: Frame, curve, title: str, x_label: str, y_label: str) -> str:
    points = [p for name, _css in SERIES for p in getattr(curve, name)]
    steps, losses = [p.step for p in points], [p.loss for p in points]
    pad = (max(losses) - min(losses)) * 0.05 or 0.05
    axes = _Axes(frame, _nice_ticks(min(steps), max(steps)), _nice_ticks(max(min(losses) - pad, 0), max(losses) + pad))
    f = frame
    base, right = f.height - f.bottom, f.width - f.right
    out = [f'<line class="sv-axis" x1="{f.left}" y1="{base}" x2="{right}" y2="{base}"/>',
           f'<line class="sv-axis" x1="{f.left}" y1="{f.top}" x2="{f.left}" y2="{base}"/>']
    for value in axes.ys:
        y = axes.y(value)
        out.append(f'<line class="sv-grid" x1="{f.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>')
        out.append(f'<text class="sv-tick" x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    last_end = -1e9
    for value in axes.xs:
        x, label = axes.x(value), _step_label(value)
        half = text_width(label) / 2
        out.append(f'<line class="sv-grid" x1="{x:.1f}" y1="{f.top}" x2="{x:.1f}" y2="{base}"/>')
        if x - half > last_end + 4 and x + half <= f.width:
            out.append(f'<text class="sv-tick" x="{x:.1f}" y="{base + 18}" text-anchor="middle">{esc(label)}</text>')
            last_end = x + half
    for name, css in SERIES:
        series = getattr(curve, name)
        if not series:
            continue
        where = " ".join(f"{axes.x(p.step):.1f},{axes.y(p.loss):.1f}" for p in series)
        out.append(f'<g class="sv-series {css}" data-series="{name}"><polyline class="sv-line" points="{where}"/>')
        if name == "heldout":
            out += [f'<circle class="sv-line-dot" cx="{axes.x(p.step):.1f}" cy="{axes.y(p.loss):.1f}" r="{DOT}">'
                    f'<title>{p.step}: {p.loss:g}</title></circle>' for p in series]
        out.append("</g>")
    mid_x, mid_y = (f.left + right) / 2, (f.top + base) / 2
    out.append(f'<text class="sv-label" x="{mid_x:.0f}" y="{f.height - 8}" text-anchor="middle">{esc(x_label)}</text>')
    out.append(f'<text class="sv-label" x="14" y="{mid_y:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {mid_y:.0f})">{esc(y_label)}</text>')
    return (f'<svg class="sv-{f.name}" viewBox="0 0 {f.width} {f.height}" role="img" aria-label="{esc(title)}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(out)}</svg>')


def figure(site: Site, card) -> str:  # noqa: ANN001 - a Reproduction card
    """The curve of one reproduction as a figure with a legend; '' when the card records no curve."""
    curve = card.curve
    if not curve.train and not curve.heldout:
        return ""
    label = site.label
    title = f"{site.name(card)} — {label('curve')}"
    wide = _svg(WIDE, curve, title, label("step"), label("loss"))
    narrow = _svg(NARROW, curve, title, label("step"), label("loss"))
    legend = "".join(f'<li class="{css}"><span class="sv-swatch"></span>{esc(label(name))}</li>'
                     for name, css in SERIES if getattr(curve, name))
    return (f'<figure class="sv-chart sv-loss" id="loss-{esc(card.id)}" data-search-exclude>'
            f'<div class="sv-frame"><div class="sv-scroll">{wide}{narrow}</div></div>'
            f'<ul class="sv-legend">{legend}</ul><figcaption>{esc(title)}</figcaption></figure>')
