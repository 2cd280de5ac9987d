"""Charts drawn at build time as inline SVG: no chart library, nothing fetched.

Colours come from the theme's CSS variables (see assets/site.css), so a chart
reads the same in the light and the dark palette.
"""

from __future__ import annotations

import math

from survey.site import facts
from survey.site.page import Page, Site, card_path
from survey.site.text import html_escape as esc

PATH = "charts.md"
W, H = 860, 460
LEFT, RIGHT, TOP, BOTTOM = 70, 150, 20, 50


def _si(value: float) -> str:
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            number = value / limit
            return f"{number:g}{suffix}"
    return f"{value:g}"


def _log_range(values: list[float]) -> tuple[int, int]:
    low = math.floor(math.log10(min(values)))
    high = math.ceil(math.log10(max(values)))
    return low, max(high, low + 1)


class Plot:
    """A scatter plot frame with a log-scaled y axis and a linear or log x axis."""

    def __init__(self, title: str, x_label: str, y_label: str, xs: tuple[float, float], ys: tuple[int, int], log_x: bool):
        self.title, self.x_label, self.y_label = title, x_label, y_label
        self.xs, self.ys, self.log_x = xs, ys, log_x
        self.items: list[str] = []

    def x(self, value: float) -> float:
        lo, hi = self.xs
        v = math.log10(value) if self.log_x else value
        return LEFT + (v - lo) / (hi - lo) * (W - LEFT - RIGHT)

    def y(self, value: float) -> float:
        lo, hi = self.ys
        return H - BOTTOM - (math.log10(value) - lo) / (hi - lo) * (H - TOP - BOTTOM)

    def frame(self, x_ticks: list[tuple[float, str]]) -> list[str]:
        out = [
            f'<line class="sv-axis" x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}"/>',
            f'<line class="sv-axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}"/>',
        ]
        for power in range(self.ys[0], self.ys[1] + 1):
            y = self.y(10**power)
            out.append(f'<line class="sv-grid" x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}"/>')
            out.append(f'<text class="sv-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_si(10**power)}</text>')
        for value, label in x_ticks:
            x = self.x(value)
            out.append(f'<line class="sv-grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{H - BOTTOM}"/>')
            out.append(f'<text class="sv-tick" x="{x:.1f}" y="{H - BOTTOM + 18}" text-anchor="middle">{esc(label)}</text>')
        out.append(f'<text class="sv-label" x="{(LEFT + W - RIGHT) / 2:.0f}" y="{H - 8}" text-anchor="middle">{esc(self.x_label)}</text>')
        out.append(
            f'<text class="sv-label" x="16" y="{(TOP + H - BOTTOM) / 2:.0f}" text-anchor="middle" '
            f'transform="rotate(-90 16 {(TOP + H - BOTTOM) / 2:.0f})">{esc(self.y_label)}</text>'
        )
        return out

    def point(self, x: float, y: float, href: str, label: str, tip: str, show_label: bool) -> None:
        px, py = self.x(x), self.y(y)
        text = f'<text class="sv-point-label" x="{px + 7:.1f}" y="{py + 4:.1f}">{esc(label)}</text>' if show_label else ""
        self.items.append(
            f'<a href="{esc(href)}"><g class="sv-point"><title>{esc(tip)}</title>'
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5"/>{text}</g></a>'
        )

    def svg(self, chart_id: str, x_ticks: list[tuple[float, str]]) -> str:
        body = "".join(self.frame(x_ticks) + self.items)
        return (
            f'<figure class="sv-chart" id="{chart_id}"><svg viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{esc(self.title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
            f"<figcaption>{esc(self.title)}</figcaption></figure>"
        )


def timeline(site: Site, page: Page) -> str:
    """Release date (x) against the largest size (y, log scale)."""
    points = []
    for model in site.sorted_cards("model"):
        for p in facts.params(model):
            points.append((facts.date_value(model.released.date), p, model, p == facts.max_params(model)))
    if not points:
        return ""
    first = math.floor(min(p[0] for p in points))
    last = math.floor(max(p[0] for p in points)) + 1
    ys = _log_range([p[1] for p in points])
    zh = site.lang == "zh"
    plot = Plot(
        "发布时间与参数量（对数坐标）" if zh else "Release date and parameters (log scale)",
        "发布日期" if zh else "Release date",
        "参数量" if zh else "Parameters",
        (first, last),
        ys,
        log_x=False,
    )
    ticks = []
    for year in range(first, last + 1):
        ticks.append((float(year), str(year)))
        if last - first <= 3 and year < last:
            ticks += [(year + q / 4, f"{year}-{q * 3 + 1:02d}") for q in (1, 2, 3)]
    for x, p, model, biggest in sorted(points, key=lambda item: (item[0], item[1], item[2].id)):
        tip = f"{site.name(model)} — {model.released.date} — {_si(p)}"
        plot.point(x, p, page.href(card_path(model)), site.name(model), tip, biggest)
    return plot.svg("sv-timeline", ticks)


def scaling(site: Site, page: Page) -> tuple[str, list]:
    """Training tokens (x, log) against parameters (y, log); returns the chart and the models left out."""
    points, left_out = [], []
    for model in site.sorted_cards("model"):
        found = facts.size_points(model)
        if not found:
            left_out.append(model)
        for p, t in found:
            points.append((t, p, model))
    if not points:
        return "", left_out
    xs = _log_range([t for t, _p, _m in points])
    ys = _log_range([p for _t, p, _m in points])
    zh = site.lang == "zh"
    plot = Plot(
        "参数量与训练 token 数（双对数坐标）" if zh else "Parameters and training tokens (log-log)",
        "训练 token 数" if zh else "Training tokens",
        "参数量" if zh else "Parameters",
        (float(xs[0]), float(xs[1])),
        ys,
        log_x=True,
    )
    ticks = [(10.0**power, _si(10**power)) for power in range(xs[0], xs[1] + 1)]
    labelled: set[str] = set()
    for t, p, model in sorted(points, key=lambda item: (item[0], item[1], item[2].id)):
        tip = f"{site.name(model)} — {_si(p)} / {_si(t)} tokens"
        plot.point(t, p, page.href(card_path(model)), site.name(model), tip, model.id not in labelled)
        labelled.add(model.id)
    return plot.svg("sv-scaling", ticks), left_out


def render(site: Site) -> tuple[str, str]:
    page = Page(site, PATH)
    zh = site.lang == "zh"
    parts = ["# " + ("图表" if zh else "Charts"), ""]
    parts += [
        "## " + ("发布时间线" if zh else "Release timeline"),
        "",
        "每个点是一个模型的一个尺寸，纵轴为对数坐标；点击跳到模型页面。"
        if zh
        else "Each dot is one size of one model; the vertical axis is logarithmic. Click a dot to open the model.",
        "",
        timeline(site, page),
        "",
    ]
    chart, left_out = scaling(site, page)
    parts += [
        "## " + ("参数量与训练数据" if zh else "Parameters and training tokens"),
        "",
        "只画出训练数据以 token 计的模型（多为预训练模型）。"
        if zh
        else "Only models whose training data is counted in tokens (mostly pre-trained bases) are drawn.",
        "",
        chart,
        "",
    ]
    if left_out:
        names = ", ".join(page.link(m) for m in left_out)
        parts += [("未画出（无 token 数）：" if zh else "Not drawn (no token count): ") + names, ""]
    return PATH, "\n".join(parts)
