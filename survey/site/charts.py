"""Charts drawn at build time as inline SVG: no chart library, nothing fetched.

Each chart is drawn twice, for a wide column and for a phone, and CSS shows one (assets/site.css). Neither
is ever scaled below 11/12 of its size, so its 12-unit text never shows under 11 CSS pixels (a narrower
screen scrolls the wide one sideways instead). Colours come from the theme's CSS variables, so a chart
reads the same in the light and the dark palette; dots are coloured by base family or, at the reader's
choice, by openness of the weights, with a legend. Every dot links to its model; a dot drawn without its
name shows it on the first tap (assets/site.js).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from survey.site import facts, share
from survey.site.page import Page, Site, card_path, heading
from survey.site.text import html_escape as esc

PATH = "charts.md"
R, FONT = 5, 12  # dot radius and label size, in SVG units
FAMILY_COLOURS = 7  # the largest families get a colour each; the rest share one (class sv-c7)
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
# Further out, with a line back to the dot: tried only for the models the survey introduces, so that each
# of them is named on a phone's crowded chart too.
FAR = tuple((dx, dy, anchor) for dy in (-24, 32, -40, 48, -56, 64, -72, 80)
            for dx, anchor in ((0, "middle"), (16, "start"), (-16, "end"), (48, "start"), (-48, "end"), (96, "start"), (-96, "end")))


@dataclass(frozen=True)
class Frame:
    """A chart's size and margins, in SVG units."""

    name: str  # "wide" or "narrow": the CSS class that picks it for a screen
    width: int
    height: int
    left: int = 58
    right: int = 16
    top: int = 16
    bottom: int = 46


WIDE = Frame("wide", 680, 420)
NARROW = Frame("narrow", 360, 440, left=50, right=10)


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


@dataclass
class Dot:
    x: float  # data coordinates
    y: float
    href: str
    label: str
    tip: str
    info: str  # shown after the name in the tap label
    show_label: bool
    priority: tuple
    css: str  # colour classes (and sv-subject)
    key: object  # the model, to list the unlabelled ones


class Plot:
    """A scatter plot with a log-scaled y axis and a linear or log x axis, drawn into a `Frame`."""

    def __init__(self, title: str, x_label: str, y_label: str, xs: tuple[float, float], ys: tuple[int, int], log_x: bool):
        self.title, self.x_label, self.y_label = title, x_label, y_label
        self.xs, self.ys, self.log_x = xs, ys, log_x
        self.dots: list[Dot] = []

    def add(self, dot: Dot) -> None:
        self.dots.append(dot)

    def svg(self, frame: Frame, x_ticks: list[tuple[float, str]], band: tuple[float, float] | None = None) -> tuple[str, list]:
        """The chart in one frame, and the models whose label found no free spot."""
        return _Drawing(self, frame).svg(x_ticks, band)


