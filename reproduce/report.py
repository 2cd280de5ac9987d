"""`python -m reproduce report RUN-DIR`: the run as a reproduction card (catalog/reproductions/ID.yaml).

It reads what the run directory holds (reproduce.layout): manifest.json for what was run, on what, for how long;
metrics.jsonl for the losses; and the eval.json of `reproduce eval` (beside the run, or given) for the held-out loss
of the final weights and the benchmark scores. It refuses a folder that is not a finished run, an eval.json of
another run, and a card that would not pass `survey check`; the card is written whole, in `survey fmt`'s form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reproduce import CATALOG, ReproduceError
from reproduce.data import read_records
from reproduce.layout import RunDir
from survey.files import Unreadable, read_regular, shown, write_atomically
from survey.fmt import formatted
from survey.loader import validate
from survey.positions import round_trip_yaml
from survey.schema.common import Hardware, is_id
from survey.schema.reproduction import Reproduction

CURVE_POINTS = 200  # per curve: enough for the shape of a loss curve, few enough for a card a person reads
MAX_FILE = 2**28  # a metrics.jsonl of a million steps is about 300 MB
EVAL_FORMAT = 1
SOURCE = "run"
_GPU_WORDS = re.compile(r"\b(NVIDIA|Tesla|GeForce|AMD|Instinct)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Run:
    root: Path
    manifest: dict
    digest: str  # sha256 of manifest.json's bytes
    rows: list[dict]  # metrics.jsonl


def _read(path: Path, what: str, limit: int = MAX_FILE) -> bytes:
    try:
        return read_regular(path, limit)
    except FileNotFoundError:
        raise ReproduceError(f"{shown(path)}: expected {what}, found no such file") from None
    except (Unreadable, OSError) as exc:
        raise ReproduceError(f"{shown(path)}: expected {what}, found {exc}") from None


def _json_object(path: Path, data: bytes, what: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReproduceError(f"{shown(path)}: expected {what} (JSON), found text that does not parse: {exc}") from None
    if not isinstance(value, dict):
        raise ReproduceError(f"{shown(path)}: expected {what} (a JSON object), found a {type(value).__name__}")
    return value


def _field(path: Path, record: dict, key: str, kinds: type | tuple[type, ...], what: str) -> Any:
    value = record.get(key)
    allowed = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, allowed) or isinstance(value, bool) and bool not in allowed:
        found = "nothing" if key not in record else repr(value)[:60]
        raise ReproduceError(f"{shown(path)}: {key}: expected {what}, found {found}")
    return value


def finished(rows: list[dict]) -> dt.datetime:
    """When the run logged last (UTC)."""
    times = [row["time"] for row in rows if isinstance(row.get("time"), (int, float))]
    return dt.datetime.fromtimestamp(max(times), dt.timezone.utc) if times else dt.datetime.now(dt.timezone.utc)


def read_run(root: Path) -> Run:
    """The finished run in `root`, or a ReproduceError saying why it is not one."""
    run = RunDir(root)
    if not root.is_dir():
        raise ReproduceError(f"{shown(root)}: expected a run directory (the --output-dir of a run), found "
                             f"{'a file' if root.exists() else 'nothing'}")
    if run.manifest.with_name(run.manifest.name + ".tmp").exists() or not run.manifest.exists():
        raise ReproduceError(f"{shown(run.manifest)}: expected the manifest a run writes when it has finished, found "
                             f"{'one half-written' if run.manifest.exists() else 'none'}: the run is still going, "
                             "stopped before the end, or this is not a run directory")
    raw = _read(run.manifest, "the run's manifest")
    manifest = _json_object(run.manifest, raw, "the run's manifest")
    what = {"recipe": (str, "the recipe's id"), "steps": (int, "the optimizer steps taken"),
            "seconds": ((int, float), "the run's wall time in seconds"), "world_size": (int, "the number of processes"),
            "hardware": (dict, "the machine's description"), "smoke": (bool, "true or false")}
    for key, (kinds, description) in what.items():
        _field(run.manifest, manifest, key, kinds, description)
    if not run.final.is_dir():
        raise ReproduceError(f"{shown(run.final)}: expected the final weights a finished run saves, found none: the run "
                             "stopped before it saved them")
    rows = _metrics(run.metrics)
    last = max((row["step"] for row in rows if isinstance(row.get("step"), int)), default=0)
    if last > manifest["steps"]:
        raise ReproduceError(f"{shown(run.metrics)}: expected steps up to the manifest's {manifest['steps']}, found step "
                             f"{last}: the run was resumed and has not finished yet")
    if not any("loss" in row for row in rows):
        raise ReproduceError(f"{shown(run.metrics)}: expected at least one logged training loss, found none")
    return Run(root, manifest, hashlib.sha256(raw).hexdigest(), rows)


def _metrics(path: Path) -> list[dict]:
    if not path.is_file():
        raise ReproduceError(f"{shown(path)}: expected the run's metrics (one JSON object a line), found none")
    rows = []
    for number, row in read_records(path):
        if not isinstance(row.get("step"), int):
            raise ReproduceError(f"{shown(path)}:{number}: step: expected an integer, found {row.get('step')!r}")
        for key in ("loss", "eval_loss"):
            if key in row and (not isinstance(row[key], (int, float)) or not math.isfinite(row[key])):
                raise ReproduceError(f"{shown(path)}:{number}: {key}: expected a finite number, found {row[key]!r} "
                                     "(a diverged run is no reproduction to report)")
        rows.append(row)
    return rows


def read_eval(path: Path, run: Run) -> dict:
    """eval.json of `reproduce eval`, checked to be of this very run."""
    data = _json_object(path, _read(path, "the eval.json of `python -m reproduce eval`", 2**26), "an eval.json")
    if data.get("format") != EVAL_FORMAT:
        raise ReproduceError(f"{shown(path)}: format: expected {EVAL_FORMAT}, found {data.get('format')!r}")
    subject = _field(path, data, "subject", dict, "what was evaluated")
    if subject.get("kind") != "run":
        raise ReproduceError(f"{shown(path)}: subject.kind: expected 'run' (an evaluation of this run), found "
                             f"{subject.get('kind')!r}: a released model's eval.json goes beside its own card")
    if subject.get("manifest_sha256") != run.digest:
        raise ReproduceError(f"{shown(path)}: subject.manifest_sha256: expected this run's {run.digest}, found "
                             f"{subject.get('manifest_sha256')!r}: it evaluated another run")
    if data.get("recipe") != run.manifest["recipe"]:
        raise ReproduceError(f"{shown(path)}: recipe: expected {run.manifest['recipe']!r}, found {data.get('recipe')!r}")
    heldout = data.get("heldout")
    if heldout is not None and not isinstance(heldout, dict):
        raise ReproduceError(f"{shown(path)}: heldout: expected an object with loss and perplexity, found {heldout!r}")
    benchmarks = data.get("benchmarks", [])
    if not isinstance(benchmarks, list) or not all(isinstance(item, dict) for item in benchmarks):
        raise ReproduceError(f"{shown(path)}: benchmarks: expected a list of objects, found {str(benchmarks)[:60]!r}")
    return data


def _significant(value: float, digits: int = 3) -> float | int:
    rounded = float(f"{value:.{digits}g}")
    return int(rounded) if rounded.is_integer() else rounded


def _accelerator(name: str) -> str:
    """'NVIDIA H100 80GB HBM3' -> 'H100-80GB-HBM3', the catalog's way of naming an accelerator."""
    words = re.sub(r"[^A-Za-z0-9. ]+", " ", _GPU_WORDS.sub(" ", name)).split()
    candidate = "-".join(words)
    try:
        return Hardware.model_validate({"type": candidate}).type or "GPU"
    except ValueError:
        return "GPU"


