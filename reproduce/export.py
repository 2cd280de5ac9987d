"""`python -m reproduce export`: a run as a Hugging Face model folder anyone can load. LoRA adapters are merged into
the base with peft's merge_and_unload; weights in safetensors, the tokenizer, and a README.md model card saying what
the run was (recipe, data at its revisions, hyperparameters, deviations, eval scores, manifest digest). The folder
is written beside its target under a temporary name and renamed into place once whole."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from reproduce import ReproduceError, eval_subject
from reproduce.layout import RunDir


def export(run_dir: Path, out: Path | None = None, push: str | None = None) -> Path:
    out = out or run_dir / "export"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReproduceError(f"{out}: already exists and is not an empty folder; expected a new folder for the export "
                             "(nothing is overwritten), pick another --out")
    subject = eval_subject.resolve(str(run_dir), None)
    model, tokenizer = eval_subject.load(subject, merge_ready=True)
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    partial.mkdir(parents=True)
    try:
        model.save_pretrained(str(partial), safe_serialization=True)
        tokenizer.save_pretrained(str(partial))
        (partial / "README.md").write_text(model_card(subject, run_dir), "utf-8")
        if out.exists():
            out.rmdir()  # empty, checked above
        partial.replace(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # only the temporary folder this call made
        raise
    print(f"wrote {out}")
    if push:
        upload(out, push)
    return out


def upload(folder: Path, repo: str) -> None:
    from huggingface_hub import HfApi

    from reproduce.hub import hub_errors

    api = HfApi()
    with hub_errors(repo, "model", folder):
        api.create_repo(repo, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo, commit_message="reproduce export")
    print(f"uploaded {folder} to https://huggingface.co/{repo}")


def _scores(run_dir: Path) -> list[str]:
    path = run_dir / "eval.json"
    if not path.is_file():
        return ["No `reproduce eval` result was found in the run directory."]
    from reproduce.evaluate import read

    data = read(path)
    held = data["heldout"]
    lines = [f"- held-out loss {held['loss']:.4f} (perplexity {held['perplexity']:.2f}) on {held['examples']} "
             f"examples ({held['split']} split)"]
    lines += [f"- {b['task']} {b['metric']} ({b['shots']}-shot{', limit ' + str(b['limit']) if b['limit'] else ''}): "
              f"{b['value']:.1f}" for b in data["benchmarks"]]
    return lines


def model_card(subject: eval_subject.Subject, run_dir: Path) -> str:
    recipe, manifest = subject.recipe, subject.manifest or {}
    h = recipe.hyperparameters
    base = manifest.get("base", {})
    data = [f"- {p.name}: {p.hub or p.url}" + (f" at {p.revision}" if p.revision else "")
            + ("" if p.included else " (not included)") for p in recipe.data]
    hyper = [f"- learning rate {h.learning_rate:g}, {h.epochs:g} epochs, {h.per_device_batch_size} per device x "
             f"{h.gradient_accumulation_steps} accumulation (global batch {h.global_batch_size or 'not recorded'}), "
             f"max length {h.max_length}, {h.scheduler} schedule, {h.precision}"]
    if recipe.lora:
        hyper.append(f"- LoRA r={recipe.lora.r}, alpha={recipe.lora.alpha}, dropout={recipe.lora.dropout}, targets "
                     f"{', '.join(recipe.lora.target_modules)}; merged into the base for this folder")
    deviations = [f"- {d.topic}: {d.en or d.zh}" for d in recipe.deviations]
    deviations += [f"- this run: {d}" for d in manifest.get("deviations_in_this_run", [])]
    sections = [
        f"# {recipe.id} ({'smoke run' if subject.smoke else 'reproduction'})", "",
        f"Retrained with `python -m reproduce {recipe.id}` from the recipe card {recipe.name}; "
        f"{manifest.get('steps', '?')} of {manifest.get('total_steps', '?')} optimizer steps, final training loss "
        f"{manifest.get('final_loss')}.", "",
        "## Base model", "", f"{base.get('hub', recipe.base.hub)} at {base.get('revision', recipe.base.revision)}", "",
        "## Data", "", *data, "", "## Hyperparameters", "", *hyper, "",
        "## Deviations from the original", "", *(deviations or ["- none recorded"]), "",
        "## Evaluation", "", *_scores(run_dir), "",
        "## Manifest", "", f"manifest.json sha256 {subject.manifest_sha256}; git commit {manifest.get('git_commit')}; "
        f"training data sha256 {manifest.get('data_sha256')}.", "",
    ]
    return "\n".join(sections)
