"""Home, per-kind index pages, contributing and downloads. Prose here is the site's own, not card text."""

from __future__ import annotations

from survey.site import facts, project, reproductions, share, text
from survey.site.page import Page, Site, card_path, heading, kind_index, kinds, table
from survey.site.text import html_escape, md_escape

HOME = {
    "zh": """# 小羊驼模型调研 { #home }

这是一份关于开源“小羊驼”类大语言模型的调研：LLaMA、Alpaca、Vicuna、ChatGLM-6B、MOSS、Dolly、BELLE 以及它们的亲属——
参数量不大、可以私有化部署、训练成本相对较低的模型。调研的内容以数据形式保存：每个模型、项目、数据集、机构都是一张
YAML 卡片，经过模式校验，每个数值都注明出处。本网站由这些卡片自动生成。

## 结论 { #conclusions }

- **方法大同小异，差别在数据和算力。** 各家的微调方法和框架用到的技术很相近，而且约一半的小羊驼模型都是在 LLaMA
  上微调得到的。真正拉开差距的是训练数据的数量与质量，以及投入的算力。
- **建设领域模型的一条路线：** 以 LLaMA 为基座，尽量多收集中英文语料先做继续预训练（若效果不佳，可换用 ChatYuan
  一类中文基座）；再用领域数据做任务微调；最后收集指令数据做指令微调。LMFlow、DeepSpeed-Chat 等框架都适合承担微调。
- **不一定要微调：** 领域知识库过大、过杂、放不进一个提示时，微调是直接的办法；另一条路是在提示工程上下功夫，
  用 LlamaIndex、LangChain 之类的工具把模型和知识库连起来，做检索增强的回答。

## 怎么读这个网站 { #how-to-read }

- [模型对比](compare.md)：所有模型一张表，可按任意列排序，按开源情况、基座家族、参数规模、语言、机构、年份筛选。
- 每个模型和项目都有自己的页面，包含调研表的七列（开源代码、开源数据、开源权重、训练数据量、参数量、训练设备、
  训练时长）。每个数值后面的脚注链接到它的出处；如果调研原表的写法与一手来源不同，会以“调研原表”标出原文。
- [家族树](family-tree.md) 展示模型之间的继承关系，[图表](charts.md) 展示发布时间线和参数量与训练数据量的关系。
- [目录健康](health.md) 列出每张卡片的字段和来源是否齐全——欢迎按照 [参与贡献](contributing.md) 补全。
- 所有数据都可以 [下载](downloads.md)。
""",
    "en": """# Small-alpaca survey { #home }

A survey of open "small alpaca" large language models — LLaMA, Alpaca, Vicuna, ChatGLM-6B, MOSS, Dolly, BELLE and
their kin: models small enough to run on your own hardware and cheap enough to train. The survey is kept as data: every
model, project, data set and organization is a YAML card checked against a schema, with a source for every number.
This site is generated from those cards.

## Conclusions { #conclusions }

- **The methods are much alike; data and compute make the difference.** Fine-tuning methods and frameworks use
  similar techniques, and about half of the small alpacas are fine-tunes of LLaMA. What separates them is how much
  training data they had, how good it was, and how much compute went in.
- **A route to a model for your own field:** start from LLaMA, gather as much Chinese and English text as you can and
  continue pre-training on it (if that goes badly, a Chinese base such as ChatYuan is the fallback); then task-tune
  on your field's data; finally collect instructions and instruction-tune. LMFlow and DeepSpeed-Chat both serve well
  as the fine-tuning framework.
- **Fine-tuning is not the only way:** when the knowledge base is too large and varied to fit in one prompt,
  fine-tuning is the blunt answer; the other is prompt engineering with tools such as LlamaIndex or LangChain that
  connect the model to the knowledge base and answer with retrieved context.

## How to read this site { #how-to-read }

- [Compare models](compare.md): every model in one table, sortable by any column, filterable by openness, base
  family, size, language, organization and year.
- Each model and project has a page with the survey's seven columns (open code, open data, open weights, training
  data, parameters, hardware, training time). The footnote after each value links to its source; where the survey's
  own cell differs from the primary source, the survey's text is shown as "survey's cell".
- The [family tree](family-tree.md) shows which model was built on which; [charts](charts.md) show the release
  timeline and parameters against training tokens.
- [Catalog health](health.md) shows which cards still lack fields or sources — see [contributing](contributing.md)
  to help fill them in.
- Everything can be [downloaded](downloads.md).
""",
}

