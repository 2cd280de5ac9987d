"""Reproductions on the site: each rerun's own page, the kind's index, and on every recipe and model page the
original's claim (time, hardware, cost, published scores) beside each rerun's measured figures, with its loss curve.

The claim comes from the catalog: the recipe's recorded hardware and time, the model card's cost and compute, and
the published scores of the size the recipe trains (`sizes[].scores`). A figure one side has and the other lacks
shows as a dash, so a reader sees what was and was not measured.
"""

from __future__ import annotations

import math

from survey.schema.common import Card
from survey.site import loss_chart, text
from survey.site.lang import pick
from survey.site.page import Page, Site, heading, table

DASH = "—"
_WORDS: dict[str, tuple[str, str]] = {
    "side_by_side": ("原始结果与复现对比", "The original beside its reruns"),
    "side_by_side.intro": (
        "左列是原作者报告的数字（来自模型卡片与配方），右边每列是一次复现实测的数字。",
        "The first column is what the original's authors reported (from the model card and the recipe); each "
        "further column is what one rerun measured.",
    ),
    "original": ("原始报告", "Original (reported)"),
    "this_run": ("本次复现", "This run"),
    "reproductions": ("复现结果", "Reproductions"),
    "index.intro": (
        "每张卡片是一次按配方重新训练的结果，由 `python -m reproduce report` 根据运行目录写出。",
        "Each card is one rerun of a recipe, written from its run directory by `python -m reproduce report`.",
    ),
    "smoke.warning": (
        "这是冒烟测试：用很小的随机模型和随附样本跑通流程，数字不代表复现结果。",
        "This is a smoke run: a tiny random model trained on the shipped examples to test the pipeline; its figures "
        "say nothing about how close a rerun comes.",
    ),
    "published_scores": ("已发表的评测分数", "Published scores"),
    "measured": ("实测数据", "Measured"),
    "scores.measured": ("实测评测分数", "Measured scores"),
    "deviations": ("本次运行与配方的差异", "Where this run departs from the recipe"),
    "run": ("运行记录", "The run"),
    "model": ("模型", "Model"),
    "size": ("尺寸", "Size"),
    "of_steps": ("共", "of"),
    "limited": ("仅前 {n} 条", "first {n} only"),
}


def _w(page: Page, key: str) -> str:
    return pick(_WORDS[key], page.lang)


def of_recipes(site: Site, recipe_ids: set[str]) -> list[Card]:
    """The reproductions of these recipes, newest first."""
    found = [r for r in site.sorted_cards("reproduction") if r.recipe in recipe_ids]
    return sorted(found, key=lambda r: (r.date, r.id), reverse=True)


def _size(model: Card | None, recipe: Card | None):  # noqa: ANN202 - a Size
    """The released size a recipe trains: the one nearest the recipe's base in parameters (a 6.74B LLaMA is the
    "7B"), within a quarter; a model of one size has only that one."""
    if model is None:
        return None
    wanted = recipe.base.parameters.midpoint() if recipe is not None else None
    if wanted:
        near = [(abs(math.log(p / wanted)), index) for index, size in enumerate(model.sizes)
                if (p := size.parameters.midpoint())]
        if near and min(near)[0] < math.log(1.25):
            return model.sizes[min(near)[1]]
    return model.sizes[0] if len(model.sizes) == 1 else None


def _score_key(score) -> tuple:  # noqa: ANN001
    return score.task, score.metric, score.shots


def _score_label(page: Page, key: tuple) -> str:
    task, metric, shots = key
    shown = f"<code>{text.html_escape(task)}</code> {text.md_escape(metric)}"
    return shown + (f" <small>({shots}-shot)</small>" if shots is not None else "")


def _measured_score(page: Page, score) -> str:  # noqa: ANN001
    cell = text.md_escape(f"{score.value:g}")
    if score.stderr is not None:
        cell += text.md_escape(f" ± {score.stderr:g}")
    if score.limit is not None:
        cell += f" <small>({text.md_escape(_w(page, 'limited').format(n=score.limit))})</small>"
    return cell


def _steps(page: Page, measured) -> str:  # noqa: ANN001
    shown = page.number(measured.steps)
    if measured.total_steps is not None:
        shown += f" / {page.number(measured.total_steps)}"
    return text.md_escape(shown)


def _plain(value: float | None) -> str:
    return text.md_escape(f"{value:g}") if value is not None else ""