class _Drawing:
    def __init__(self, plot: Plot, frame: Frame) -> None:
        self.plot, self.f = plot, frame

    def x(self, value: float) -> float:
        lo, hi = self.plot.xs
        v = math.log10(value) if self.plot.log_x else value
        return self.f.left + (v - lo) / (hi - lo) * (self.f.width - self.f.left - self.f.right)

    def y(self, value: float) -> float:
        lo, hi = self.plot.ys
        f = self.f
        return f.height - f.bottom - (math.log10(value) - lo) / (hi - lo) * (f.height - f.top - f.bottom)

    def frame(self, x_ticks: list[tuple[float, str]], band: tuple[float, float] | None) -> list[str]:
        f = self.f
        base, right = f.height - f.bottom, f.width - f.right
        out = []
        if band:
            x1, x2 = self.x(band[0]), self.x(band[1])
            out.append(f'<rect class="sv-period" x="{x1:.1f}" y="{f.top}" width="{x2 - x1:.1f}" height="{base - f.top}"/>')
        out += [
            f'<line class="sv-axis" x1="{f.left}" y1="{base}" x2="{right}" y2="{base}"/>',
            f'<line class="sv-axis" x1="{f.left}" y1="{f.top}" x2="{f.left}" y2="{base}"/>',
        ]
        for power in range(self.plot.ys[0], self.plot.ys[1] + 1):
            y = self.y(10**power)
            out.append(f'<line class="sv-grid" x1="{f.left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>')
            out.append(f'<text class="sv-tick" x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{_si(10**power)}</text>')
        last_end = -1e9
        for value, label in x_ticks:
            x = self.x(value)
            out.append(f'<line class="sv-grid" x1="{x:.1f}" y1="{f.top}" x2="{x:.1f}" y2="{base}"/>')
            half = text_width(label) / 2
            if x - half > last_end + 4 and x + half <= f.width:  # leave out tick labels that would touch
                out.append(f'<text class="sv-tick" x="{x:.1f}" y="{base + 18}" text-anchor="middle">{esc(label)}</text>')
                last_end = x + half
        mid_x, mid_y = (f.left + right) / 2, (f.top + base) / 2
        out.append(f'<text class="sv-label" x="{mid_x:.0f}" y="{f.height - 8}" text-anchor="middle">{esc(self.plot.x_label)}</text>')
        out.append(
            f'<text class="sv-label" x="14" y="{mid_y:.0f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {mid_y:.0f})">{esc(self.plot.y_label)}</text>'
        )
        return out

    def place_labels(self, where: list[tuple[float, float]]) -> dict[int, tuple[float, float, str]]:
        """Greedy label placement: most important first, each at the first free spot around its dot.

        Returns {dot index: (x, y, text-anchor)}; a label with no free spot is left out (its dot keeps the
        name as a hover title and a tap label, and the page lists it under the chart)."""
        f = self.f
        taken = _Boxes()
        for px, py in where:
            taken.add((px - R, py - R, px + R, py + R))
        placed: dict[int, tuple[float, float, str]] = {}
        wanted = sorted((i for i, d in enumerate(self.plot.dots) if d.show_label), key=lambda i: (self.plot.dots[i].priority, i))
        for index in wanted:
            px, py = where[index]
            key = not self.plot.dots[index].priority[0]
            if taken.crowded(px, py) and not key:
                continue
            width = text_width(self.plot.dots[index].label)
            for dx, dy, anchor in CANDIDATES + (FAR if key else ()):
                x, y = px + dx, py + dy
                left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
                box = (left - 1, y - FONT + 2, left + width + 1, y + 3)
                if box[0] < f.left + 2 or box[2] > f.width - 2 or box[1] < 0 or box[3] > f.height - f.bottom:
                    continue
                if taken.hits(box):
                    continue
                taken.add(box)
                placed[index] = (x, y, anchor)
                break
        return placed

    def svg(self, x_ticks: list[tuple[float, str]], band: tuple[float, float] | None) -> tuple[str, list]:
        where = [(self.x(d.x), self.y(d.y)) for d in self.plot.dots]
        placed = self.place_labels(where)
        items = []
        for index, dot in enumerate(self.plot.dots):
            px, py = where[index]
            label, css = "", dot.css
            if index in placed:
                x, y, anchor = placed[index]
                label = f'<text class="sv-point-label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{esc(dot.label)}</text>'
                if abs(y - py) > 20:  # placed further out: a line from the dot to the label's near edge
                    end = y - FONT + 2 if y > py else y + 3
                    label = (f'<line class="sv-leader" x1="{px:.1f}" y1="{py:.1f}" x2="{x:.1f}" y2="{end:.1f}" '
                             f'stroke="currentColor" stroke-opacity="0.45" stroke-width="1"/>' + label)
                css += " sv-labelled"
            items.append(
                f'<a href="{esc(dot.href)}" class="sv-point {css}" data-name="{esc(dot.label)}" data-info="{esc(dot.info)}">'
                f'<title>{esc(dot.tip)}</title><circle cx="{px:.1f}" cy="{py:.1f}" r="{R}"/>{label}</a>'
            )
        body = "".join(self.frame(x_ticks, band) + items)
        svg = (
            f'<svg class="sv-{self.f.name}" viewBox="0 0 {self.f.width} {self.f.height}" role="img" '
            f'aria-label="{esc(self.plot.title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
        )
        listed = {id(d.key) for i, d in enumerate(self.plot.dots) if i in placed}
        unlabelled = []
        for i in sorted(i for i, d in enumerate(self.plot.dots) if d.show_label and i not in placed):
            key = self.plot.dots[i].key
            if id(key) not in listed:
                listed.add(id(key))
                unlabelled.append(key)
        return svg, unlabelled


