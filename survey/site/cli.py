"""`python -m survey.site generate | build | serve`.

- generate: render the catalog into docs/generated/{zh,en}/.
- build: generate, then `mkdocs build --strict` for Chinese (site/) and English (site/en/).
- serve: generate and build both languages into build/serve/, serve them (Chinese at /, English at
  /en/, so the language switch works as on the published site), and rebuild whenever a card changes;
  open pages reload themselves (a small script the server adds to each page it sends).

`--root` (the catalog) and `--out` (the generated Markdown) let a copy of the catalog be built or
served without touching docs/generated/.

Exit codes: 0 done, 1 the catalog (or mkdocs.yml) has errors (every card that is not valid is named
with its line, and left out of the pages) or mkdocs failed, 2 the command line is wrong: a path that
is missing, of the wrong kind, cannot be written or holds files the command did not make (generate,
build and serve only replace and clear what they made: see `render.Output` and `files.claim`), or an
address that cannot be served. 130: interrupted.
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

from survey.diagnostics import printable
from survey.files import claim, refusal, shown, unlink_links, write_atomically
from survey.loader import catalog_problem
from survey.site import render

CONFIGS = {"zh": "mkdocs.yml", "en": "mkdocs.en.yml"}


class UsageError(Exception):
    """A mistake on the command line (exit 2): a path or an address that cannot be used."""


class ConfigError(Exception):
    """mkdocs.yml (or mkdocs.en.yml) cannot be read (exit 1); the text names the file and line."""


BUILD_MARK = ".survey-build"  # written into a --site-dir build made (mkdocs keeps dotfiles when it clears the folder)
SERVE_MARK = ".survey-serve"  # written into a --site-dir serve made, so a later serve knows it may clear it


def generate(args: argparse.Namespace) -> int:
    return 1 if _generate(args) else 0


def _generate(args: argparse.Namespace) -> int:
    """Render the catalog into --out and report what was left out; the number of errors found."""
    result = render.generate(args.root, args.out)
    errors = _report(result)
    print(printable(f"generated {args.out} ({len(result.changed)} files changed)"), flush=True)
    return errors


def _report(result: render.Generated) -> int:
    cwd = Path.cwd()
    for problem in result.problems:
        print(problem.render(cwd), file=sys.stderr, flush=True)
    for path in result.kept:
        print(printable(f"kept {shown(path)}: no longer generated, but changed since generate wrote it"
                        " (remove it yourself if it is not needed)"), file=sys.stderr, flush=True)
    if result.left_out:
        count = len(result.left_out)
        names = ", ".join(printable(str(path)) for path in result.left_out)
        print(f"left out {count} card{'s that are' if count > 1 else ' that is'} not valid: {names}", file=sys.stderr, flush=True)
    return sum(problem.severity == "error" for problem in result.problems)


def _parent_config(lang: str) -> dict:
    """mkdocs.yml (or mkdocs.en.yml) as plain data, read without running anything it names."""
    source = Path(CONFIGS[lang])
    if not source.is_file():
        raise UsageError(f"no {source} in {Path.cwd()}: run it from the project folder")
    try:
        parent = yaml.safe_load(source.read_text("utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else str(source)
        raise ConfigError(f"{where}: expected plain YAML mkdocs settings, found: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: expected plain YAML mkdocs settings, found: {exc}") from None
    if not isinstance(parent, dict):
        raise ConfigError(f"{source}:1:1: expected a mapping of mkdocs settings, found {type(parent).__name__}")
    return parent


def _config(lang: str, docs: Path, work: Path, parent: dict) -> Path:
    """A config for one language: mkdocs.yml (or mkdocs.en.yml) as it is, reading pages from `docs`.

    Through mkdocs' own `INHERIT` it overrides only the paths: `docs_dir`, the theme overrides (a relative
    path would be taken from this file's folder) and the search plugin's jieba dictionary (which the plugin
    takes from the working directory), so mkdocs.yml stays plain and `--out` / a catalog copy can be built
    and served like the real one. The plugin list is repeated whole, as INHERIT replaces lists."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"mkdocs.{lang}.yml"
    source = Path(CONFIGS[lang]).resolve()
    plugins = []
    for plugin in parent.get("plugins") or []:
        if isinstance(plugin, dict) and isinstance(plugin.get("search"), dict) and plugin["search"].get("jieba_dict_user"):
            plugin = {"search": {**plugin["search"], "jieba_dict_user": str((docs / render.SEARCH_WORDS).resolve())}}
        plugins.append(plugin)
    child = {"INHERIT": str(source), "docs_dir": str((docs / lang).resolve()), "plugins": plugins}
    theme = parent.get("theme")
    if isinstance(theme, dict) and isinstance(theme.get("custom_dir"), str):
        child["theme"] = {"custom_dir": str((source.parent / theme["custom_dir"]).resolve())}
    path.write_text(json.dumps(child, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def build_site(docs: Path, site_dir: Path, configs: dict[str, dict], strict: bool = True, quiet: bool = True) -> int:
    """Build both languages: Chinese into `site_dir`, English into `site_dir/en`.

    The two mkdocs runs go side by side (English into a folder of its own, moved under the Chinese
    site once both are done, since a build empties its output folder first). Interrupted, both runs
    are stopped and the work folder removed before the interruption goes on."""
    site_dir = site_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix="survey-site-"))
    english = work / "en-site"
    runs = []
    try:
        for lang, target in (("zh", site_dir), ("en", english)):
            command = [sys.executable, "-m", "mkdocs", "build", "-f", str(_config(lang, docs, work, configs[lang])), "-d", str(target)]
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
        return failed
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
        shutil.rmtree(work, ignore_errors=True)