def _hardware(manifest: dict) -> tuple[dict, int]:
    """The card's hardware and the number of accelerators (0 on the CPU)."""
    gpus = [g for g in manifest["hardware"].get("gpus") or [] if isinstance(g, str)]
    if not gpus:
        return {"type": "CPU"}, 0
    count = max(manifest["world_size"], 1)
    return {"type": _accelerator(gpus[0]), "count": count}, count


def _wall_time(seconds: float) -> dict:
    if seconds < 3600:
        return {"value": _significant(max(seconds, 0.1) / 60), "unit": "minutes"}
    return {"value": _significant(seconds / 3600), "unit": "hours"}


def _tokens_per_second(rows: list[dict]) -> float | None:
    """Tokens over time, summed over every log (a mean of the logged rates would weigh a short interval as much)."""
    tokens = seconds = 0.0
    for row in rows:
        rate, count = row.get("tokens_per_second"), row.get("tokens")
        if "loss" in row and isinstance(rate, (int, float)) and isinstance(count, (int, float)) and rate > 0 and count > 0:
            tokens += count
            seconds += count / rate
    return _significant(tokens / seconds, 4) if seconds else None


def downsample(points: list[dict], limit: int = CURVE_POINTS) -> list[dict]:
    """At most `limit` points, evenly spread over the steps, the first and the last kept (values as logged)."""
    if len(points) <= limit:
        return points
    last = len(points) - 1
    picks = sorted({round(i * last / (limit - 1)) for i in range(limit)})
    return [points[i] for i in picks]


