"""Benchmark 1: `survey check` against the floor of a bare libyaml parse, on synthetic catalogs.

Run: .venv/bin/python bench/catalog_check.py [--sizes 100 1000 5000]
Prints one row per catalog size; the last line is the headline ratio (check / floor at the largest size).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synthetic  # noqa: E402

from survey import fastyaml  # noqa: E402
from survey.check import check_files  # noqa: E402
from survey.loader import card_files, screen  # noqa: E402


def floor(root: Path) -> float:
    """The fastest bare parse: PyYAML's CSafeLoader over every file, no validation."""
    start = time.perf_counter()
    for path in card_files(root):
        yaml.load(path.read_text("utf-8"), Loader=yaml.CSafeLoader)  # noqa: S506
    return time.perf_counter() - start


def screen_share(root: Path) -> tuple[float, float]:
    """(seconds to parse every card with the fast loader, seconds of the hostile-input screen over them)."""
    texts = [(path, path.read_text("utf-8")) for path in card_files(root)]
    start = time.perf_counter()
    parsed = [(path, fastyaml.load(text)) for path, text in texts]
    parsing = time.perf_counter() - start
    start = time.perf_counter()
    assert not any(screen(path, data) for path, data in parsed)
    return parsing, time.perf_counter() - start


def check(root: Path, use_cache: bool = False) -> tuple[float, int]:
    """The whole check (parse, schema, every rule); cold unless `use_cache`."""
    start = time.perf_counter()
    diagnostics = check_files(root, card_files(root), use_cache=use_cache)
    return time.perf_counter() - start, sum(d.severity == "error" for d in diagnostics)


def best_of(runs: int, function, *args):
    results = [function(*args) for _ in range(runs)]
    return min(results, key=lambda r: r if isinstance(r, float) else r[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per figure")
    args = parser.parse_args()
    table = Table(title="survey check vs bare libyaml parse (seconds, best of runs)")
    for column in ("model cards", "floor (CSafeLoader)", "survey check (cold)", "ratio", "after 1 card changes (cached)"):
        table.add_column(column, justify="right")
    ratio = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            root = synthetic.write(Path(folder) / f"catalog-{size}", size)
            bare = best_of(args.runs, floor, root)
            seconds, errors = best_of(args.runs, check, root)
            assert errors == 0, f"synthetic catalog of {size} has {errors} errors"
            check(root, use_cache=True)  # fills the cache
            changed = root / "models" / "bench-model-1.yaml"
            changed.write_text(changed.read_text().replace("Synthetic model", "A synthetic model"))
            again, errors = check(root, use_cache=True)
            assert errors == 0
            ratio = seconds / bare
            table.add_row(f"{size:,}", f"{bare:.2f}", f"{seconds:.2f}", f"{ratio:.2f}x", f"{again:.2f}")
        parsing, screening = best_of(args.runs, screen_share, root)
    console = Console()
    console.print(table)
    console.print(f"screen (survey.loader.screen) at {args.sizes[-1]:,} cards: {screening:.2f} s, against {parsing:.2f} s of parsing")
    console.print(f"headline: survey check / floor = {ratio:.2f}x at {args.sizes[-1]:,} cards")


if __name__ == "__main__":
    main()
