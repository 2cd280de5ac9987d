"""`python -m survey.site generate | build | serve`.

- generate: render the catalog into docs/generated/{zh,en}/.
- build: generate, then `mkdocs build --strict` for Chinese (site/) and English (site/en/).
- serve: generate and build both languages into build/serve/, serve them (Chinese at /, English at
  /en/, so the language switch works as on the published site), and rebuild whenever a card changes;
  open pages reload themselves (a small script the server adds to each page it sends).

`--root` (the catalog) and `--out` (the generated Markdown) let a copy of the catalog be built or
served without touching docs/generated/.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tempfile
import time
import urllib.parse
from pathlib import Path

import yaml

from survey.site import render

CONFIGS = {"zh": "mkdocs.yml", "en": "mkdocs.en.yml"}


def generate(root: Path, out: Path, quiet: bool = False) -> int:
    changed, problems = render.generate(root, out)
    for problem in problems:
        print(f"skipped (not valid): {problem.render(Path.cwd())}", file=sys.stderr)
    if not quiet:
        print(f"generated {out} ({len(changed)} files changed)")
    return 0


def _config(lang: str, docs: Path, work: Path) -> Path:
    """A config for one language: mkdocs.yml (or mkdocs.en.yml) as it is, reading pages from `docs`.

    Through mkdocs' own `INHERIT` it overrides only the paths: `docs_dir`, the theme overrides (a relative
    path would be taken from this file's folder) and the search plugin's jieba dictionary (which the plugin
    takes from the working directory), so mkdocs.yml stays plain and `--out` / a catalog copy can be built
    and served like the real one. The plugin list is repeated whole, as INHERIT replaces lists."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"mkdocs.{lang}.yml"
    source = Path(CONFIGS[lang]).resolve()
    parent = yaml.safe_load(source.read_text("utf-8"))
    plugins = []
    for plugin in parent.get("plugins") or []:
        if isinstance(plugin, dict) and isinstance(plugin.get("search"), dict) and plugin["search"].get("jieba_dict_user"):
            plugin = {"search": {**plugin["search"], "jieba_dict_user": str((docs / render.SEARCH_WORDS).resolve())}}
        plugins.append(plugin)
    child = {
        "INHERIT": str(source),
        "docs_dir": str((docs / lang).resolve()),
        "theme": {"custom_dir": str((source.parent / parent["theme"]["custom_dir"]).resolve())},
        "plugins": plugins,
    }
    path.write_text(json.dumps(child, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def build_site(docs: Path, site_dir: Path, strict: bool = True, quiet: bool = True) -> int:
    """Build both languages: Chinese into `site_dir`, English into `site_dir/en`.

    The two mkdocs runs go side by side (English into a folder of its own, moved under the Chinese
    site once both are done, since a build empties its output folder first)."""
    site_dir = site_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix="survey-site-"))
    english = work / "en-site"
    runs = []
    for lang, target in (("zh", site_dir), ("en", english)):
        command = [sys.executable, "-m", "mkdocs", "build", "-f", str(_config(lang, docs, work)), "-d", str(target)]
        command += ["--strict"] if strict else []
        command += ["--quiet"] if quiet else []
        runs.append(subprocess.Popen(command, env=_quiet_env(), stderr=subprocess.PIPE, text=True))
    failed = 0
    for run in runs:
        _out, err = run.communicate()
        # jieba (the Chinese search tokenizer) reports its dictionary loading; keep only mkdocs' own lines.
        lines = [line for line in err.splitlines() if not re.search(r"prefix dict|Loading model|jieba", line, re.I)]
        if lines:
            print("\n".join(lines), file=sys.stderr, flush=True)
        failed = failed or run.returncode
    if not failed:
        shutil.rmtree(site_dir / "en", ignore_errors=True)
        shutil.move(str(english), str(site_dir / "en"))
        for index in (site_dir / "search" / "search_index.json", site_dir / "en" / "search" / "search_index.json"):
            compact_search_index(index)
    shutil.rmtree(work, ignore_errors=True)
    return failed


def compact_search_index(path: Path) -> None:
    """Rewrite Material's search index as UTF-8. The plugin writes ASCII JSON, where every Chinese character
    and every word separator jieba inserts (U+200B) takes six bytes instead of three; the data is unchanged."""
    if not path.is_file():
        return
    data = json.loads(path.read_text("utf-8"))
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")
    partial.replace(path)


def build(args: argparse.Namespace) -> int:
    generate(args.root, args.out)
    where = args.site_dir or Path("site")
    failed = build_site(args.out, where)
    if failed:
        return failed
    print(f"built {where}/ (zh) and {where}/en/ (en)")
    return 0


def _quiet_env() -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _snapshot(*roots: Path) -> dict[Path, float]:
    found: dict[Path, float] = {}
    for root in roots:
        if root.is_file():
            found[root] = root.stat().st_mtime
        elif root.is_dir():
            found.update({p: p.stat().st_mtime for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".css", ".js", ".html", ".xml")})
    return found


# --- serve: both languages, rebuilt on every card change, with live reload ------------------------

RELOAD_PATH = "/__livereload"
# Put into every HTML page served (never into the built files): waits for the next build, then reloads.
RELOAD_SCRIPT = """<script>(function () {
  var seen = %d;
  function wait() {
    fetch("%s?since=" + seen, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (t) {
      if (parseInt(t, 10) !== seen) { window.location.reload(); } else { wait(); }
    }).catch(function () { setTimeout(wait, 2000); });
  }
  wait();
})();</script>"""