class _Boxes:
    """The boxes already taken on a chart, filed by grid cell, so that checking a new label looks only at
    its neighbours (a thousand-model catalog has thousands of dots)."""

    CELL = 48.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    def _keys(self, box: tuple[float, float, float, float]):
        for gx in range(math.floor(box[0] / self.CELL), math.floor(box[2] / self.CELL) + 1):
            for gy in range(math.floor(box[1] / self.CELL), math.floor(box[3] / self.CELL) + 1):
                yield gx, gy

    def crowded(self, x: float, y: float, limit: int = 60) -> bool:
        """Whether the cell around a point is so full that no label could find room in it."""
        return len(self.cells.get((math.floor(x / self.CELL), math.floor(y / self.CELL)), ())) > limit

    def hits(self, box: tuple[float, float, float, float]) -> bool:
        return any(_overlap(box, other) for key in self._keys(box) for other in self.cells.get(key, ()))

    def add(self, box: tuple[float, float, float, float]) -> None:
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(box)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def text_width(label: str, size: float = FONT) -> float:
    """A generous estimate of a label's width in SVG units (no fonts are measured at build time), used
    where labels must not collide."""
    wide = sum(1 for c in label if ord(c) >= 0x2E80)
    return wide * size + (len(label) - wide) * size * 0.62


_NARROW, _BROAD = set("ijlft!|.,:;'()[]-/ "), set("mwMW@")


def text_extent(label: str, size: float = FONT) -> float:
    """A closer estimate, per kind of character (Helvetica/Arial-like widths, a tenth added for wider
    sans-serif fallbacks), used where a label only has to fit inside its drawing."""
    units = 0.0
    for c in label:
        if ord(c) >= 0x2E80:
            units += 1.0
        elif c in _NARROW:
            units += 0.3
        elif c in _BROAD:
            units += 0.9
        elif c.isupper():
            units += 0.7
        else:
            units += 0.57
    return units * size * 1.1


# --- what the charts show -------------------------------------------------------------------------


class Palette:
    """Each model's colour classes: its base family (the largest families each get one) and the openness
    of its weights; and the legends that explain them."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.family_of = facts.families(site.catalog)
        sizes = Counter(fams[0] for fams in self.family_of.values() if fams)
        ranked = [f for f, _n in sorted(sizes.items(), key=lambda item: (-item[1], item[0]))]
        self.colour = {f: i for i, f in enumerate(ranked[:FAMILY_COLOURS])}

    def family(self, model) -> str:
        fams = self.family_of.get(model.id) or [model.id]
        return min(fams, key=lambda f: self.colour.get(f, FAMILY_COLOURS))

    def css(self, model) -> str:
        return f"sv-c{self.colour.get(self.family(model), FAMILY_COLOURS)} sv-o{model.open.weights.status}"

    def legend(self) -> str:
        site = self.site
        families = []
        for family_id, index in sorted(self.colour.items(), key=lambda item: item[1]):
            card = site.catalog.get("model", family_id)
            families.append((f"sv-c{index}", site.name(card) if card else family_id))
        families.append((f"sv-c{FAMILY_COLOURS}", site.word("family.other")))
        statuses = [(f"sv-o{s}", f"{site.word('open.weights')}: {site.word(f'status.{s}')}") for s in ("yes", "partial", "no", "unknown")]

        def items(css_class: str, entries: list[tuple[str, str]]) -> str:
            lis = "".join(f'<li class="{c}"><span class="sv-swatch"></span>{esc(t)}</li>' for c, t in entries)
            return f'<ul class="sv-legend {css_class}">{lis}</ul>'

        return items("sv-legend-family", families) + items("sv-legend-open", statuses)


def subjects(site: Site) -> list:
    """The survey's subjects: models the survey tabulates, released in the year it tabulates most of."""
    cited = [m for m in site.sorted_cards("model") if any(s.kind == "survey" for s in m.sources.values())]
    if not cited:
        return []
    year = Counter(facts.year(m) for m in cited).most_common(1)[0][0]
    return [m for m in cited if facts.year(m) == year]


