"""The encoded training set kept on disk, so that a second run of a recipe (or its --resume) skips reading,
sampling and tokenizing the data.

The key digests everything that shapes the result: the recipe's data parts (sources, revisions, files,
sampling, constructions), template, masking, tokenizer policy and max length; each data file's bytes (a SHA-256
of its content: never its path, size or modification time, since an edit that keeps the size and restores the
time is still an edit); the tokenizer itself (its serialized vocabulary, merges and special tokens,
after the recipe's policy added its tokens); and the source of the modules that read, render and tokenize.
Any change gives another key, so a stale set is never used. Sets (train and held-out rows, told apart by a `split`
column) are Parquet data, written whole to a unique temporary file, then renamed.

A cache file is data, never code (no pickle), and it is trusted only when it carries this user's signature: its
first line is an HMAC-SHA256 of its name and the Parquet bytes under the secret in `survey.files.user_secret`.
A damaged, foreign or planted file (copied in, or one another user wrote) is ignored and built again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from survey.files import user_secret, write_atomically
from survey.schema.recipe import Recipe

# The modules whose code decides what the encoded examples are.
CODE = ("data.py", "oa_data.py", "ted_talks.py", "templates.py", "dataset.py")


def _tokenizer_identity(tokenizer: Any) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        body = backend.to_str()
    else:  # a slow tokenizer: its vocabulary stands for it
        body = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False)
    specials = json.dumps(tokenizer.special_tokens_map, sort_keys=True, ensure_ascii=False, default=str)
    return f"{type(tokenizer).__name__}\n{specials}\n{body}"


def cache_key(recipe: Recipe, tokenizer: Any, files: list[tuple[Any, Path]]) -> str:
    digest = hashlib.sha256()

    def add(label: str, value: Any) -> None:
        digest.update(label.encode() + b"\0")
        digest.update(value if isinstance(value, bytes) else json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                                           default=str).encode())
        digest.update(b"\0")

    add("recipe", {"data": [p.model_dump(mode="json") for p in recipe.data],
                   "template": recipe.template.model_dump(mode="json"),
                   "masking": recipe.masking.model_dump(mode="json"),
                   "tokenizer": recipe.tokenizer.model_dump(mode="json"),
                   "max_length": recipe.hyperparameters.max_length, "truncation": recipe.hyperparameters.truncation,
                   "seed": recipe.hyperparameters.seed})
    for part, path in files:
        with Path(path).open("rb") as data:
            add("file", [part.name, hashlib.file_digest(data, "sha256").hexdigest()])
    add("tokenizer", _tokenizer_identity(tokenizer).encode())
    here = Path(__file__).parent
    for name in CODE:
        add(name, (here / name).read_bytes())
    return digest.hexdigest()


def _signature(secret: bytes, path: Path, body: bytes) -> bytes:
    return hmac.new(secret, path.name.encode() + b"\n" + body, hashlib.sha256).hexdigest().encode()


def load(path: Path) -> dict[str, list[dict]] | None:
    """The cached splits, or None when there are none, they are not signed by this user or they cannot be read
    (they are then built again)."""
    secret = user_secret()
    if secret is None or not path.is_file():  # is_file: a regular file, never a FIFO that would block the read
        return None
    try:
        signature, _, body = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    if not hmac.compare_digest(signature, _signature(secret, path, body)):
        return None
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(pa.BufferReader(body))
        splits: dict[str, list[dict]] = {"train": [], "eval": []}
        for split, ids, labels in zip(table.column("split").to_pylist(), table.column("input_ids").to_pylist(),
                                      table.column("labels").to_pylist()):
            splits[split].append({"input_ids": ids, "labels": labels})
        return splits
    except Exception:  # noqa: BLE001 - a damaged file is rebuilt, never trusted
        return None


def save(path: Path, splits: dict[str, list[dict]]) -> None:
    """Write the splits, signed; without a secret to sign with nothing is cached (it could not be trusted)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    secret = user_secret()
    if secret is None:
        return
    rows = [(split, item) for split, items in splits.items() for item in items]
    table = pa.table({"split": pa.array([split for split, _ in rows], type=pa.string()),
                      "input_ids": pa.array([i["input_ids"] for _, i in rows], type=pa.list_(pa.int32())),
                      "labels": pa.array([i["labels"] for _, i in rows], type=pa.list_(pa.int32()))})
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    body = buffer.getvalue().to_pybytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, _signature(secret, path, body) + b"\n" + body)


def cached_dataset(folder: Path, recipe: Recipe, tokenizer: Any, files: list[tuple[Any, Path]],
                   build: Callable[[], dict[str, list[dict]]]) -> tuple[dict[str, list[dict]], Path, bool]:
    """(encoded train and eval splits, their cache file, whether they came from it); `build` makes them on a miss."""
    path = folder / f"{recipe.id}-{cache_key(recipe, tokenizer, files)[:20]}.cache"  # signed Parquet
    splits = load(path)
    if splits is not None:
        return splits, path, True
    splits = build()
    try:
        save(path, splits)
    except OSError as exc:  # a cache that cannot be written costs a rebuild next time, not this run
        print(f"warning: the encoded data set was not cached ({exc}); the next run builds it again", file=sys.stderr)
    return splits, path, False