CONTRIBUTING = {
    "zh": """# 参与贡献 {{ #contributing }}

目录中的每个模型、项目、数据集……都是 `catalog/` 下的一个 YAML 文件。新增一个模型，就是向 [{repo_name}]({repo}) 提交
一个只新增一个文件的合并请求（pull request）；如果它用到的机构、数据集还没有卡片，也一并新增。

## 在哪里提交 {{ #where }}

- 仓库：[{repo_name}]({repo})。先 fork，在自己的副本里改，再向原仓库发起合并请求：[新建合并请求]({compare})。
- 只加一张卡片，也可以直接在网页上做：打开 [在 catalog/models/ 中新建文件]({new_model})，GitHub 会替你 fork 并发起合并请求。
- 修改已有卡片：每个卡片页面标题下方都有“编辑此卡片”，直接打开那张卡片的 YAML 文件。
- 已有的合并请求和讨论：[合并请求]({pulls}) · [议题]({issues})。

## 步骤 {{ #steps }}

1. 第一次使用时运行 `make test`，它会创建 `.venv/` 并运行全部测试。
2. 从模板开始：`.venv/bin/python -m survey new model my-model`，然后补全每一个 `TODO`。
3. 每个数值都写上 `source: <键>`，键是这张卡片 `sources:` 里的一项；不公开的信息写 `unknown`，不要留空。
4. 文字写成 `{{zh: …, en: …}}`，用自己的话写，不要写 HTML，链接只能指向 http(s) 地址。
5. 检查并格式化：`.venv/bin/python -m survey check catalog/models/my-model.yaml`，
   `.venv/bin/python -m survey fmt catalog/models/my-model.yaml`。
6. 本地预览网站：`make serve`，修改卡片后页面会自动刷新。
7. 提交合并请求后，CI 会运行 `survey check`（问题直接标在改动的行上）和全部测试。

[目录健康](health.md) 页面列出了还缺字段或来源的卡片，是开始贡献的好地方。
""",
    "en": """# Contributing {{ #contributing }}

Every model, project, data set… in the catalog is one YAML file under `catalog/`. Adding a model is a pull request
to [{repo_name}]({repo}) that adds one file (plus cards for its organization and data sets if they are new).

## Where to open it {{ #where }}

- The repository: [{repo_name}]({repo}). Fork it, make the change in your copy, then open a pull request against
  the original: [new pull request]({compare}).
- For a single new card you can stay in the browser: [create a file in catalog/models/]({new_model}); GitHub forks
  the repository for you and offers to open the pull request.
- To change a card, use "Edit this card" under the title of its page; it opens that card's YAML file.
- Open pull requests and discussion: [pull requests]({pulls}) · [issues]({issues}).

## Step by step {{ #steps }}

1. Set up once with `make test`: it creates `.venv/` and runs every test.
2. Start from the template: `.venv/bin/python -m survey new model my-model`, then fill in every `TODO`.
3. Give every number `source: <key>`, a key of the card's `sources:`; write `unknown` where a fact is not public.
4. Text is `{{zh: …, en: …}}`, in your own words, no HTML, links to http(s) addresses only.
5. Check and format: `.venv/bin/python -m survey check catalog/models/my-model.yaml`, then
   `.venv/bin/python -m survey fmt catalog/models/my-model.yaml`.
6. Preview the site with `make serve`; pages reload when a card changes.
7. Once the pull request is open, CI runs `survey check` (problems marked on the changed lines) and the tests.

The [catalog health](health.md) page lists the cards that still lack fields or sources: a good place to start.
""",
}



def home(site: Site) -> tuple[str, str]:
    page = Page(site, "index.md")
    w = site.word
    zh = site.lang == "zh"
    intro, rest = HOME[site.lang].split("\n## ", 1)
    counts = [[page_link(page, site, kind), str(len(site.catalog.of(kind)))] for kind in kinds(site.catalog)]
    parts = [share.front_matter(site.word("site_description")) + intro.rstrip(), ""]
    cards = key_models(page)
    if cards:
        lead = (
            "调研逐个介绍的模型，从这里进入它们的页面；全部模型见 [模型对比](compare.md)。"
            if zh
            else "The models the survey introduces one by one; every model is in [Compare models](compare.md)."
        )
        parts += [heading(2, "重点模型" if zh else "Key models", "key-models"), "", lead, "", cards, ""]
    parts += ["## " + rest.rstrip(), ""]
    parts += [heading(2, "目录内容" if zh else "What the catalog holds", "catalog-contents"), "", table([w("kind"), w("count")], counts), ""]
    return "index.md", "\n".join(parts)


