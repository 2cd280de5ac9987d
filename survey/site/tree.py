"""The family tree: every model placed by lineage depth, drawn as SVG, and the same tree as lists."""

from __future__ import annotations

from survey.site.charts import text_extent
from survey.site import share
from survey.site.page import Page, Site, card_path, heading
from survey.site.text import html_escape as esc
from survey.site.text import md_escape

PATH = "family-tree.md"
INDENT, ROW, PAD = 20, 26, 8  # per lineage level, per model, around the drawing (SVG units = CSS px)


def _layout(site: Site) -> tuple[list[tuple[str, int, int]], list[tuple[str, str, str]], dict[str, str | None]]:
    """(model id, column, row) of every model, (base, model, relation) edges, and each model's parent in the drawing."""
    models = {m.id: m for m in site.sorted_cards("model")}
    children: dict[str, list[str]] = {mid: [] for mid in models}
    edges = []
    for mid, model in models.items():
        for link in model.lineage:
            if link.model in models and link.model != mid:
                children[link.model].append(mid)
                edges.append((link.model, mid, link.relation))
    for kids in children.values():
        kids.sort(key=lambda k: (models[k].released.date, k))
    depth: dict[str, int] = {}

    def depth_of(mid: str, trail: frozenset[str]) -> int:
        if mid not in depth:
            bases = [l.model for l in models[mid].lineage if l.model in models and l.model not in trail]
            depth[mid] = 1 + max((depth_of(b, trail | {mid}) for b in bases), default=-1)
        return depth[mid]

    for mid in models:
        depth_of(mid, frozenset())
    roots = sorted(
        (m for m in models if not any(l.model in models and l.model != m for l in models[m].lineage)),
        key=lambda m: (-_descendants(m, children), models[m].released.date, m),
    )
    placed: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    tree_parent: dict[str, str | None] = {}

    def visit(mid: str, parent: str | None = None) -> None:
        if mid in seen:
            return
        seen.add(mid)
        tree_parent[mid] = parent
        placed.append((mid, depth[mid], len(placed)))
        for kid in children[mid]:
            visit(kid, mid)

    for root in roots:
        visit(root)
    for mid in models:  # anything left (lineage cycles) still gets a row
        visit(mid)
    return placed, edges, tree_parent


def _descendants(mid: str, children: dict[str, list[str]]) -> int:
    seen, stack = set(), [mid]
    while stack:
        for kid in children[stack.pop()]:
            if kid not in seen:
                seen.add(kid)
                stack.append(kid)
    return len(seen)


def svg(site: Site, page: Page) -> str:
    """Each model on its own row, indented by lineage depth, drawn at its natural size (1 unit = 1 CSS px,
    so its 12-px labels are never scaled down); where the column is narrower (a phone) it scrolls sideways
    in a frame that shows a cue. The edge from a model's parent in the drawing runs down from the parent's
    dot and across to the child, so it never crosses a label; an edge from a second base runs from the end
    of that base's label to the end of the child's, along a lane to the right of both. Labels carry a halo
    in the page's background colour (assets/site.css), so an edge passing beneath one leaves it readable."""
    placed, edges, parents = _layout(site)
    if not placed:
        return ""
    where = {mid: (PAD + col * INDENT, PAD + row * ROW + ROW / 2) for mid, col, row in placed}
    names = {mid: site.name(site.catalog.get("model", mid)) for mid, _c, _r in placed}
    label_end = {mid: where[mid][0] + 9 + text_extent(names[mid]) for mid in where}
    lanes = []
    parts = []
    for base, mid, relation in edges:
        (x1, y1), (x2, y2) = where[base], where[mid]
        title = f"<title>{esc(page.relation(relation))}</title>"
        if parents.get(mid) == base and y2 > y1:
            d = f"M{x1:.0f},{y1 + 5:.0f} V{y2 - 6:.0f} Q{x1:.0f},{y2:.0f} {x1 + 6:.0f},{y2:.0f} H{x2 - 6:.0f}"
            parts.append(f'<path class="sv-edge sv-rel-{esc(relation)}" d="{d}">{title}</path>')
        else:
            lane = max(label_end[base], label_end[mid]) + 10
            lanes.append(lane)
            d = (
                f"M{label_end[base] + 3:.0f},{y1:.0f} H{lane - 6:.0f} Q{lane:.0f},{y1:.0f} {lane:.0f},{y1 + (6 if y2 > y1 else -6):.0f} "
                f"V{y2 + (-6 if y2 > y1 else 6):.0f} Q{lane:.0f},{y2:.0f} {lane - 6:.0f},{y2:.0f} H{label_end[mid] + 3:.0f}"
            )
            parts.append(f'<path class="sv-edge sv-edge-extra sv-rel-{esc(relation)}" d="{d}">{title}</path>')
    width = int(max([*label_end.values(), *lanes]) + PAD)
    height = PAD * 2 + len(placed) * ROW
    for mid, _col, _row in placed:
        x, y = where[mid]
        model = site.catalog.get("model", mid)
        parts.append(
            f'<a href="{page.href(card_path(model))}"><g class="sv-node"><title>{esc(site.text(model.summary))}</title>'
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="5"/>'
            f'<text x="{x + 9:.0f}" y="{y + 4:.0f}">{esc(names[mid])}</text></g></a>'
        )
    hint = "左右滑动查看完整的树" if site.lang == "zh" else "Scroll sideways for the whole tree"
    return (
        f'<figure class="sv-chart sv-tree" id="sv-family-tree" data-search-exclude><div class="sv-frame">'
        f'<p class="sv-scroll-hint" hidden>{esc(hint)} →</p><div class="sv-scroll">'
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc("家族树" if site.lang == "zh" else "Family tree")}" xmlns="http://www.w3.org/2000/svg">'
        f'{"".join(parts)}</svg></div></div></figure>'
    )


def lists(site: Site, page: Page) -> str:
    placed, edges, parent = _layout(site)
    relation = {(base, mid): rel for base, mid, rel in edges}
    lines = []
    order = [mid for mid, _c, _r in placed]
    depth_in_list: dict[str, int] = {}
    for mid in order:
        base = parent.get(mid)
        level = depth_in_list[base] + 1 if base in depth_in_list else 0
        depth_in_list[mid] = level
        model = site.catalog.get("model", mid)
        how = f" — {md_escape(page.relation(relation[(base, mid)]))}" if base else ""
        lines.append("    " * level + f"- {page.link(model)}{how}")
    return "\n".join(lines)


def render(site: Site) -> tuple[str, str]:
    page = Page(site, PATH)
    zh = site.lang == "zh"
    intro = (
        "由模型卡片的 lineage（基于哪个模型、如何训练）画出。每个基座模型下面缩进列出在它之上训练的模型；虚线是 LoRA 或 P-Tuning。"
        if zh
        else "Drawn from the models' lineage (which base, and how it was trained). Under each base, indented, are "
        "the models trained on it; dashed lines are LoRA or P-Tuning."
    )
    body = [
        share.front_matter(intro) + heading(1, "家族树" if zh else "Family tree", "family-tree"),
        "",
        intro,
        "",
        svg(site, page),
        "",
        heading(2, "列表" if zh else "As a list", "as-a-list"),
        "",
        lists(site, page),
        "",
    ]
    return PATH, "\n".join(body)