def survey_period(site: Site) -> tuple[float, float] | None:
    """From the first subject's month to the month after the last one's."""
    found = subjects(site)
    if not found:
        return None
    first = min(facts.date_value(m.released.date) for m in found)
    last = max(facts.date_value(m.released.date) for m in found)
    start = math.floor(first * 12) / 12
    end = math.floor(last * 12 + 1) / 12
    return start, max(end, start + 1 / 12)


def _month_ticks(start: float, end: float) -> list[tuple[float, str]]:
    ticks = []
    month = round(start * 12)
    while month / 12 <= end + 1e-9:
        ticks.append((month / 12, f"{month // 12}-{month % 12 + 1:02d}"))
        month += 1
    return ticks


def _importance(site: Site) -> dict[str, int]:
    """How many catalog models name each model as a base: better-known models get their labels first."""
    count: dict[str, int] = {}
    for model in site.sorted_cards("model"):
        for link in model.lineage:
            count[link.model] = count.get(link.model, 0) + 1
    return count


def _priority(model, subject_ids: set[str], weight: dict[str, int]) -> tuple:
    """Labels are placed in this order: the models the survey introduces, its other subjects, then the
    rest, better-known (more often a base) first."""
    return (model.id not in facts.KEY_MODELS, model.id not in subject_ids, -weight.get(model.id, 0), model.released.date, model.id)


def timeline(site: Site, page: Page, palette: Palette, window: tuple[float, float] | None = None) -> tuple[str, list]:
    """Release date (x) against parameters (y, log scale), one dot per size; within `window` (a period in
    years) if given. Returns the figure's SVG (both frames) and the models left without a label."""
    points = []
    for model in site.sorted_cards("model"):
        when = facts.date_value(model.released.date)
        if window and not window[0] <= when < window[1]:
            continue
        biggest = facts.max_params(model)
        for p in sorted(set(facts.params(model))):
            points.append((when, p, model, p == biggest))
    if not points:
        return "", []
    zh = site.lang == "zh"
    if window:
        xs = window
        ticks = _month_ticks(*window)
        title = "调研期间（放大）：发布时间与参数量" if zh else "The survey's period, zoomed in: release date and parameters"
    else:
        first = math.floor(min(p[0] for p in points))
        last = math.floor(max(p[0] for p in points)) + 1
        xs = (first, last)
        ticks = [(float(year), str(year)) for year in range(first, last + 1)]
        title = "发布时间与参数量（对数坐标）" if zh else "Release date and parameters (log scale)"
    plot = Plot(title, "发布日期" if zh else "Release date", "参数量" if zh else "Parameters", xs, _log_range([p[1] for p in points]), log_x=False)
    weight, subject_ids = _importance(site), {m.id for m in subjects(site)}
    for x, p, model, biggest in sorted(points, key=lambda item: (item[0], item[1], item[2].id)):
        css = palette.css(model) + (" sv-subject" if model.id in subject_ids else "")
        info = f"{model.released.date} · {_si(p)}"
        plot.add(Dot(x, p, page.href(card_path(model)), site.name(model), f"{site.name(model)} — {info}", info, biggest,
                     _priority(model, subject_ids, weight), css, model))
    band = survey_period(site) if not window else None
    return _figure(plot, ticks, "sv-zoom" if window else "sv-timeline", band, palette)