def key_models(page: Page) -> str:
    """A grid of cards, one per key model: name, organization, date, sizes, open weights, summary."""
    site = page.site
    items = []
    for model_id in facts.KEY_MODELS:
        model = site.catalog.get("model", model_id)
        if model is None:
            continue
        orgs = ", ".join(site.name(o) for o in (site.catalog.get("organization", x) for x in model.organizations) if o)
        sizes = ", ".join(facts.human(p) for p in sorted(set(facts.params(model))))
        weights = f"{site.word('open.weights')} {page.status_plain(model.open.weights)}"
        facts_line = " · ".join(x for x in (orgs, model.released.date, sizes, weights) if x)
        items.append(
            f'<li><a class="sv-card-title" href="{page.href(card_path(model))}">{html_escape(site.name(model))}</a>'
            f'<span class="sv-card-facts">{html_escape(facts_line)}</span>'
            f'<span class="sv-card-text">{html_escape(text.plain(site.text(model.summary)))}</span></li>'
        )
    return f'<ul class="sv-cards">{"".join(items)}</ul>' if items else ""


def page_link(page: Page, site: Site, kind: str) -> str:
    return f"[{md_escape(site.word('kind.' + kind))}]({page.rel(kind_index(site.catalog, kind))})"


def kind_page(site: Site, kind: str) -> tuple[str, str]:
    path = kind_index(site.catalog, kind)
    page = Page(site, path)
    w = site.word
    cards = site.sorted_cards(kind)
    if kind == "model":
        rows = [
            [page.link(m), md_escape(m.released.date), md_escape(", ".join(page.measure_plain(s.parameters) for s in m.sizes))]
            for m in sorted(cards, key=lambda m: (m.released.date, m.id))
        ]
        body = table([w("name"), w("released"), w("parameters")], rows)
    elif kind == "project":
        rows = [[page.link(p), md_escape(p.released.date), page.inline(p.summary)] for p in sorted(cards, key=lambda p: (p.released.date, p.id))]
        body = table([w("name"), w("released"), w("summary")], rows)
    elif kind == "reproduction":
        body = reproductions.index_table(page)
    else:
        body = table([w("name"), w("summary")], [[page.link(c), page.inline(c.summary)] for c in cards])
    title = md_escape(w("kind." + kind))
    matter = share.front_matter(w("kind_page.description").format(kind=w("kind." + kind)), boost=0.5)
    return path, f"{matter}{heading(1, title, kind_index(site.catalog, kind).split('/')[0])}\n\n{body}\n"


def catalog_page(site: Site) -> tuple[str, str]:
    page = Page(site, "catalog.md")
    zh = site.lang == "zh"
    parts = [share.front_matter(boost=0.5) + heading(1, "全部卡片" if zh else "All cards", "all-cards"), ""]
    for kind in kinds(site.catalog):
        links = ", ".join(page.link(c) for c in site.sorted_cards(kind))
        parts += [heading(2, page_link(page, site, kind), kind_index(site.catalog, kind).split("/")[0]), "", links, ""]
    return "catalog.md", "\n".join(parts)


def contributing(site: Site) -> tuple[str, str]:
    where = {
        "repo": project.REPOSITORY,
        "repo_name": project.REPOSITORY.removeprefix("https://github.com/"),
        "compare": f"{project.REPOSITORY}/compare",
        "new_model": project.new_file_url("catalog/models/"),
        "pulls": f"{project.REPOSITORY}/pulls",
        "issues": f"{project.REPOSITORY}/issues",
    }
    return "contributing.md", CONTRIBUTING[site.lang].format(**where)


def downloads(site: Site, schema_names: list[str]) -> tuple[str, str]:
    zh = site.lang == "zh"
    models = len(site.catalog.of("model"))
    cards = sum(len(v) for v in site.catalog.cards.values())
    lines = [
        heading(1, "下载" if zh else "Downloads", "downloads"),
        "",
        f"- [catalog.json](downloads/catalog.json) — "
        + (f"整个目录（{cards} 张卡片），每个字段、精确整数。" if zh else f"the whole catalog ({cards} cards), every field, exact integers."),
        f"- [models.csv](downloads/models.csv) — "
        + (f"模型表（{models} 个模型），每行一个模型。" if zh else f"the model table ({models} models), one row per model."),
        "",
        heading(2, "JSON Schema", "json-schema"),
        "",
        "每种卡片的 JSON Schema，编辑器可以用它补全和检查卡片：" if zh else "The JSON Schema of each card kind, for editors that complete and check cards:",
        "",
    ]
    lines += [f"- [{md_escape(name)}](downloads/schema/{name})" for name in schema_names]
    return "downloads.md", "\n".join(lines) + "\n"

