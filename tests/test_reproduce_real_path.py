"""The real-run path (no --smoke) on the CPU.

huggingface_hub's two download functions are replaced by ones handing back what the Hub would: a tiny LLaMA
saved in-process with a tokenizer trained on shipped text, and a local alpaca-format data file. Everything
after the download runs as it does for a user: the recipe's tokenizer policy, its validation hold-out
(`datasets`' train_test_split, as alpaca-lora calls it), template and masking, the encoded set built once and
read from its cache the next time, LoRA training and the manifest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")
datasets = pytest.importorskip("datasets")
hub = pytest.importorskip("huggingface_hub")

import reproduce.layout  # noqa: E402
import reproduce.run  # noqa: E402
from reproduce.dataset_cache import cache_key  # noqa: E402
from reproduce.recipes import apply_overrides, load_recipe  # noqa: E402

RECIPE = "alpaca-lora-7b"  # holds out 2,000 examples for validation
HELD_OUT, TRAINED = 2000, 40
OVERRIDES = ["hyperparameters.precision=fp32", "hyperparameters.max_length=96", "hyperparameters.per_device_batch_size=4",
             "hyperparameters.gradient_accumulation_steps=2", "hyperparameters.global_batch_size=8"]


def alpaca_records(count: int) -> list[dict]:
    return [{"instruction": f"Add {n} and {n + 1}.", "input": "" if n % 3 else f"Use digits for {n}.",
             "output": f"{n} plus {n + 1} is {2 * n + 1}."} for n in range(count)]


@pytest.fixture
def hub_files(tmp_path, monkeypatch):
    """A tiny model folder and a data file, returned by the replaced download functions; the cache in tmp_path."""
    from reproduce.templates import render
    from reproduce.tiny import tiny_model, tiny_tokenizer

    recipe = load_recipe(RECIPE)
    records = alpaca_records(HELD_OUT + TRAINED)
    data = tmp_path / "alpaca_data_cleaned.json"
    data.write_text(json.dumps(records), "utf-8")
    model_dir = tmp_path / "model"
    tokenizer = tiny_tokenizer([render("alpaca-lora", r) for r in records[:200]], "llama")
    tokenizer.save_pretrained(model_dir)
    tiny_model(recipe, len(tokenizer)).save_pretrained(model_dir)

    def snapshot_download(repo_id, **kwargs):
        assert repo_id == recipe.base.hub and kwargs["revision"] == recipe.base.revision
        return str(model_dir)

    def hf_hub_download(repo_id, filename, **kwargs):
        part = recipe.data[0]
        assert (repo_id, filename, kwargs["revision"]) == (part.hub, part.file, part.revision)
        return str(data)

    monkeypatch.setattr(hub, "snapshot_download", snapshot_download)
    monkeypatch.setattr(hub, "hf_hub_download", hf_hub_download)
    monkeypatch.setattr(reproduce.layout, "CACHE", tmp_path / "cache")
    return data


def test_real_path_trains_and_reads_the_encoded_set_from_its_cache_the_second_time(hub_files, tmp_path):
    recipe = apply_overrides(load_recipe(RECIPE), OVERRIDES)
    first = reproduce.run.train(recipe, tmp_path / "first", force=True, steps=2, overrides=OVERRIDES)
    assert first["examples"] == TRAINED and first["steps"] == 2  # the 2,000 held out are not trained on
    assert first["eval_examples"] == HELD_OUT
    manifest = json.loads((tmp_path / "first" / "manifest.json").read_text("utf-8"))
    assert manifest["dataset_cache"]["hit"] is False and Path(manifest["dataset_cache"]["path"]).is_file()
    assert manifest["overrides"] == OVERRIDES and manifest["base"]["revision"] == recipe.base.revision

    second = reproduce.run.train(recipe, tmp_path / "second", force=True, steps=2, overrides=OVERRIDES)
    again = json.loads((tmp_path / "second" / "manifest.json").read_text("utf-8"))
    assert again["dataset_cache"] == {**manifest["dataset_cache"], "hit": True}
    assert again["data_sha256"] == manifest["data_sha256"] and second["examples"] == TRAINED
    assert second["first_loss"] == pytest.approx(first["first_loss"])  # same data, same seed, same first batch


def test_cache_key_covers_what_shapes_the_encoded_set(hub_files):
    from transformers import AutoTokenizer

    recipe = apply_overrides(load_recipe(RECIPE), OVERRIDES)
    tokenizer = AutoTokenizer.from_pretrained(str(hub_files.parent / "model"))
    files = [(recipe.data[0], hub_files)]
    key = cache_key(recipe, tokenizer, files)
    assert cache_key(recipe, tokenizer, files) == key
    assert cache_key(apply_overrides(recipe, ["hyperparameters.max_length=80"]), tokenizer, files) != key
    other_template = apply_overrides(recipe, ["template.system=You are terse."])
    assert cache_key(other_template, tokenizer, files) != key
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|extra|>"]})
    assert cache_key(recipe, tokenizer, files) != key
    tokenizer = AutoTokenizer.from_pretrained(str(hub_files.parent / "model"))
    stat = hub_files.stat()
    os.utime(hub_files, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # downloaded again, same bytes
    assert cache_key(recipe, tokenizer, files) == key  # the key is on the content, not the time


def test_hold_out_is_alpaca_loras_train_test_split():
    from reproduce import ReproduceError
    from reproduce.data import hold_out

    records = alpaca_records(50)
    split = datasets.Dataset.from_list(records).train_test_split(test_size=7, shuffle=True, seed=42)
    assert hold_out(records, 7, 42) == (split["train"].to_list(), split["test"].to_list())
    assert hold_out(records, 7, 42)[0] != records[:43]  # shuffled, not the first 43
    with pytest.raises(ReproduceError, match="holds out 50 examples for validation but the data has 50"):
        hold_out(records, 50, 42)


def test_a_damaged_cache_file_is_built_again(tmp_path):
    from types import SimpleNamespace

    from reproduce.dataset_cache import cached_dataset

    recipe = load_recipe(RECIPE)
    data = tmp_path / "data.json"
    data.write_text("[]", "utf-8")
    tokenizer = SimpleNamespace(backend_tokenizer=SimpleNamespace(to_str=lambda: "{}"), special_tokens_map={})
    items = {"train": [{"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}], "eval": [{"input_ids": [4], "labels": [4]}]}
    built, path, hit = cached_dataset(tmp_path, recipe, tokenizer, [(recipe.data[0], data)], lambda: items)
    assert (built, hit) == (items, False) and path.is_file()
    path.write_bytes(b"not parquet")  # cut short or overwritten
    again, _, hit = cached_dataset(tmp_path, recipe, tokenizer, [(recipe.data[0], data)], lambda: items)
    assert (again, hit) == (items, False)
    empty = {"train": [], "eval": []}
    assert cached_dataset(tmp_path, recipe, tokenizer, [(recipe.data[0], data)], lambda: empty)[:3:2] == (items, True)
    assert not list(tmp_path.glob("*.part"))