class Live:
    """The folder being served, and a build number that browsers wait on."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.version = 1
        self.changed = threading.Condition()

    def publish(self, root: Path) -> None:
        with self.changed:
            old, self.root = self.root, root
            self.version += 1
            self.changed.notify_all()
        # Requests already under way may still read the old folder for a moment.
        threading.Timer(10, shutil.rmtree, args=(old,), kwargs={"ignore_errors": True}).start()

    def wait(self, since: int, timeout: float = 25) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != since, timeout=timeout)
            return self.version


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, request, client_address, server) -> None:
        super().__init__(request, client_address, server, directory=str(server.live.root))

    def log_message(self, format: str, *args) -> None:  # quiet: one line per request is noise here
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == RELOAD_PATH:
            query = urllib.parse.parse_qs(url.query)
            try:
                since = int(query.get("since", ["0"])[0])
            except ValueError:
                since = 0
            self._send(str(self.server.live.wait(since)).encode(), "text/plain; charset=utf-8")
            return
        path = Path(self.translate_path(url.path))
        if path.is_dir() and url.path.endswith("/"):
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            page = path.read_text("utf-8", errors="replace")
            script = RELOAD_SCRIPT % (self.server.live.version, RELOAD_PATH)
            page = page.replace("</body>", script + "</body>", 1) if "</body>" in page else page + script
            self._send(page.encode("utf-8"), "text/html; charset=utf-8")
            return
        super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _rebuild(args: argparse.Namespace, live: Live, stop: threading.Event, number: list[int]) -> None:
    """Re-render, and rebuild both languages, whenever a card (or the site config) changes."""
    watched = (args.root, Path(CONFIGS["zh"]), Path(CONFIGS["en"]), render.ASSETS, render.THEME)
    seen = _snapshot(*watched)
    while not stop.wait(0.4):
        if _snapshot(*watched) == seen:
            continue
        time.sleep(0.3)  # an editor may write a file in several steps
        now = _snapshot(*watched)
        differ = {p for p in set(now) | set(seen) if now.get(p) != seen.get(p)}
        seen = now
        try:
            changed, problems = render.generate(args.root, args.out)
        except Exception as exc:  # a half-written card must not stop the server
            print(f"catalog changed, not re-rendered: {exc}", file=sys.stderr, flush=True)
            continue
        for problem in problems:
            print(f"skipped (not valid): {problem.render(Path.cwd())}", file=sys.stderr, flush=True)
        if not changed and all(p.suffix == ".yaml" for p in differ):
            continue
        number[0] += 1
        target = args.site_dir / f"site-{number[0]}"
        started = time.monotonic()
        if build_site(args.out, target, strict=False):
            print("rebuild failed; still serving the previous build", file=sys.stderr, flush=True)
            shutil.rmtree(target, ignore_errors=True)
            continue
        live.publish(target.resolve())
        print(f"rebuilt both languages in {time.monotonic() - started:.1f}s ({len(changed)} pages changed)", flush=True)


SERVE_MARK = ".survey-serve"  # written into a --site-dir serve made, so a later serve knows it may clear it


def _claim(site_dir: Path) -> str | None:
    """Make `site_dir` ready for serve's builds, touching it only if serve made it; else say why not."""
    if site_dir.exists() and not site_dir.is_dir():
        return f"--site-dir {site_dir} is a file; expected a folder for the served builds"
    if site_dir.is_dir():
        entries = list(site_dir.iterdir())
        builds = [e for e in entries if e.is_dir() and not e.is_symlink() and re.fullmatch(r"site-\d+", e.name)]
        ours = (site_dir / SERVE_MARK).is_file() or len(builds) == len(entries)
        if not ours:
            return (f"--site-dir {site_dir} holds files serve did not make; not touching it"
                    " (choose a new or empty folder, or remove it yourself)")
        for build in builds:
            shutil.rmtree(build)
    try:
        site_dir.mkdir(parents=True, exist_ok=True)
        (site_dir / SERVE_MARK).write_text("made by python -m survey.site serve; its site-N folders are rebuilt at will\n")
    except OSError as exc:
        return f"--site-dir {site_dir}: cannot write there ({exc.strerror})"
    return None


def serve(args: argparse.Namespace) -> int:
    problem = _claim(args.site_dir)
    if problem:
        print(f"survey.site serve: {problem}", file=sys.stderr)
        return 2
    generate(args.root, args.out)
    number = [1]
    first = args.site_dir / "site-1"
    if build_site(args.out, first, strict=False):
        return 1
    live = Live(first.resolve())
    host, _, port = args.address.rpartition(":")
    server = http.server.ThreadingHTTPServer((host or "127.0.0.1", int(port)), _Handler)
    server.daemon_threads = True
    server.live = live
    stop = threading.Event()
    watcher = threading.Thread(target=_rebuild, args=(args, live, stop, number), daemon=True)
    watcher.start()
    base = f"http://{host or '127.0.0.1'}:{server.server_address[1]}/"
    print(f"serving {base} (中文) and {base}en/ (English); pages rebuild when a card changes", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m survey.site", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("catalog"), help="catalog folder")
    parser.add_argument("--out", type=Path, default=render.OUT, help="where the Markdown goes")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="render the catalog into Markdown")
    build_ = commands.add_parser("build", help="generate and build both languages with mkdocs --strict")
    build_.add_argument("--site-dir", type=Path, default=None, help="build here instead of site/")
    serve_ = commands.add_parser("serve", help="generate, serve both languages, rebuild on every card change")
    serve_.add_argument("--address", default="127.0.0.1:8000", help="host:port (port 0: any free port)")
    serve_.add_argument("--site-dir", type=Path, default=Path("build/serve"), help="where the served builds go")
    args = parser.parse_args(argv)
    if args.command == "generate":
        return generate(args.root, args.out)
    return build(args) if args.command == "build" else serve(args)


if __name__ == "__main__":
    sys.exit(main())
