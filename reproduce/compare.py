"""`python -m reproduce compare A B`: two evaluations (run directories holding eval.json, or eval.json files) side by
side: held-out loss and each benchmark with B - A, the published score of the recipe's model from its catalog card
where task and metric match, and the answers to the same prompts next to each other; also as a Markdown or HTML
report (`--out report.md | report.html`), written whole then renamed."""

from __future__ import annotations

import html
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reproduce import CATALOG, ReproduceError
from reproduce.evaluate import read


def _load(path: Path) -> dict:
    return read(path / "eval.json" if path.is_dir() else path)


def label(data: dict) -> str:
    subject = data["subject"]
    return f"{subject['hub']}@{(subject['revision'] or '')[:12]}" if subject["kind"] == "hub" else str(subject["path"])


def published(recipe_id: str) -> list[dict]:
    """The published scores on the catalog card of the model the recipe reproduces (every size)."""
    from reproduce.recipes import load_recipe
    from survey.loader import load_file

    try:
        model_id = load_recipe(recipe_id).model
    except ReproduceError:
        return []
    path = CATALOG / "models" / f"{model_id}.yaml"
    if not model_id or not path.is_file():
        return []
    card, _ = load_file(path)
    if card is None:
        return []
    return [{**score.model_dump(mode="json"), "source_url": card.sources[score.source].url if score.source in card.sources else None}
            for size in card.sizes for score in getattr(size, "scores", [])]


def rows(a: dict, b: dict) -> list[list]:
    """[measure, A, B, B - A, published] for held-out loss, perplexity and every benchmark either has."""
    out = [["held-out loss", a["heldout"]["loss"], b["heldout"]["loss"]],
           ["held-out perplexity", a["heldout"]["perplexity"], b["heldout"]["perplexity"]]]
    for row in out:
        row += [row[2] - row[1], None]
    scores = published(a["recipe"]) or published(b["recipe"])
    keyed_a = {(x["task"], x["metric"], x["shots"]): x["value"] for x in a["benchmarks"]}
    keyed_b = {(x["task"], x["metric"], x["shots"]): x["value"] for x in b["benchmarks"]}
    for key in list(dict.fromkeys([*keyed_a, *keyed_b])):
        task, metric, shots = key
        va, vb = keyed_a.get(key), keyed_b.get(key)
        match = next((s["value"] for s in scores if s["task"] == task and s["metric"] == metric
                      and s.get("shots") in (None, shots)), None)
        out.append([f"{task} {metric} ({shots}-shot)", va, vb, vb - va if None not in (va, vb) else None, match])
    return out


def answers(a: dict, b: dict) -> list[tuple[str, str, str, str]]:
    """(id, prompt, A's answer, B's answer) for every prompt both answered."""
    by_id = {g["id"]: g for g in b["generations"]}
    return [(g["id"], g["prompt"], g["output"], by_id[g["id"]]["output"]) for g in a["generations"] if g["id"] in by_id]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _diff(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"


def compare(path_a: Path, path_b: Path, out: Path | None) -> int:
    if out is not None and out.suffix.lower() not in (".md", ".html", ".htm"):
        raise ReproduceError(f"--out {out}: expected a .md or .html file name", code=2)
    a, b = _load(path_a), _load(path_b)
    table_rows, pairs = rows(a, b), answers(a, b)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"A = {label(a)} ({a['recipe']})   B = {label(b)} ({b['recipe']})")
    for column in ("measure", "A", "B", "B - A", "published"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for name, va, vb, diff, pub in table_rows:
        table.add_row(name, _fmt(va), _fmt(vb), _diff(diff), _fmt(pub))
    console.print(table)
    for ident, prompt, answer_a, answer_b in pairs:
        console.rule(ident)
        console.print(prompt, markup=False)
        console.print("[bold]A:[/] ", end="")
        console.print(answer_a, markup=False)
        console.print("[bold]B:[/] ", end="")
        console.print(answer_b, markup=False)
    if out is not None:
        text = (html_report if out.suffix.lower() in (".html", ".htm") else markdown_report)(a, b, table_rows, pairs)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".tmp")
        partial.write_text(text, "utf-8")
        partial.replace(out)
        console.print(f"wrote {out}")
    return 0


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def markdown_report(a: dict, b: dict, table_rows: list[list], pairs: list[tuple]) -> str:
    lines = [f"# {a['recipe']} compared", "", f"- A: {label(a)} ({a['created']})", f"- B: {label(b)} ({b['created']})",
             "", "| measure | A | B | B - A | published |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {name} | {_fmt(va)} | {_fmt(vb)} | {_diff(d)} | {_fmt(p)} |" for name, va, vb, d, p in table_rows]
    lines += ["", "## Answers to the same prompts", ""]
    for ident, prompt, answer_a, answer_b in pairs:
        # fenced blocks keep the model's text as text, whatever markup it holds
        fence = "`" * max(3, 1 + max((len(run) for run in _backtick_runs(prompt + answer_a + answer_b)), default=0))
        lines += [f"### {_md_cell(ident)}", "", "Prompt:", "", fence, prompt, fence, "", "A:", "", fence, answer_a,
                  fence, "", "B:", "", fence, answer_b, fence, ""]
    return "\n".join(lines)


def _backtick_runs(text: str) -> list[str]:
    import re

    return re.findall(r"`+", text)


def html_report(a: dict, b: dict, table_rows: list[list], pairs: list[tuple]) -> str:
    e = html.escape
    cells = "".join(f"<tr><th>{e(name)}</th><td>{_fmt(va)}</td><td>{_fmt(vb)}</td><td>{_diff(d)}</td>"
                    f"<td>{_fmt(p)}</td></tr>" for name, va, vb, d, p in table_rows)
    blocks = "".join(f"<section><h3>{e(ident)}</h3><pre>{e(prompt)}</pre><div class=pair><div><h4>A</h4>"
                     f"<pre>{e(answer_a)}</pre></div><div><h4>B</h4><pre>{e(answer_b)}</pre></div></div></section>"
                     for ident, prompt, answer_a, answer_b in pairs)
    return (f"<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{e(a['recipe'])} compared</title><style>body{{font-family:sans-serif;max-width:70em;margin:auto;"
            f"padding:1em}}td{{text-align:right;padding:0 .6em}}pre{{white-space:pre-wrap;background:#f4f4f4;"
            f"padding:.5em}}.pair{{display:flex;gap:1em;flex-wrap:wrap}}.pair>div{{flex:1 1 20em}}</style></head><body>"
            f"<h1>{e(a['recipe'])} compared</h1><p>A: {e(label(a))} ({e(a['created'])})<br>B: {e(label(b))} "
            f"({e(b['created'])})</p><table><tr><th>measure</th><th>A</th><th>B</th><th>B - A</th><th>published</th>"
            f"</tr>{cells}</table><h2>Answers to the same prompts</h2>{blocks}</body></html>\n")