def comparison(page: Page, recipe: Card | None, model: Card | None, reruns: list[Card], own: bool = False) -> str:
    """One table: a row per figure, the original's claim in the first column, then each rerun."""
    site = page.site
    label = site.label
    size = _size(model, recipe)
    training = model.training if model is not None else None
    per_size = size.training if size is not None and size.training is not None else None

    def claim(name: str):  # noqa: ANN202
        return getattr(per_size, name, None) or getattr(training, name, None)

    hardware = recipe.hardware if recipe is not None else claim("hardware")
    time = recipe.time if recipe is not None else claim("time")
    original = {
        "hardware": page.value(recipe or model, hardware) if hardware is not None else "",
        "time": page.value(recipe or model, time) if time is not None else "",
        "cost": page.value(model, claim("cost")) if claim("cost") is not None else "",
        "compute": page.value(model, claim("compute")) if claim("compute") is not None else "",
    }
    rows: list[tuple[str, str, list[str]]] = [
        (text.md_escape(label("hardware")), original["hardware"], [page.value(r, r.measured.hardware) for r in reruns]),
        (text.md_escape(site.word("training.time")), original["time"], [page.value(r, r.measured.wall_time) for r in reruns]),
        (text.md_escape(site.word("training.compute")), original["compute"],
         [page.value(r, r.measured.gpu_hours) if r.measured.gpu_hours else "" for r in reruns]),
        (text.md_escape(site.word("training.cost")), original["cost"], ["" for _ in reruns]),
        (text.md_escape(label("steps")), "", [_steps(page, r.measured) for r in reruns]),
        (text.md_escape(label("tokens_per_second")), "", [text.md_escape(page.number(r.measured.tokens_per_second)) if
                                          r.measured.tokens_per_second else "" for r in reruns]),
        (text.md_escape(label("train_loss")), "", [_plain(r.measured.train_loss) for r in reruns]),
        (text.md_escape(label("heldout_loss")), "", [_plain(r.measured.heldout_loss) for r in reruns]),
        (text.md_escape(label("heldout_perplexity")), "", [_plain(r.measured.heldout_perplexity) for r in reruns]),
    ]
    published = {_score_key(s): s for s in (size.scores if size is not None else [])}
    measured = [{_score_key(s): s for s in r.scores} for r in reruns]
    for key in dict.fromkeys([*published, *(k for scores in measured for k in scores)]):
        claimed = published.get(key)
        cells = [_measured_score(page, scores[key]) if key in scores else "" for scores in measured]
        rows.append((_score_label(page, key), page.number(claimed.value) + page.cite(model, claimed.source) if claimed else "", cells))
    shown_rows = [[name, claimed or DASH, *(c or DASH for c in cells)] for name, claimed, cells in rows if claimed or any(cells)]
    heads = [_w(page, "this_run")] if own else [page.link(r) for r in reruns]
    return table([site.word("field"), _w(page, "original"), *heads], shown_rows)


def _curves(page: Page, reruns: list[Card]) -> list[str]:
    return [part for r in reruns if (chart := loss_chart.figure(page.site, r)) for part in (chart, "")]


def recipe_section(page: Page, recipe: Card) -> list[str]:
    """On a recipe's page: its reruns beside the original, and their loss curves."""
    reruns = of_recipes(page.site, {recipe.id})
    if not reruns:
        return []
    model = page.site.catalog.get("model", recipe.model) if recipe.model else None
    return [heading(2, text.md_escape(_w(page, "side_by_side")), "reproductions"), "", _w(page, "side_by_side.intro"), "",
            comparison(page, recipe, model, reruns), "", *_curves(page, reruns)]


def model_section(page: Page, model: Card, recipes: list[Card]) -> list[str]:
    """On a model's page: for each recipe that reproduces it and has been rerun, the same comparison."""
    out: list[str] = []
    for recipe in recipes:
        reruns = of_recipes(page.site, {recipe.id})
        if reruns:
            out += [heading(3, page.link(recipe), f"reproductions-{recipe.id}", searched=False), "",
                    comparison(page, recipe, model, reruns), "", *_curves(page, reruns)]
    if not out:
        return []
    return [heading(2, text.md_escape(_w(page, "side_by_side")), "reproductions"), "", _w(page, "side_by_side.intro"), "", *out]