def _curve(rows: list[dict], key: str) -> list[dict]:
    by_step: dict[int, float] = {}
    for row in rows:
        if key in row:
            by_step[row["step"]] = row[key]  # a resumed run logs its restart step again: the later value holds
    return downsample([{"step": step, "loss": _significant(loss, 4)} for step, loss in sorted(by_step.items())])


def _scores(path: Path, benchmarks: list[dict]) -> list[dict]:
    scores = []
    for index, item in enumerate(benchmarks):
        score = {key: item[key] for key in ("task", "metric", "value", "shots", "stderr", "limit") if item.get(key) is not None}
        for key in ("value", "stderr"):
            if isinstance(score.get(key), float):
                score[key] = _significant(score[key], 4)
        if "task" not in score or "metric" not in score or "value" not in score:
            raise ReproduceError(f"{shown(path)}: benchmarks[{index}]: expected task, metric and value, found {sorted(item)}")
        scores.append(score)
    return scores


def _ran_by(given: str | None) -> str:
    if given:
        return given
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    if not name:
        raise ReproduceError("expected --by NAME (who ran it), found none and no git user.name to take it from", code=2)
    return name


def card_data(run: Run, evaluation: dict | None, eval_path: Path | None, card_id: str, ran_by: str,
              logs: str | None = None, weights: str | None = None) -> dict:
    """The card's fields, as the YAML file holds them."""
    m, rows = run.manifest, run.rows
    recipe = m["recipe"]
    when = finished(rows)
    hardware, accelerators = _hardware(m)
    losses = [row["loss"] for row in rows if "loss" in row]
    heldout = (evaluation or {}).get("heldout") or {}
    evals = [row["eval_loss"] for row in rows if "eval_loss" in row]
    measured: dict[str, Any] = {"hardware": hardware, "wall_time": _wall_time(float(m["seconds"]))}
    if accelerators:
        measured["gpu_hours"] = {"value": _significant(float(m["seconds"]) / 3600 * accelerators), "unit": "gpu-hours"}
    measured["tokens_per_second"] = _tokens_per_second(rows)
    measured["steps"] = m["steps"]
    if isinstance(m.get("total_steps"), int) and m["total_steps"] >= m["steps"]:
        measured["total_steps"] = m["total_steps"]
    measured["train_loss"] = _significant(losses[-1], 4)
    held = heldout.get("loss", evals[-1] if evals else None)
    if isinstance(held, (int, float)):
        measured["heldout_loss"] = _significant(held, 4)
    if isinstance(heldout.get("perplexity"), (int, float)):
        measured["heldout_perplexity"] = _significant(heldout["perplexity"], 4)
    measured["source"] = SOURCE
    measured = {k: v for k, v in measured.items() if v is not None}

    wall = f"{measured['wall_time']['value']} {measured['wall_time']['unit']}"
    wall_zh = f"{measured['wall_time']['value']} {'分钟' if measured['wall_time']['unit'] == 'minutes' else '小时'}"
    on = f"{hardware['count']} x {hardware['type']}" if accelerators else "the CPU"
    kind_en, kind_zh = ("A smoke run (a tiny random model on the shipped examples, not a rerun)", "冒烟测试（很小的随机模型、随附样本，并非复现）") \
        if m["smoke"] else ("A rerun", "一次复现")
    deviations = [d for d in m.get("deviations_in_this_run") or [] if isinstance(d, str) and d.strip()]
    deviations += [f"recipe value set on the command line: `{o}`" for o in m.get("overrides") or [] if isinstance(o, str)]
    if logs:
        source = {"kind": "report", "title": f"Logs of the run {card_id}", "url": logs}
    else:
        source = {"kind": "unpublished", "title": f"Run directory of {card_id}", "document": f"manifest.json, sha256 {run.digest}"}
    data: dict[str, Any] = {
        "id": card_id,
        "name": {"zh": f"{recipe} 复现 {when.date()}" + ("（冒烟测试）" if m["smoke"] else ""),
                 "en": f"{recipe} rerun {when.date()}" + (" (smoke run)" if m["smoke"] else "")},
        "summary": {"zh": f"{kind_zh}：按配方 `{recipe}` 在 {on.replace('the CPU', 'CPU')} 上训练 {m['steps']} 步，用时 {wall_zh}，"
                          f"最终训练损失 {measured['train_loss']}。",
                    "en": f"{kind_en} of the `{recipe}` recipe on {on}: {m['steps']} steps in {wall}, final training loss "
                          f"{measured['train_loss']}."},
        "recipe": recipe,
        "date": when.date().isoformat(),
        "ran_by": ran_by,
        "smoke": m["smoke"],
        "measured": measured,
        "scores": _scores(eval_path, (evaluation or {}).get("benchmarks") or []) if evaluation else [],
        "deviations": deviations,
        "manifest_sha256": run.digest,
        "links": {k: v for k, v in (("logs", logs), ("weights", weights)) if v},
        "curve": {"train": _curve(rows, "loss"), "heldout": _curve(rows, "eval_loss")},
        "sources": {SOURCE: source},
    }
    return {k: v for k, v in data.items() if v not in ([], {}, False)}