def scaling(site: Site, page: Page, palette: Palette) -> tuple[str, list, list]:
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
    zh = site.lang == "zh"
    plot = Plot(
        "参数量与训练 token 数（双对数坐标）" if zh else "Parameters and training tokens (log-log)",
        "训练 token 数" if zh else "Training tokens",
        "参数量" if zh else "Parameters",
        (float(xs[0]), float(xs[1])),
        _log_range([p for _t, p, _m in points]),
        log_x=True,
    )
    ticks = [(10.0**power, _si(10**power)) for power in range(xs[0], xs[1] + 1)]
    weight, subject_ids = _importance(site), {m.id for m in subjects(site)}
    labelled: set[str] = set()
    for t, p, model in sorted(points, key=lambda item: (item[0], item[1], item[2].id)):
        info = f"{_si(p)} · {_si(t)} tokens"
        css = palette.css(model) + (" sv-subject" if model.id in subject_ids else "")
        plot.add(Dot(t, p, page.href(card_path(model)), site.name(model), f"{site.name(model)} — {info}", info,
                     model.id not in labelled, _priority(model, subject_ids, weight), css, model))
        labelled.add(model.id)
    chart, unlabelled = _figure(plot, ticks, "sv-scaling", None, palette)
    return chart, left_out, unlabelled


def _figure(plot: Plot, ticks: list[tuple[float, str]], chart_id: str, band, palette: Palette) -> tuple[str, list]:
    """Both frames in one figure; the models unlabelled in the wide one (the phone's may leave out more,
    which the tap label covers). Between a phone's width and the wide frame's, the wide one scrolls."""
    wide, unlabelled = plot.svg(WIDE, ticks, band)
    narrow, _more = plot.svg(NARROW, ticks, band)
    hint = esc(palette.site.word("scroll.chart"))
    figure = (
        f'<figure class="sv-chart sv-colourable" id="{chart_id}" data-colour="family" data-search-exclude>'
        f'<div class="sv-frame"><p class="sv-scroll-hint" hidden>{hint} →</p><div class="sv-scroll">{wide}{narrow}</div></div>'
        f'<div class="sv-tip" hidden></div>{palette.legend()}'
        f"<figcaption>{esc(plot.title)}</figcaption></figure>"
    )
    return figure, unlabelled


def _colour_switch(site: Site) -> str:
    w = site.word
    options = (("family", w("colour.family")), ("open", w("colour.open")))
    inputs = "".join(
        f'<label><input type="radio" name="sv-colour" value="{value}"{" checked" if value == "family" else ""}> {esc(label)}</label>'
        for value, label in options
    )
    return f'<form class="sv-colour-by" onsubmit="return false"><span>{esc(w("colour.by"))}</span>{inputs}</form>'


def render(site: Site) -> tuple[str, str]:
    page = Page(site, PATH)
    zh = site.lang == "zh"
    palette = Palette(site)
    intro = (
        "每个点是一个模型的一个尺寸，纵轴为对数坐标；点击或轻触点看名称，再点一次打开模型页面。"
        if zh
        else "Each dot is one size of one model; the vertical axis is logarithmic. Click or tap a dot for its "
        "name, and again to open the model."
    )
    parts = [share.front_matter(intro) + heading(1, "图表" if zh else "Charts", "charts"), "", intro, "", _colour_switch(site), ""]
    period = survey_period(site)
    if period:
        chart, unlabelled = timeline(site, page, palette, period)
        lead = (
            "调研关注的模型集中发布在这几周里（在总览图中以底色标出），这里单独放大。"
            if zh
            else "The models the survey is about came out within these few weeks (shaded in the overview below); "
            "here they are on their own."
        )
        parts += [heading(2, "调研期间" if zh else "The survey's period", "survey-period"), "", lead, "", chart, "", *_unlabelled(page, unlabelled)]
    chart, unlabelled = timeline(site, page, palette)
    parts += [heading(2, "发布时间线" if zh else "Release timeline", "timeline"), "", chart, "", *_unlabelled(page, unlabelled)]
    chart, left_out, unlabelled = scaling(site, page, palette)
    parts += [
        heading(2, "参数量与训练数据" if zh else "Parameters and training tokens", "scaling"),
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
    """Models whose label would have covered another: named here (their dots show the name on a tap)."""
    if not models:
        return []
    zh = page.lang == "zh"
    names = ", ".join(page.link(m) for m in sorted(models, key=lambda m: page.site.name(m).lower()))
    lead = "图中未标注名称的点（轻触可见名称）：" if zh else "Dots drawn without a name (tap one to see it): "
    return [lead + names, ""]
