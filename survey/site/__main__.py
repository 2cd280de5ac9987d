"""`python -m survey.site generate | build | serve`.

- generate: render the catalog into docs/generated/{zh,en}/.
- build: generate, then `mkdocs build --strict` for Chinese (site/) and English (site/en/).
- serve: generate, then `mkdocs serve` one language while a watcher re-renders the pages whenever a
  card changes; mkdocs sees the changed pages and reloads the browser.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path

from survey.site import render

CONFIGS = {"zh": "mkdocs.yml", "en": "mkdocs.en.yml"}


def generate(root: Path, out: Path, quiet: bool = False) -> int:
    changed, problems = render.generate(root, out)
    for problem in problems:
        print(f"skipped (not valid): {problem.render(Path.cwd())}", file=sys.stderr)
    if not quiet:
        print(f"generated {out} ({len(changed)} files changed)")
    return 0


def build(args: argparse.Namespace) -> int:
    generate(args.root, args.out)
    for lang in ("zh", "en"):  # zh first: its build empties site/, English then goes into site/en/
        command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", CONFIGS[lang]]
        if args.site_dir:
            command += ["-d", str(args.site_dir if lang == "zh" else args.site_dir / lang)]
        result = subprocess.run(command, check=False, env=_quiet_env())
        if result.returncode:
            return result.returncode
    where = args.site_dir or Path("site")
    print(f"built {where}/ (zh) and {where}/en/ (en)")
    return 0


def _quiet_env() -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _snapshot(root: Path) -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in root.rglob("*.yaml")} if root.is_dir() else {}


def watch(root: Path, out: Path, stop: threading.Event, interval: float = 0.5) -> None:
    """Re-render whenever a card is added, changed or removed."""
    seen = _snapshot(root)
    while not stop.wait(interval):
        now = _snapshot(root)
        if now != seen:
            seen = now
            try:
                changed, _problems = render.generate(root, out)
                print(f"catalog changed: re-rendered {len(changed)} files", flush=True)
            except Exception as exc:  # a half-written card must not stop the watcher
                print(f"catalog changed, not re-rendered: {exc}", file=sys.stderr, flush=True)


def serve(args: argparse.Namespace) -> int:
    generate(args.root, args.out)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(args.root, args.out, stop), daemon=True)
    watcher.start()
    command = [sys.executable, "-m", "mkdocs", "serve", "-f", CONFIGS[args.lang], "-a", args.address]
    try:
        return subprocess.run(command, check=False, env=_quiet_env()).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m survey.site", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("catalog"), help="catalog folder")
    parser.add_argument("--out", type=Path, default=render.OUT, help="where the Markdown goes")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="render the catalog into Markdown")
    build_ = commands.add_parser("build", help="generate and build both languages with mkdocs --strict")
    build_.add_argument("--site-dir", type=Path, default=None, help="build here instead of site/")
    serve_ = commands.add_parser("serve", help="generate, serve, and re-render on every card change")
    serve_.add_argument("--lang", choices=sorted(CONFIGS), default="zh")
    serve_.add_argument("--address", default="127.0.0.1:8000")
    args = parser.parse_args(argv)
    if args.command == "generate":
        return generate(args.root, args.out)
    return build(args) if args.command == "build" else serve(args)


if __name__ == "__main__":
    sys.exit(main())