def published_scores(page: Page, model: Card) -> list[str]:
    """Every size's published scores: task, metric, shots, value, source."""
    label = page.site.label
    many = len([s for s in model.sizes if s.scores]) > 1
    rows = []
    for size in model.sizes:
        for score in size.scores:
            row = [f"<code>{text.html_escape(score.task)}</code>", text.md_escape(score.metric),
                   str(score.shots) if score.shots is not None else DASH,
                   text.md_escape(f"{score.value:g}") + (f" — {page.inline(score.note)}" if score.note else ""),
                   page.cite(model, score.source)]
            rows.append(([text.md_escape(size.name or page.measure_plain(size.parameters))] if many else []) + row)
    if not rows:
        return []
    header = ([_w(page, "size")] if many else []) + [label("task"), label("metric"), label("shots"), label("value"), label("source")]
    return [heading(2, text.md_escape(_w(page, "published_scores")), "published-scores"), "", table(header, rows), ""]


# --- a reproduction's own page -------------------------------------------------------------------------------


def body(page: Page, card: Card) -> list[str]:
    site = page.site
    label = site.label
    recipe = site.catalog.get("recipe", card.recipe)
    model = site.catalog.get("model", recipe.model) if recipe is not None and recipe.model else None
    out: list[str] = []
    if card.smoke:
        out += [f'!!! warning "{text.md_escape(label("smoke"))}"', "", f"    {_w(page, 'smoke.warning')}", ""]
    facts = [
        [label("recipe"), page.ref("recipe", card.recipe)],
        [_w(page, "model"), page.ref("model", recipe.model) if recipe is not None and recipe.model else ""],
        [label("date"), text.md_escape(card.date)],
        [label("ran_by"), text.md_escape(card.ran_by)],
    ]
    out += [heading(2, text.md_escape(site.word("facts")), "facts"), "",
            table([site.word("field"), site.word("value")], [r for r in facts if r[1]]), ""]
    out += [heading(2, text.md_escape(_w(page, "side_by_side")), "side-by-side"), "", _w(page, "side_by_side.intro"), "",
            comparison(page, recipe, model, [card], own=True), ""]
    chart = loss_chart.figure(site, card)
    if chart:
        out += [heading(2, text.md_escape(label("curve")), "curve"), "", chart, ""]
    m = card.measured
    rows = [
        [label("hardware"), page.value(card, m.hardware)],
        [label("wall_time"), page.value(card, m.wall_time)],
        [label("gpu_hours"), page.value(card, m.gpu_hours) if m.gpu_hours else ""],
        [label("tokens_per_second"), text.md_escape(page.number(m.tokens_per_second)) if m.tokens_per_second else ""],
        [label("steps"), _steps(page, m)],
        [label("train_loss"), _plain(m.train_loss)],
        [label("heldout_loss"), _plain(m.heldout_loss)],
        [label("heldout_perplexity"), _plain(m.heldout_perplexity)],
    ]
    cite = page.cite(card, m.source)
    out += [heading(2, text.md_escape(_w(page, "measured")), "measured"), "",
            table([site.word("field"), site.word("value")], [r for r in rows if r[1]]), "",
            f"{text.md_escape(label('source'))}: {cite}", ""]
    if card.scores:
        score_rows = [[f"<code>{text.html_escape(s.task)}</code>", text.md_escape(s.metric),
                       str(s.shots) if s.shots is not None else DASH, _measured_score(page, s)] for s in card.scores]
        out += [heading(2, text.md_escape(_w(page, "scores.measured")), "scores"), "",
                table([label("task"), label("metric"), label("shots"), label("value")], score_rows), ""]
    if card.deviations:
        out += [heading(2, text.md_escape(_w(page, "deviations")), "deviations"), "",
                *(f"- {page.inline(d)}" for d in card.deviations), ""]
    run = [f"- {text.md_escape(label('manifest_sha256'))}: <code>{card.manifest_sha256}</code>"]
    for name in ("logs", "weights"):
        url = text.safe_url(getattr(card.links, name))
        if url:
            run.append(f"- [{text.md_escape(label(name))}]({url})")
    out += [heading(2, text.md_escape(_w(page, "run")), "run"), "", *run, ""]
    return out


def index_table(page: Page) -> str:
    """The kind's index: one row per rerun, newest first."""
    site = page.site
    label = site.label
    rows = []
    for card in sorted(site.sorted_cards("reproduction"), key=lambda r: (r.date, r.id), reverse=True):
        m = card.measured
        rows.append([page.link(card), page.ref("recipe", card.recipe), text.md_escape(card.date),
                     text.md_escape(page.hardware_plain(m.hardware)), text.md_escape(page.measure_plain(m.wall_time)),
                     _plain(m.train_loss), _plain(m.heldout_loss)])
    header = [site.word("name"), label("recipe"), label("date"), label("hardware"), label("wall_time"),
              label("train_loss"), label("heldout_loss")]
    return _w(page, "index.intro") + "\n\n" + table(header, rows)
