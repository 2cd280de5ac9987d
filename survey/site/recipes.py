"""Recipes: a page for each (base model, data, template, hyperparameters, DeepSpeed or LoRA config,
deviations, the `python -m reproduce` commands), and a shorter section on the page of the model or
experiment a recipe reproduces.

Configs, commands and prompt templates are shown verbatim in fenced code blocks (highlighted, with a copy
button; the highlighter escapes them, so nothing a card holds can become markup). A config longer than
`FOLDED_LINES` starts folded.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from survey.schema.common import Card
from survey.site import text
from survey.site.page import Page, card_path, heading, table

# What a deviation is about (the recipes' `topic`), in each language; others show as written, in code.
TOPICS: dict[str, tuple[str, str]] = {
    "data": ("数据", "data"),
    "data-files": ("数据文件", "data files"),
    "deepspeed": ("DeepSpeed 配置", "DeepSpeed config"),
    "devices": ("设备数", "devices"),
    "distributed": ("分布式策略", "distributed training"),
    "epochs": ("训练轮数", "epochs"),
    "input": ("输入格式", "input format"),
    "length-epochs": ("长度与轮数", "length and epochs"),
    "precision": ("精度", "precision"),
    "remote-code": ("远程代码", "remote code"),
    "revision": ("版本固定", "pinned revisions"),
    "self-intro": ("自我介绍数据", "self-introduction data"),
    "template": ("提示模板", "prompt template"),
    "warmup": ("学习率预热", "warm-up"),
    "weights": ("权重", "weights"),
}

# Hyperparameters a model page shows; the recipe's own page shows them all.
MAIN_HYPERPARAMETERS = (
    "learning_rate",
    "epochs",
    "max_steps",
    "global_batch_size",
    "per_device_batch_size",
    "gradient_accumulation_steps",
    "devices",
    "max_length",
    "scheduler",
    "warmup_ratio",
    "warmup_steps",
    "optimizer",
    "precision",
)

_WORDS = {
    "section": ("复现配方", "Recipe that reproduces it"),
    "section.intro": (
        "下面的配方记录了重新训练这个模型所需的一切，可以用 `python -m reproduce` 运行。",
        "The recipe below records everything needed to train this model again; `python -m reproduce` runs it.",
    ),
    "full": ("完整配方", "Full recipe"),
    "reproduces": ("复现的模型", "Reproduces the model"),
    "reproduces.experiment": ("复现的训练实验", "Reproduces the experiment"),
    "method": ("训练方式", "Training method"),
    "base": ("基座模型", "Base model"),
    "data": ("训练数据", "Training data"),
    "template": ("提示模板", "Prompt template"),
    "masking": ("损失与分词", "Loss and tokenizer"),
    "hyperparameters": ("超参数", "Hyperparameters"),
    "config": ("训练配置", "Training config"),
    "launch": ("原始启动命令", "The original launch command"),
    "evaluation_prompts": ("原作者的评测提示", "The original's evaluation prompts"),
    "evaluation_prompts.text": (
        "用配方的模板回答这 {count} 条提示（{name}），文件按固定 commit 下载并校验 SHA-256：",
        "answers these {count} prompts ({name}) in the recipe's template; the file is "
        "downloaded at a pinned commit and checked against its SHA-256:",
    ),
    "deviations": ("与原始训练的差异", "Where it departs from the original"),
    "commands": ("复现命令", "Commands"),
    "unpinned": ("未固定到具体 commit", "not pinned to a commit"),
    "not_used": ("不使用", "not used"),
    "not_used_by_original": ("原始训练未使用此配置", "the original did not run this config"),
    "show_config": ("展开配置", "Show the config"),
    "cmd.plan": (
        "估算显存、token 数、FLOPs 与训练时长，给出启动命令；不下载任何东西",
        "memory, tokens, FLOPs, time and launch commands; downloads nothing",
    ),
    "cmd.dry": ("显示前几条样本的提示文本与监督的记号", "show the first samples: prompt text and supervised tokens"),
    "cmd.smoke": ("用很小的随机模型在 CPU 上跑通整个流程（约一分钟）", "the whole pipeline with a tiny random model on CPU (about a minute)"),
    "cmd.run": ("按配方训练", "train as the recipe says"),
    "key": ("键", "Key"),
}


def _w(page: Page, key: str) -> str:
    zh, en = _WORDS[key]
    return zh if page.lang == "zh" else en


def recipes_for(page: Page, card: Card) -> list[Card]:
    """Recipes that reproduce a model or an experiment: those the card lists, then those naming it."""
    catalog = page.site.catalog
    found: list[Card] = []
    for recipe_id in getattr(card, "recipes", []) or []:
        recipe = catalog.get("recipe", recipe_id)
        if recipe is not None and recipe not in found:
            found.append(recipe)
    for recipe in page.site.sorted_cards("recipe"):
        if getattr(recipe, card.KIND, None) == card.id and recipe not in found:
            found.append(recipe)
    return found


# --- values ---------------------------------------------------------------------------------


def _code(value: object) -> str:
    return f"<code>{text.html_escape(str(value))}</code>"


FOLDED_LINES = 12


def _block(content: str, language: str = "text", css: str | None = None) -> str:
    return text.fenced(content, language, css=css)


def _plain(page: Page, value: object) -> str:
    """A scalar recipe value as Markdown."""
    if isinstance(value, bool):
        return text.md_escape(page.site.word("yes" if value else "no"))
    if isinstance(value, float):
        return text.md_escape(f"{value:g}")
    if isinstance(value, (int, str)):
        return text.md_escape(page.site.enum(str(value)) if isinstance(value, str) else str(value))
    if isinstance(value, list):
        return ", ".join(_code(v) for v in value)
    return text.md_escape(str(value))


def _hub(repo: str, revision: str | None, dataset: bool = False) -> str:
    kind = "datasets/" if dataset else ""
    where = f"https://huggingface.co/{kind}{quote(repo, safe='/')}"
    if revision and revision != "main":
        where += f"/tree/{quote(revision, safe='')}"
    url = text.safe_url(where)
    return f"[{text.md_escape(repo)}]({url})" if url else text.md_escape(repo)


def _revision(page: Page, revision: str | None) -> str:
    if not revision:
        return ""
    pinned = re.fullmatch(r"[0-9a-f]{40}", revision) is not None  # a branch name (main, refs/convert/…) moves
    shown = _code(revision[:12] if pinned else revision)
    if not pinned:
        shown += f' <span class="sv-surveyed">{text.md_escape(_w(page, "unpinned"))}</span>'
    return shown


def base_line(page: Page, recipe: Card) -> str:
    base = recipe.base
    parts = [_hub(base.hub, base.revision), f"{text.md_escape(page.site.label('revision'))} {_revision(page, base.revision)}"]
    return " · ".join(parts) + page.cite(recipe, base.source)


def data_lines(page: Page, recipe: Card) -> list[str]:
    lines = []
    for part in recipe.data:
        where = ""
        if part.hub:
            where = _hub(part.hub, part.revision, dataset=True)
            if part.revision:
                where += f" @ {_revision(page, part.revision)}"
            if part.file:
                where += f" / {_code(part.file)}"
            if part.config:
                where += f" ({_code(part.config)})"
        elif part.url:
            url = text.safe_url(part.url)
            where = f"[{text.md_escape(part.url.rsplit('/', 1)[-1] or part.url)}]({url})" if url else ""
        if where and part.sha256:
            where += f" <small>SHA-256 {_code(part.sha256[:12])}…</small>"
        bits = [f"**{text.md_escape(part.name)}**"]
        if where:
            bits.append(where)
        bits.append(f"{text.md_escape(page.site.label('format'))} {_code(part.format)}")
        if part.amount:
            bits.append(page.value(recipe, part.amount))
        if not part.included:
            bits.append(f'<span class="sv-status sv-no">{text.md_escape(_w(page, "not_used"))}</span>')
        same = part.amount is not None and part.amount.source == part.source
        line = "- " + " · ".join(bits) + ("" if same else page.cite(recipe, part.source))
        if part.sampling:
            sampling = page.generic(recipe, part.sampling)
            line += f" — {text.md_escape(page.site.label('sampling'))}: {sampling}"
        if part.note:
            line += f" — {page.inline(part.note)}"
        lines.append(line)
    return lines


def method_line(page: Page, recipe: Card) -> str:
    bits = []
    if recipe.lora:
        bits.append(f"LoRA r={recipe.lora.r}, α={recipe.lora.alpha}")
    if recipe.deepspeed and recipe.deepspeed.used_by_original:
        bits.append(f"DeepSpeed ZeRO-{recipe.deepspeed.stage}")
    bits.append(page.site.enum(recipe.distributed.strategy))
    if recipe.deepspeed and not recipe.deepspeed.used_by_original:
        bits.append(f"DeepSpeed ZeRO-{recipe.deepspeed.stage} ({_w(page, 'not_used_by_original')})")
    return text.md_escape(" · ".join(dict.fromkeys(bits))) + page.cite(recipe, recipe.distributed.source)


def hyperparameter_rows(page: Page, recipe: Card, names: tuple[str, ...] | None = None) -> list[list[str]]:
    h = recipe.hyperparameters
    rows = []
    for name in names or tuple(type(h).model_fields):
        if name == "source" or name not in type(h).model_fields:
            continue
        value = getattr(h, name)
        if value is None:
            continue
        rows.append([text.md_escape(page.site.label(name)), _plain(page, value)])
    return rows


def config_blocks(page: Page, recipe: Card, collapsed: bool) -> list[str]:
    """The DeepSpeed and LoRA configs, verbatim as JSON."""
    out = []
    if recipe.deepspeed:
        ds = recipe.deepspeed
        title = f"DeepSpeed ZeRO-{ds.stage}"
        if ds.file:
            title += f" — {ds.file}"
        if not ds.used_by_original:
            title += f" ({_w(page, 'not_used_by_original')})"
        out.append((title, json.dumps(ds.config, indent=2, ensure_ascii=False, sort_keys=False), ds.source))
    if recipe.lora:
        lora = recipe.lora.model_dump(mode="json", exclude={"source"})
        out.append(("LoRA", json.dumps(lora, indent=2, ensure_ascii=False), recipe.lora.source))
    lines = []
    for title, body, source in out:
        cite = page.cite(recipe, source)
        if collapsed or body.count("\n") >= FOLDED_LINES:
            # pymdownx.details: "???" starts closed; its content is indented four spaces
            lines += [f'??? note "{text.md_escape(title)}"', "", text.fenced(body, "json", indent="    "), ""]
            if cite:
                lines += [f"{text.md_escape(page.site.label('source'))}: {cite}", ""]
        else:
            lines += [f"**{text.md_escape(title)}**{cite}", "", _block(body, "json"), ""]
    return lines


def deviation_lines(page: Page, recipe: Card) -> list[str]:
    lines = []
    for deviation in recipe.deviations:
        pair = TOPICS.get(deviation.topic)
        topic = text.md_escape(pair[0] if page.lang == "zh" else pair[1]) if pair else _code(deviation.topic)
        lines.append(f"- **{topic}**: {page.inline(deviation)}{page.cite(recipe, getattr(deviation, 'source', None))}")
    return lines


def commands(page: Page, recipe: Card, full: bool) -> str:
    rid = recipe.id
    rows = [(f"python -m reproduce {rid} --plan", "cmd.plan")]
    if full:
        rows += [(f"python -m reproduce {rid} --dry-run", "cmd.dry"), (f"python -m reproduce {rid} --smoke", "cmd.smoke")]
    rows.append((f"python -m reproduce {rid}", "cmd.run"))
    body = "\n".join(f"# {_w(page, key)}\n{command}" for command, key in rows)
    return _block(body, "sh")


# --- on a model's (or experiment's) page ----------------------------------------------------------


def section(page: Page, card: Card) -> list[str]:
    """`## Recipe that reproduces it`, one sub-section per recipe; nothing when there is none."""
    found = recipes_for(page, card)
    if not found:
        return []
    out = [heading(2, _w(page, "section"), "recipes"), "", _w(page, "section.intro"), ""]
    for recipe in found:
        # searched on the recipe's own page, not again here
        out += [heading(3, page.link(recipe), f"recipe-{recipe.id}", searched=False), "", page.inline(recipe.summary), ""]
        rows = [
            [_w(page, "base"), base_line(page, recipe)],
            [_w(page, "data"), "<br>".join(line.removeprefix("- ") for line in data_lines(page, recipe))],
            [_w(page, "template"), _code(recipe.template.name) + page.cite(recipe, recipe.template.source)],
            [
                page.site.label("masking"),
                text.md_escape(page.site.enum(recipe.masking.supervised)) + page.cite(recipe, recipe.masking.source),
            ],
            [_w(page, "method"), method_line(page, recipe)],
            [page.site.label("hardware"), page.value(recipe, recipe.hardware)],
            [page.site.label("time"), page.value(recipe, recipe.time)],
        ]
        out += [table([page.site.word("field"), page.site.word("value")], [[text.md_escape(r[0]), r[1]] for r in rows]), ""]
        hyper = hyperparameter_rows(page, recipe, MAIN_HYPERPARAMETERS)
        if hyper:
            cite = page.cite(recipe, recipe.hyperparameters.source)
            out += [f"**{text.md_escape(_w(page, 'hyperparameters'))}**{cite}", ""]
            out += [table([page.site.word("field"), page.site.word("value")], hyper), ""]
        out += config_blocks(page, recipe, collapsed=True)
        deviations = deviation_lines(page, recipe)
        if deviations:
            out += [f"**{text.md_escape(_w(page, 'deviations'))}**", "", *deviations, ""]
        out += [f"**{text.md_escape(_w(page, 'commands'))}**", "", commands(page, recipe, full=False), ""]
        out += [f"[{text.md_escape(_w(page, 'full'))} →]({page.rel(card_path(recipe))})", ""]
    return out


# --- the recipe's own page ---------------------------------------------------------------------


def _h2(page: Page, key: str, lines: list[str], title: str | None = None) -> list[str]:
    """A section titled with `_WORDS[key]` (or `title`), anchored at `#key`; nothing when it would be empty."""
    body = [line for line in lines if line is not None]
    shown = text.md_escape(title if title is not None else _w(page, key))
    return [heading(2, shown, key), "", *body, ""] if any(line.strip() for line in body) else []


def body(page: Page, recipe: Card) -> list[str]:
    site = page.site
    label = site.label
    field, value = site.word("field"), site.word("value")
    facts = []
    if recipe.model:
        facts.append([_w(page, "reproduces"), page.ref("model", recipe.model)])
    if recipe.experiment:
        facts.append([_w(page, "reproduces.experiment"), page.ref("experiment", recipe.experiment)])
    facts += [
        [_w(page, "method"), method_line(page, recipe)],
        [label("hardware"), page.value(recipe, recipe.hardware)],
        [label("time"), page.value(recipe, recipe.time)],
    ]
    out = _h2(page, "facts", [table([field, value], [[text.md_escape(k), v] for k, v in facts])], title=site.word("facts"))
    out += _h2(page, "commands", [commands(page, recipe, full=True)])

    base = recipe.base
    shape = ", ".join(
        f"{text.md_escape(label(name))} {getattr(base.shape, name)}"
        for name in type(base.shape).model_fields
        if getattr(base.shape, name) is not None
    )
    base_rows = [
        [label("hub"), _hub(base.hub, base.revision) + page.cite(recipe, base.source)],
        [label("revision"), _revision(page, base.revision)],
        [label("architecture"), _code(base.architecture)],
        [label("parameters"), page.value(recipe, base.parameters)],
        [label("shape"), shape],
        [label("trust_remote_code"), _plain(page, base.trust_remote_code)],
    ]
    base_lines = [table([field, value], [[text.md_escape(k), v] for k, v in base_rows])]
    if base.note:
        base_lines += ["", page.inline(base.note)]
    out += _h2(page, "base", base_lines)
    out += _h2(page, "data", data_lines(page, recipe))

    template = recipe.template
    lines = [f"{text.md_escape(label('name'))}: {_code(template.name)}{page.cite(recipe, template.source)}", ""]
    if template.system:
        lines += [f"**{text.md_escape(label('system'))}**", "", _block(template.system, css="sv-prompt"), ""]
    for key, body_text in template.text.items():
        lines += [f"**{text.md_escape(label('text'))}** {_code(key)}", "", _block(body_text, css="sv-prompt"), ""]
    out += _h2(page, "template", lines)

    tokenizer = recipe.tokenizer
    rows = [
        [label("supervised"), text.md_escape(site.enum(recipe.masking.supervised)) + page.cite(recipe, recipe.masking.source)],
        [label("note"), page.inline(recipe.masking.note)],
        [label("pad"), text.md_escape(site.enum(tokenizer.pad)) + page.cite(recipe, tokenizer.source)],
        [label("add_special_tokens"), _plain(page, tokenizer.add_special_tokens) if tokenizer.add_special_tokens else ""],
        [label("padding_side"), _plain(page, tokenizer.padding_side)],
        [label("use_fast"), _plain(page, tokenizer.use_fast) if tokenizer.use_fast is not None else ""],
        [label("add_eos"), _plain(page, tokenizer.add_eos)],
        [label("tokenizer"), page.inline(tokenizer.note) if tokenizer.note else ""],
    ]
    out += _h2(page, "masking", [table([field, value], [[text.md_escape(k), v] for k, v in rows if v])])

    hyper = hyperparameter_rows(page, recipe)
    out += _h2(
        page,
        "hyperparameters",
        [table([field, value], hyper), "", f"{text.md_escape(label('source'))}: {page.cite(recipe, recipe.hyperparameters.source)}"]
        if recipe.hyperparameters.source
        else [table([field, value], hyper)],
    )
    distributed = [f"{text.md_escape(label('strategy'))}: {method_line(page, recipe)}"]
    if recipe.distributed.fsdp:
        distributed[0] += f" · {text.md_escape(label('fsdp'))}: {_code(recipe.distributed.fsdp)}"
    out += _h2(page, "config", [*distributed, "", *config_blocks(page, recipe, collapsed=False)])
    if recipe.launch:
        out += _h2(page, "launch", [_block(recipe.launch, "sh", css="sv-prompt")])
    if recipe.evaluation_prompts:
        prompts = recipe.evaluation_prompts
        url = text.safe_url(prompts.url)
        intro = _code("python -m reproduce eval") + " " + text.md_escape(
            _w(page, "evaluation_prompts.text").format(count=prompts.count, name=prompts.name))
        where = f"[{text.md_escape(prompts.url)}]({url})" if url else text.md_escape(prompts.url)
        cite = page.cite(recipe, prompts.source) if prompts.source else ""
        out += _h2(page, "evaluation_prompts", [intro, "", f"{where} · SHA-256 {_code(prompts.sha256)}{cite}"])
    out += _h2(page, "deviations", deviation_lines(page, recipe))
    return out