def card_text(data: dict, path: Path) -> str:
    """The card in `survey fmt`'s canonical form, or a ReproduceError naming each field that is wrong."""
    card, problems = validate(path, data, Reproduction)
    if card is None:
        lines = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
        raise ReproduceError(f"{shown(path)}: the run does not make a valid reproduction card: {lines}")
    yaml = round_trip_yaml()
    draft = io.StringIO()
    yaml.dump(_flow(data), draft)
    return formatted(draft.getvalue(), card)


def _flow(data: dict) -> Any:
    """Curve points and scores one to a line ({step: 10, loss: 1.23}), as `survey fmt` keeps a flow mapping."""
    from ruamel.yaml.comments import CommentedMap

    def flow(item: dict) -> CommentedMap:
        mapping = CommentedMap(item)
        mapping.fa.set_flow_style()
        return mapping

    out = dict(data)
    if "curve" in out:
        out["curve"] = {name: [flow(p) for p in points] for name, points in out["curve"].items() if points}
    if "scores" in out:
        out["scores"] = [flow(s) for s in out["scores"]]
    return out


def report(root: Path, eval_path: Path | None = None, card_id: str | None = None, out: Path | None = None,
           ran_by: str | None = None, logs: str | None = None, weights: str | None = None) -> Path:
    """Write the reproduction card of the finished run in `root`; returns its path."""
    run = read_run(root)
    if eval_path is None and (root / "eval.json").is_file():
        eval_path = root / "eval.json"
    evaluation = read_eval(eval_path, run) if eval_path is not None else None
    if card_id is None and out is not None:
        card_id = out.stem
    if card_id is None:
        card_id = f"{run.manifest['recipe']}-{finished(run.rows).date().isoformat()}" + ("-smoke" if run.manifest["smoke"] else "")
    if not is_id(card_id) or card_id == "index":
        raise ReproduceError(f"--id: expected an id of lowercase letters, digits and single '-', '_' or '.' between them "
                             f"(not 'index'), found {card_id!r}", code=2)
    out = out or CATALOG / Reproduction.FOLDER / f"{card_id}.yaml"
    if out.stem != card_id or out.suffix != ".yaml":
        raise ReproduceError(f"--out: expected a file named {card_id}.yaml (a card's file is named by its id), found {out.name}",
                             code=2)
    if out.exists() or out.is_symlink():
        raise ReproduceError(f"{shown(out)}: already exists; not replacing it (choose another --id or --out)")
    text = card_text(card_data(run, evaluation, eval_path, card_id, _ran_by(ran_by), logs, weights), out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(out, text)
    except OSError as exc:
        raise ReproduceError(f"{shown(out)}: could not write the card: {exc.strerror or exc}") from None
    return out