def compact_search_index(path: Path) -> None:
    """Rewrite Material's search index as UTF-8. The plugin writes ASCII JSON, where every Chinese character
    and every word separator jieba inserts (U+200B) takes six bytes instead of three; the data is unchanged."""
    if not path.is_file():
        return
    data = json.loads(path.read_text("utf-8"))
    write_atomically(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def build(args: argparse.Namespace) -> int:
    where = args.site_dir or Path("site")
    _prepare(where, args.out, BUILD_MARK, "build")
    configs = {lang: _parent_config(lang) for lang in CONFIGS}
    _take(where, BUILD_MARK, "build", "made by python -m survey.site build, in {}; rebuilt (emptied first) by every build\n")
    if _generate(args):
        print("not built: fix the errors above first (python -m survey check lists them too)", file=sys.stderr)
        return 1
    failed = build_site(args.out, where, configs)
    if failed:
        return failed
    print(printable(f"built {where}/ (zh) and {where}/en/ (en)"))
    return 0


def _prepare(site_dir: Path, out: Path, mark: str, maker: str, ours=None) -> None:
    """Check --site-dir before anything is written: `maker` may take it (`files.refusal`), and it neither lies
    in the generated pages nor holds them (mkdocs empties it)."""
    if problem := refusal(site_dir, "--site-dir", mark, maker, ours):
        raise UsageError(problem)
    a, b = Path(os.path.realpath(site_dir)), Path(os.path.realpath(out))
    if a.is_relative_to(b) or b.is_relative_to(a):
        raise UsageError(f"--site-dir {shown(site_dir)}: expected a folder outside --out {shown(out)} (and not holding it)")


def _take(site_dir: Path, mark: str, maker: str, text: str, ours=None) -> None:
    """Take --site-dir for `maker` (`files.claim`; `text` names the folder's stamp with {}) and clear it of
    links, or say why not."""
    if problem := claim(site_dir, "--site-dir", mark, maker, text.format, ours):
        raise UsageError(problem)
    unlink_links(site_dir)


def _quiet_env() -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _snapshot(*roots: Path) -> dict[Path, float]:
    found: dict[Path, float] = {}
    for root in roots:
        files = [root] if root.is_file() else root.rglob("*") if root.is_dir() else []
        for path in files:
            if path.suffix in (".yaml", ".yml", ".css", ".js", ".html", ".xml"):
                try:
                    found[path] = path.stat().st_mtime
                except OSError:  # gone since it was listed (an editor's temporary file), or a broken link
                    pass
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
        remove = threading.Timer(10, shutil.rmtree, args=(old,), kwargs={"ignore_errors": True})
        remove.daemon = True  # Ctrl-C need not wait for it
        remove.start()

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
        try:  # nothing a contributor does to the catalog, the config or the folders may stop the server
            configs = {lang: _parent_config(lang) for lang in CONFIGS}
            result = render.generate(args.root, args.out)
            _report(result)
            if not result.changed and all(p.suffix == ".yaml" for p in differ):
                continue
            number[0] += 1
            target = args.site_dir / f"site-{number[0]}"
            started = time.monotonic()
            if build_site(args.out, target, configs, strict=False):
                print("rebuild failed; still serving the previous build", file=sys.stderr, flush=True)
                shutil.rmtree(target, ignore_errors=True)
                continue
        except Exception as exc:  # a half-written card, a broken config, a folder removed meanwhile
            print(printable(f"not rebuilt, still serving the previous build: {exc}"), file=sys.stderr, flush=True)
            continue
        live.publish(target.resolve())
        print(f"rebuilt both languages in {time.monotonic() - started:.1f}s ({len(result.changed)} pages changed)", flush=True)


def _served_builds(entries: list[Path]) -> list[Path]:
    return [e for e in entries if e.is_dir() and not e.is_symlink() and re.fullmatch(r"site-\d+", e.name)]


def _address(address: str) -> tuple[str, int]:
    host, colon, port = address.rpartition(":")
    if not colon or not (port.isascii() and port.isdigit()):
        raise UsageError(f"--address {address}: expected host:port (such as 127.0.0.1:8000; port 0 takes any free one)")
    if int(port) > 65535:
        raise UsageError(f"--address {address}: expected a port from 0 to 65535, found {port}")
    return host or "127.0.0.1", int(port)


def serve(args: argparse.Namespace) -> int:
    host, port = _address(args.address)
    _prepare(args.site_dir, args.out, SERVE_MARK, "serve", _only_builds)
    configs = {lang: _parent_config(lang) for lang in CONFIGS}
    try:  # before any build, so a port in use is said at once
        server = http.server.ThreadingHTTPServer((host, port), _Handler)
    except OSError as exc:
        raise UsageError(f"--address {args.address}: cannot listen there: {exc.strerror or exc}") from None
    stop = threading.Event()
    try:
        _take(args.site_dir, SERVE_MARK, "serve", "made by python -m survey.site serve, in {}; its site-N folders are rebuilt at will\n", _only_builds)
        for old in _served_builds(list(args.site_dir.iterdir())):
            shutil.rmtree(old)
        _report(render.generate(args.root, args.out))
        number = [1]
        first = args.site_dir / "site-1"
        if build_site(args.out, first, configs, strict=False):
            return 1
        server.daemon_threads = True
        server.live = Live(first.resolve())
        watcher = threading.Thread(target=_rebuild, args=(args, server.live, stop, number), daemon=True)
        watcher.start()
        base = f"http://{host}:{server.server_address[1]}/"
        print(f"serving {base} (中文) and {base}en/ (English); pages rebuild when a card changes", flush=True)
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        server.server_close()
    return 0


def _only_builds(entries: list[Path]) -> bool:
    """A --site-dir an older serve made, before its mark named the folder: nothing but site-N builds (and
    that older mark)."""
    return len(_served_builds(entries)) == len([e for e in entries if e.name != SERVE_MARK])


COMMANDS = {"generate": generate, "build": build, "serve": serve}


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
    try:
        if problem := catalog_problem(args.root):
            raise UsageError(f"--root {shown(args.root)}: {problem}")
        if Path(os.path.realpath(args.out)).is_relative_to(os.path.realpath(args.root)):
            raise UsageError(f"--out {shown(args.out)}: expected a folder outside the catalog (--root {shown(args.root)})")
        if problem := render.refusal(args.out):
            raise UsageError(problem)
        return COMMANDS[args.command](args)
    except (UsageError, render.Refused) as exc:
        print(printable(f"survey.site {args.command}: {exc}"), file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(printable(f"survey.site {args.command}: {exc}"), file=sys.stderr)
        return 1
    except OSError as exc:  # a path the command line named, in a state no check above foresaw
        where = f": {exc.filename}" if exc.filename else ""
        print(printable(f"survey.site {args.command}: {exc.strerror or exc}{where}"), file=sys.stderr)
        return 2
