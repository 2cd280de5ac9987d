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
R, FONT = 5, 12  # dot radius and label size, in SVG units
# Where a label may go, relative to its dot: (dx, dy of the baseline, text-anchor), tried in order.
CANDIDATES = (
    (8, 4, "start"),
    (-8, 4, "end"),
    (0, -9, "middle"),
    (0, 17, "middle"),
    (8, -8, "start"),
    (8, 16, "start"),
    (-8, -8, "end"),
    (-8, 16, "end"),
)


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
        self.points: list[tuple] = []
        self.unlabelled: list[object] = []

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

    def point(
        self, x: float, y: float, href: str, label: str, tip: str, show_label: bool, priority: tuple = (), key: object = None
    ) -> None:
        """A dot; its label is placed later, by `svg`, where it collides with nothing (or left out)."""
        self.points.append((self.x(x), self.y(y), href, label, tip, show_label, priority, len(self.points), key))

    def place_labels(self) -> dict[int, tuple[float, float, str]]:
        """Greedy label placement: most important first, each at the first free spot around its dot.

        Returns {point index: (x, y, text-anchor)}; a label with no free spot is left out (its dot keeps
        the name as a hover title, and the page lists it under the chart)."""
        taken = [(px - R, py - R, px + R, py + R) for px, py, *_rest in self.points]
        placed: dict[int, tuple[float, float, str]] = {}
        wanted = sorted((p for p in self.points if p[5]), key=lambda p: (p[6], p[7]))
        for px, py, _href, label, _tip, _show, _prio, index, _key in wanted:
            width = text_width(label)
            for dx, dy, anchor in CANDIDATES:
                x, y = px + dx, py + dy
                left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
                box = (left - 1, y - FONT + 2, left + width + 1, y + 3)
                if box[0] < LEFT + 2 or box[2] > W - 2 or box[1] < 0 or box[3] > H - BOTTOM:
                    continue
                if any(_overlap(box, other) for other in taken):
                    continue
                taken.append(box)
                placed[index] = (x, y, anchor)
                break
        self.unlabelled = [p[8] for p in wanted if p[7] not in placed]
        return placed

    def svg(self, chart_id: str, x_ticks: list[tuple[float, str]]) -> str:
        placed = self.place_labels()
        items = []
        for px, py, href, label, tip, _show, _prio, index, _key in self.points:
            text = ""
            if index in placed:
                x, y, anchor = placed[index]
                text = f'<text class="sv-point-label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{esc(label)}</text>'
            items.append(
                f'<a href="{esc(href)}"><g class="sv-point"><title>{esc(tip)}</title>'
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{R}"/>{text}</g></a>'
            )
        body = "".join(self.frame(x_ticks) + items)
        return (
            f'<figure class="sv-chart" id="{chart_id}"><svg viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{esc(self.title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
            f"<figcaption>{esc(self.title)}</figcaption></figure>"
        )


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def text_width(label: str, size: float = FONT) -> float:
    """A generous estimate of a label's width in SVG units (no fonts are measured at build time)."""
    wide = sum(1 for c in label if ord(c) >= 0x2E80)
    return wide * size + (len(label) - wide) * size * 0.62


def _importance(site: Site) -> dict[str, int]:
    """How many catalog models name each model as a base: better-known models get their labels first."""
    count: dict[str, int] = {}
    for model in site.sorted_cards("model"):
        for link in model.lineage:
            count[link.model] = count.get(link.model, 0) + 1
    return count


def timeline(site: Site, page: Page) -> tuple[str, list]:
    """Release date (x) against the largest size (y, log scale)."""
    points = []
    for model in site.sorted_cards("model"):
        for p in facts.params(model):
            points.append((facts.date_value(model.released.date), p, model, p == facts.max_params(model)))
    if not points:
        return "", []
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
    weight = _importance(site)
    labelled: set[str] = set()
    for x, p, model, biggest in sorted(points, key=lambda item: (item[0], item[1], item[2].id)):
        tip = f"{site.name(model)} — {model.released.date} — {_si(p)}"
        priority = (-weight.get(model.id, 0), model.released.date, model.id)
        show = biggest and model.id not in labelled
        labelled.update([model.id] if show else [])
        plot.point(x, p, page.href(card_path(model)), site.name(model), tip, show, priority, model)
    return plot.svg("sv-timeline", ticks), plot.unlabelled


def scaling(site: Site, page: Page) -> tuple[str, list, list]:
    """Training tokens (x, log) against parameters (y, log); returns the chart, the models left out and
    the models drawn without a label."""
    points, left_out = [], []
    for model in site.sorted_cards("model"):
        found = facts.size_points(model)
        if not found:
            left_out.append(model)
        for p, t in found:
            points.append((t, p, model))
    if not points:
        return "", left_out, []
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
    weight = _importance(site)
    for t, p, model in sorted(points, key=lambda item: (item[0], item[1], item[2].id)):
        tip = f"{site.name(model)} — {_si(p)} / {_si(t)} tokens"
        priority = (-weight.get(model.id, 0), model.released.date, model.id)
        plot.point(t, p, page.href(card_path(model)), site.name(model), tip, model.id not in labelled, priority, model)
        labelled.add(model.id)
    return plot.svg("sv-scaling", ticks), left_out, plot.unlabelled


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
    ]
    chart, unlabelled = timeline(site, page)
    parts += [chart, "", *_unlabelled(page, unlabelled)]
    chart, left_out, unlabelled = scaling(site, page)
    parts += [
        "## " + ("参数量与训练数据" if zh else "Parameters and training tokens"),
        "",
        "只画出训练数据以 token 计的模型（多为预训练模型）。"
        if zh
        else "Only models whose training data is counted in tokens (mostly pre-trained bases) are drawn.",
        "",
        chart,
        "",
        *_unlabelled(page, unlabelled),
    ]
    if left_out:
        names = ", ".join(page.link(m) for m in left_out)
        parts += [("未画出（无 token 数）：" if zh else "Not drawn (no token count): ") + names, ""]
    return PATH, "\n".join(parts)


def _unlabelled(page: Page, models: list) -> list[str]:
    """Models whose label would have covered another: named here (their dots keep hover titles)."""
    if not models:
        return []
    zh = page.lang == "zh"
    names = ", ".join(page.link(m) for m in sorted(models, key=lambda m: page.site.name(m).lower()))
    lead = "图中未标注名称的点（悬停可见名称）：" if zh else "Dots drawn without a name (hover to see it): "
    return [lead + names, ""]
