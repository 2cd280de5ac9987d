"""Hostile and broken input against `python -m survey.site` (generate, build, serve), as an attacker or a
careless contributor writes it, and the few `python -m survey` holes found on the way.

Same corpus style as tests/test_hostile_survey.py (helpers in tests/hostile.py): each case breaks one
thing in a temporary copy of the project and asserts what the user gets, as a subprocess: exit 1 for bad
data, 2 for a bad command line, a message saying where and what was expected, no traceback, nothing
changed but what the case allows, nothing deleted that the site tooling did not write, no half-written
file, nothing run that the input asked to run. Cases that build with mkdocs use the small catalog of
tests/conftest.py, which builds in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import write_catalog
from tests.hostile import PWNED, REPO, Corpus, Expect, World, a_file, field_error, repo_state, run_case  # noqa: F401 - fixture

CASES = Corpus()
case = CASES.case

MODEL = "models/alpaca.yaml"
COUNT = r"training\.hardware\.count"
MANIFEST = ".survey-generated.json"
JIEBA = "jieba.cache"  # the Chinese search tokenizer caches its dictionary in the temporary folder
NOT_A_CATALOG = r"expected a catalog folder \(holding concepts, datasets, .*recipes, reproductions/…\), found "


class Site(World):
    """A World that is also a project folder: the mkdocs configs and the theme overrides they name sit
    beside the catalog, so build and serve run in it as in the repository."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        for name in ("mkdocs.yml", "mkdocs.en.yml"):
            shutil.copy(REPO / name, tmp / name)
        shutil.copytree(REPO / "survey" / "site" / "theme", tmp / "survey" / "site" / "theme")

    def tiny(self) -> None:
        """Swap the real catalog for the small one (a build then takes seconds, not tens of them)."""
        shutil.rmtree(self.catalog)
        write_catalog(self.catalog)


def site(*args: str, out: str = "generated") -> list[str]:
    """`python -m survey.site --root catalog --out <out> <args>`."""
    return ["--root", "catalog", "--out", out, *args]


def generated(w: World, out: str = "generated") -> None:
    """Run generate once, as a user would have before the case's own run."""
    result = w.run(*site("generate", out=out), module="survey.site")
    assert result.returncode == 0, result.stdout + result.stderr


def _usage_case(name: str, make, says: str, module: str = "survey.site"):
    @case(name)
    def build(w: Site) -> Expect:
        return Expect(make(w), code=2, says=[says], module=module)


# --- --root: a catalog, or a clear refusal ----------------------------------------------------------

_usage_case("root-missing", lambda w: ["--root", "nowhere", "--out", "generated", "generate"],
            r"survey\.site generate: --root nowhere: " + NOT_A_CATALOG + "nothing")
_usage_case("root-is-a-file", lambda w: ["--root", str(a_file(w)), "--out", "generated", "generate"], r"a-file: " + NOT_A_CATALOG + "a file")
_usage_case("root-is-an-empty-folder", lambda w: ((w.tmp / "empty").mkdir(), ["--root", "empty", "--out", "generated", "generate"])[-1],
            r"--root empty: " + NOT_A_CATALOG + "a folder that holds none of these")
_usage_case("root-is-a-kind-folder", lambda w: ["--root", "catalog/models", "--out", "generated", "generate"], r"--root catalog/models: " + NOT_A_CATALOG)
_usage_case("root-is-the-project", lambda w: ["--root", ".", "--out", "generated", "generate"], r"--root \.: " + NOT_A_CATALOG)
_usage_case("root-too-long", lambda w: ["--root", "x" * 5000, "--out", "generated", "generate"], r"--root x{20}.*(too long|" + NOT_A_CATALOG + ")")
_usage_case("build-root-missing", lambda w: ["--root", "nowhere", "--out", "generated", "build", "--site-dir", "built"], r"survey\.site build: --root nowhere")
_usage_case("serve-root-missing", lambda w: ["--root", "nowhere", "--out", "generated", "serve", "--address", "127.0.0.1:0",
                                             "--site-dir", "served"], r"survey\.site serve: --root nowhere")
# The same mistake with `python -m survey export`, which wrote an empty export.
_usage_case("export-root-is-an-empty-folder", lambda w: ((w.tmp / "empty").mkdir(), ["export", "--root", "empty", "--out", "out"])[-1],
            r"survey export: --root empty: " + NOT_A_CATALOG, module="survey")
_usage_case("export-root-is-a-kind-folder", lambda w: ["export", "--root", "catalog/models", "--out", "out"],
            r"survey export: --root catalog/models: " + NOT_A_CATALOG, module="survey")


# --- --out: a folder generate made, or a new or empty one -----------------------------------------

_usage_case("out-is-a-file", lambda w: site("generate", out=str(a_file(w))), r"--out .*a-file: expected a folder .*found a file")
_usage_case("out-under-a-file", lambda w: site("generate", out=str(a_file(w) / "pages")), r"--out .*a-file/pages: cannot create it .*Not a directory")
_usage_case("out-unwritable", lambda w: site("generate", out="/proc/self/pages"), r"--out /proc/self/pages: cannot (create|write)")
_usage_case("out-too-long", lambda w: site("generate", out="p" * 300), r"--out p{20}.*File name too long")
_usage_case("out-inside-the-catalog", lambda w: site("generate", out="catalog/pages"),
            r"--out catalog/pages: expected a folder outside the catalog \(--root catalog\)")


def _foreign(w: World, name: str = "precious") -> Path:
    folder = w.tmp / name
    folder.mkdir(exist_ok=True)
    (folder / "thesis.tex").write_text("years of work\n")
    (folder / "en").mkdir()
    (folder / "en" / "index.md").write_text("# my own page\n")
    return folder


_REFUSED = r"--out {}: holds files generate did not make.*not touching it"
_usage_case("out-is-a-folder-of-someone-else", lambda w: site("generate", out=str(_foreign(w))), _REFUSED.format(".*precious"))
_usage_case("out-is-the-catalog", lambda w: site("generate", out="catalog"), r"--out catalog: (holds files generate did not make|expected a folder outside)")
_usage_case("out-is-the-project", lambda w: site("generate", out="."), _REFUSED.format(r"\."))
_usage_case("out-is-home", lambda w: ((w.tmp / "home" / "notes.txt").write_text("mine\n"), site("generate", out="home"))[-1], _REFUSED.format("home"))


@case("out-keeps-files-generate-did-not-make")
def _(w: World) -> Expect:
    generated(w)
    (w.tmp / "generated" / "en" / "my-notes.md").write_text("# notes I keep beside the pages\n")
    (w.tmp / "generated" / "todo.txt").write_text("mine\n")
    os.remove(w.path("models/koala.yaml"))  # its two pages go: generate wrote them

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert (w.tmp / "generated" / "en" / "my-notes.md").read_text() == "# notes I keep beside the pages\n"
        assert (w.tmp / "generated" / "todo.txt").read_text() == "mine\n"
        assert not (w.tmp / "generated" / "en" / "models" / "koala.md").exists()
        assert not (w.tmp / "generated" / "zh" / "models" / "koala.md").exists()
    return Expect(site("generate"), code=0, changes=("generated", "catalog/models/koala.yaml"), check=check, module="survey.site")


@case("out-keeps-a-page-edited-by-hand")
def _(w: World) -> Expect:
    generated(w)
    page = w.tmp / "generated" / "en" / "models" / "koala.md"
    page.write_text(page.read_text() + "\nA paragraph written by hand.\n")
    os.remove(w.path("models/koala.yaml"))

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert page.read_text().endswith("A paragraph written by hand.\n")
        assert not (w.tmp / "generated" / "zh" / "models" / "koala.md").exists()
    return Expect(site("generate"), code=0, says=[r"kept generated/en/models/koala\.md: .*changed since generate wrote it"],
                  changes=("generated", "catalog/models/koala.yaml"), check=check, module="survey.site")


@case("out-foreign-file-where-a-page-goes")
def _(w: World) -> Expect:
    generated(w)
    os.remove(w.path("models/koala.yaml"))
    generated(w)
    (w.tmp / "generated" / "en" / "models" / "koala.md").write_text("# my koala notes\n")
    shutil.copy(REPO / "catalog" / "models" / "koala.yaml", w.path("models/koala.yaml"))
    return Expect(site("generate"), code=2, says=[r"generated/en/models/koala\.md: .*not written by generate"], module="survey.site")


@case("out-forged-manifest-reaches-outside")
def _(w: World) -> Expect:
    generated(w)
    victim = w.tmp / "victim.txt"
    victim.write_text("keep me\n")
    manifest = json.loads((w.tmp / "generated" / MANIFEST).read_text())
    import hashlib

    digest = hashlib.sha256(victim.read_bytes()).hexdigest()
    card = hashlib.sha256(w.path(MODEL).read_bytes()).hexdigest()
    manifest["files"].update({"../victim.txt": [digest], str(victim): [digest], "en/../../victim.txt": [digest],
                              "../catalog/models/alpaca.yaml": [card]})
    (w.tmp / "generated" / MANIFEST).write_text(json.dumps(manifest))
    return Expect(site("generate"), code=0, changes=("generated",), module="survey.site")


@case("out-copied-with-its-manifest")
def _(w: World) -> Expect:
    generated(w)
    shutil.copytree(w.tmp / "generated", w.tmp / "copy")  # the copy's manifest names the folder it came from
    (w.tmp / "copy" / "en" / "index.md").write_text("# my edited copy\n")
    return Expect(site("generate", out="copy"), code=2, says=[_REFUSED.format("copy")], module="survey.site")


@case("out-planted-manifest")
def _(w: World) -> Expect:
    folder = _foreign(w)  # a folder as a pull request could commit it: pages of its own, and a manifest naming them
    digest = __import__("hashlib").sha256((folder / "en" / "index.md").read_bytes()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps({"made by": "python -m survey.site generate", "in": "folder 2049:2",
                                               "files": {"en/index.md": [digest], "thesis.tex": []}}))
    return Expect(site("generate", out=str(folder)), code=2, says=[_REFUSED.format(".*precious")], module="survey.site")


@case("out-damaged-manifest")
def _(w: World) -> Expect:
    generated(w)
    (w.tmp / "generated" / MANIFEST).write_text('{"files": ')
    return Expect(site("generate"), code=2, module="survey.site",
                  says=[r"--out generated: holds files generate did not make \(its \.survey-generated\.json was not written there by generate: copied, planted or damaged\)"])


@case("out-link-to-another-folder-inside")
def _(w: World) -> Expect:
    generated(w)
    shutil.rmtree(w.tmp / "generated" / "en")
    os.symlink(w.catalog, w.tmp / "generated" / "en")  # a planted link: pages would land among the cards
    return Expect(site("generate"), code=2, says=[r"generated/en: .*link"], module="survey.site")


@case("out-file-where-a-folder-goes")
def _(w: World) -> Expect:
    generated(w)
    shutil.rmtree(w.tmp / "generated" / "en" / "models")
    (w.tmp / "generated" / "en" / "models").write_text("my list of models\n")
    return Expect(site("generate"), code=2, says=[r"generated/en/models: expected a folder for the generated pages, found a file"],
                  module="survey.site")


@case("out-page-replaced-by-a-fifo")
def _(w: World) -> Expect:
    generated(w)
    page = w.tmp / "generated" / "en" / "index.md"
    page.unlink()
    os.mkfifo(page)
    return Expect(site("generate"), code=2, says=[r"generated/en/index\.md: .*FIFO"], timeout=30, module="survey.site")


@case("out-page-replaced-by-a-link")
def _(w: World) -> Expect:
    generated(w)
    page = w.tmp / "generated" / "en" / "index.md"
    page.unlink()
    (w.tmp / "elsewhere.md").write_text("not a page\n")
    os.symlink(w.tmp / "elsewhere.md", page)
    return Expect(site("generate"), code=2, says=[r"generated/en/index\.md: .*link"], module="survey.site")


@case("out-new-folder")
def _(w: World) -> Expect:
    def check(w: World, result: subprocess.CompletedProcess) -> None:
        manifest = json.loads((w.tmp / "fresh" / "pages" / MANIFEST).read_text())
        assert "en/index.md" in manifest["files"] and "zh/models/alpaca.md" in manifest["files"]
        assert (w.tmp / "fresh" / "pages" / "search-words.txt").is_file()
    return Expect(site("generate", out="fresh/pages"), code=0, says=[r"generated fresh/pages \(\d+ files changed\)"],
                  changes=("fresh",), check=check, module="survey.site")


# --- cards: a valid one always renders, an invalid one is named and left out ------------------------

@case("empty-catalog")
def _(w: World) -> Expect:
    for card in w.catalog.glob("*/*.yaml"):
        card.unlink()
    assert w.run("check", "catalog").returncode == 0  # a catalog with no cards yet passes the check...
    return Expect(site("generate"), code=0, changes=("generated",), module="survey.site")  # ...and renders


@case("invalid-card-is-named-and-left-out")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "count: 8\n", "count: eight\n")

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert not (w.tmp / "generated" / "en" / "models" / "alpaca.md").exists()
        assert (w.tmp / "generated" / "en" / "models" / "vicuna.md").is_file()
        assert "skipped (not valid)" not in result.stderr
    return Expect(site("generate"), code=1, changes=("generated",), check=check, module="survey.site",
                  says=[field_error(MODEL, line, COUNT, "integer", "'eight'"),
                        r"left out 1 card that is not valid: catalog/models/alpaca\.yaml"])


@case("dangling-reference-is-named")
def _(w: World) -> Expect:
    w.edit(MODEL, "recipes: [alpaca-7b]", "recipes: [no-such-recipe]")
    return Expect(site("generate"), code=1, changes=("generated",), module="survey.site",
                  says=[r"catalog/models/alpaca\.yaml:\d+:\d+: recipes\[0\]: expected the id of a recipe card, found 'no-such-recipe'"])


@case("layout-warning-is-a-warning")
def _(w: World) -> Expect:
    w.write("models/README.txt", "notes about the models folder\n")

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert "skipped" not in result.stdout + result.stderr and "not valid" not in result.stdout + result.stderr
    return Expect(site("generate"), code=0, changes=("generated",), check=check, module="survey.site",
                  says=[r"catalog/models/README\.txt: warning: expected only \.yaml cards here"])


@case("card-with-the-id-index")
def _(w: World) -> Expect:
    # models/index.md is the page listing every model: a card may not take its place.
    text = w.text(MODEL).replace("id: alpaca\n", "id: index\n").replace("name: Alpaca", "name: Index model")
    text = text.replace("aliases: [stanford-alpaca-7b, 羊驼]\n", "").replace("hub: tatsu-lab/alpaca-7b-wdiff", "hub: someone/index-7b")
    w.write("models/index.yaml", text)
    return Expect(["check", "catalog"], code=1, says=[r"catalog/models/index\.yaml:2:5: id: expected an id other than 'index'"])


_usage_case("new-card-with-the-id-index", lambda w: ["new", "model", "index", "--root", "catalog"], r"'index'", module="survey")


@case("schema-folder-holds-a-link-to-a-secret")
def _(w: World) -> Expect:
    (w.tmp / "home" / "secret.json").write_text('{"token": "s3cr3t"}\n')
    os.symlink(w.tmp / "home" / "secret.json", w.path("schema/leak.json"))
    os.mkfifo(w.path("schema/fifo.json"))

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        published = sorted(p.name for p in (w.tmp / "generated" / "en" / "downloads" / "schema").iterdir())
        assert published == sorted(p.name for p in (REPO / "catalog" / "schema").glob("*.json")), published
        assert not any("s3cr3t" in p.read_text("utf-8", "replace") for p in (w.tmp / "generated").rglob("*") if p.is_file())
    return Expect(site("generate"), code=0, changes=("generated",), check=check, timeout=30, module="survey.site")


@case("git-config-runs-no-program")
def _(w: World) -> Expect:
    # A catalog in a git repository whose own config asks `git log` to check signatures with a program of its choosing.
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(w.tmp), *args], capture_output=True, text=True, check=True,
                              env={**w.env(), "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
                                   "GIT_COMMITTER_EMAIL": "a@b"}).stdout.strip()

    git("init", "-q")
    git("add", "catalog")
    git("commit", "-qm", "cards")
    w.edit(MODEL, "count: 8\n", "count: 8  # from the blog\n")
    git("commit", "-qam", "a comment")
    forged = (f"tree {git('rev-parse', 'HEAD^{tree}')}\nparent {git('rev-parse', 'HEAD~1')}\nauthor a <a@b> 1700000000 +0000\n"
              "committer a <a@b> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n x\n -----END PGP SIGNATURE-----\n\nsigned\n")
    commit = subprocess.run(["git", "-C", str(w.tmp), "hash-object", "-t", "commit", "-w", "--stdin"], input=forged,
                            capture_output=True, text=True, check=True).stdout.strip()
    git("update-ref", "HEAD", commit)
    program = w.tmp / "home" / "gpg"
    program.write_text(f"#!/bin/sh\ntouch {w.tmp / PWNED}\n")
    program.chmod(0o755)
    git("config", "log.showSignature", "true")
    git("config", "gpg.program", str(program))
    return Expect(site("generate"), code=0, changes=("generated",), module="survey.site")


# --- build: mkdocs empties its site folder, so only one build made --------------------------------

def _build(w: Site, site_dir: str = "built") -> list[str]:
    w.tiny()
    return site("build", "--site-dir", site_dir)


_usage_case("build-site-dir-of-someone-else", lambda w: (_foreign(w), _build(w, "precious"))[-1],
            r"survey\.site build: --site-dir precious: holds files build did not make.*not touching it")
_usage_case("build-site-dir-is-the-project", lambda w: _build(w, "."), r"--site-dir \.: holds files build did not make")
_usage_case("build-site-dir-is-a-file", lambda w: _build(w, str(a_file(w))), r"--site-dir .*a-file: expected a folder .*found a file")
_usage_case("build-site-dir-under-a-file", lambda w: _build(w, str(a_file(w) / "site")), r"--site-dir .*a-file/site: cannot create it .*Not a directory")
_usage_case("build-site-dir-unwritable", lambda w: _build(w, "/proc/self/site"), r"--site-dir /proc/self/site: cannot (create|write)")
_usage_case("build-site-dir-too-long", lambda w: _build(w, "s" * 300), r"--site-dir s{20}.*File name too long")
_usage_case("build-site-dir-inside-out", lambda w: (generated(w), _build(w, "generated/zh/site"))[-1],
            r"--site-dir generated/zh/site: expected a folder outside --out generated")
_usage_case("build-out-of-someone-else", lambda w: (_foreign(w), w.tiny(), site("build", "--site-dir", "built", out="precious"))[-1],
            r"--out precious: holds files generate did not make")


@case("build-site-dir-with-a-planted-mark")
def _(w: Site) -> Expect:
    folder = _foreign(w)
    (folder / ".survey-build").write_text("made by python -m survey.site build, in folder 2049:2\n")
    return Expect(_build(w, "precious"), code=2, says=[r"--site-dir precious: holds files build did not make"], module="survey.site")


@case("build-site-dir-a-link-to-the-catalog")
def _(w: Site) -> Expect:
    os.symlink("catalog", w.tmp / "built")
    w.write(".survey-build", "made by python -m survey.site build, in folder 2049:2\n")  # planted beside the cards
    return Expect(_build(w), code=2, says=[r"--site-dir built: holds files build did not make"], module="survey.site")


@case("build-planted-link-inside-its-folder")
def _(w: Site) -> Expect:
    first = w.run(*_build(w), module="survey.site")
    assert first.returncode == 0, first.stdout + first.stderr
    (w.tmp / "elsewhere").mkdir()
    (w.tmp / "elsewhere" / "keep.txt").write_text("mine\n")
    shutil.rmtree(w.tmp / "built" / "assets")
    os.symlink(w.tmp / "elsewhere", w.tmp / "built" / "assets")  # mkdocs would write the site's assets there

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert (w.tmp / "built" / "assets").is_dir() and not (w.tmp / "built" / "assets").is_symlink()
    return Expect(site("build", "--site-dir", "built"), code=0, changes=("built", "generated", JIEBA), check=check, module="survey.site")


@case("build-refuses-before-mkdocs-when-a-card-is-invalid")
def _(w: Site) -> Expect:
    w.tiny()
    line = w.edit("models/tiny-chat.yaml", "    count: 8\n", "    count: eight\n")

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert not (w.tmp / "built" / "index.html").exists()
    return Expect(site("build", "--site-dir", "built"), code=1, changes=("generated", "built"), check=check, module="survey.site",
                  says=[field_error("models/tiny-chat.yaml", line, COUNT, "integer", "'eight'"), r"not built: fix the errors above"])


@case("build-twice-into-its-own-folder")
def _(w: Site) -> Expect:
    w.tiny()
    first = w.run(*site("build", "--site-dir", "built"), module="survey.site")
    assert first.returncode == 0, first.stdout + first.stderr
    (w.tmp / "built" / "stale.html").write_text("from an older build\n")

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert (w.tmp / "built" / "index.html").is_file() and (w.tmp / "built" / "en" / "index.html").is_file()
        assert not (w.tmp / "built" / "stale.html").exists()
    return Expect(site("build", "--site-dir", "built"), code=0, changes=("built", "generated", JIEBA), check=check, module="survey.site")


@case("build-a-valid-card-of-odd-text")
def _(w: Site) -> Expect:
    w.tiny()
    odd = "'Tiny | Chat [1] *x* _y_ `z` {: .c } ### #h $m$ ~~s~~ ^^i^^ ==m== --8<-- \"/etc/passwd\" ??? note !!! warn {{ page }}'"
    w.edit("models/tiny-chat.yaml", "name: Tiny Chat", f"name: {odd}")
    w.edit("models/tiny-chat.yaml", "An instruction model.", "'[^1] {: onclick=\"x\" } --8<-- \"/etc/passwd\" {% raw %} :material-home:'")
    assert w.run("check", "catalog").returncode == 0

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        for lang in ("", "en/"):
            page = (w.tmp / "built" / lang / "models" / "tiny-chat" / "index.html").read_text("utf-8")
            assert "onclick" not in _attributes(page) and "root:x:0:0" not in page
    return Expect(site("build", "--site-dir", "built"), code=0, changes=("built", "generated", JIEBA), check=check, module="survey.site")


def _attributes(page: str) -> set[str]:
    """The names of every attribute of every element of an HTML page."""
    from html.parser import HTMLParser

    names: set[str] = set()
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: names.update(name for name, _value in attrs)
    parser.feed(page)
    return names


@case("build-without-mkdocs-yml")
def _(w: Site) -> Expect:
    (w.tmp / "mkdocs.yml").unlink()
    return Expect(_build(w), code=2, says=[r"survey\.site build: no mkdocs\.yml in .*: run it from the project folder"], module="survey.site")


@case("build-broken-mkdocs-yml")
def _(w: Site) -> Expect:
    (w.tmp / "mkdocs.en.yml").write_text((REPO / "mkdocs.en.yml").read_text("utf-8").replace("theme:\n", "theme: [\n", 1), "utf-8")
    return Expect(_build(w), code=1, says=[r"mkdocs\.en\.yml:\d+:\d+: "], changes=("generated",), module="survey.site")


@case("build-mkdocs-yml-with-a-python-tag")
def _(w: Site) -> Expect:
    text = (REPO / "mkdocs.yml").read_text("utf-8")
    (w.tmp / "mkdocs.yml").write_text(text + f"extra:\n  x: !!python/object/apply:os.system ['touch {w.tmp / PWNED}']\n", "utf-8")
    return Expect(_build(w), code=1, says=[r"mkdocs\.yml:\d+:\d+: "], changes=("generated",), module="survey.site")


# --- serve: its address and folders checked before any work ------------------------------------------

def _serve(w: World, address: str = "127.0.0.1:0", site_dir: str = "served") -> list[str]:
    return site("serve", "--address", address, "--site-dir", site_dir)


_usage_case("serve-refuses-a-folder-it-did-not-make",
            lambda w: ((_foreign(w) / "site-1").mkdir(), _serve(w, site_dir=str(w.tmp / "precious")))[-1], r"--site-dir .*precious: holds files serve did not make")
_usage_case("serve-refuses-a-file", lambda w: _serve(w, site_dir=str(a_file(w))), r"--site-dir .*a-file: expected a folder .*found a file")
_usage_case("serve-out-of-someone-else", lambda w: (_foreign(w), site("serve", "--address", "127.0.0.1:0", "--site-dir", "served", out="precious"))[-1],
            r"--out precious: holds files generate did not make")
_usage_case("serve-address-without-a-port", lambda w: _serve(w, "localhost"), r"--address localhost: expected host:port")
_usage_case("serve-address-port-not-a-number", lambda w: _serve(w, "127.0.0.1:http"), r"--address 127\.0\.0\.1:http: expected host:port")
_usage_case("serve-address-port-too-big", lambda w: _serve(w, "127.0.0.1:99999"), r"--address 127\.0\.0\.1:99999: expected .*0 to 65535")


@case("serve-address-in-use")
def _(w: World) -> Expect:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    w.keep = taken  # held open until the case is over
    port = taken.getsockname()[1]
    return Expect(_serve(w, f"127.0.0.1:{port}"), code=2, says=[rf"--address 127\.0\.0\.1:{port}: cannot listen there: .*in use"],
                  timeout=20, module="survey.site")


# --- the tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path, repo_state) -> None:
    w = Site(tmp_path)
    run_case(w, CASES[name](w))


def _started(w: World, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "survey.site", *args], cwd=w.tmp, env=w.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _interrupted(process: subprocess.Popen, after: float) -> tuple[str, str]:
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert "Traceback" not in out + err, err
    assert process.returncode == 130, out + err
    assert err.strip().splitlines()[-1:] == ["interrupted"], err
    return out, err


def test_ctrl_c_during_generate_exits_130_with_one_line(tmp_path: Path) -> None:
    w = Site(tmp_path)
    for delay in (0.25, 0.6, 1.2):  # while Python imports, while the cards load, while pages are written
        _out, err = _interrupted(_started(w, *site("generate")), delay)
        assert err.strip().splitlines() == ["interrupted"], err
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp") and not p.name.startswith(".")]


def test_ctrl_c_during_build_stops_mkdocs_too(tmp_path: Path) -> None:
    w = Site(tmp_path)
    # The signal goes once mkdocs is building (its work folder exists), a little later on each try: an idle
    # machine builds both languages in a few seconds, and a build that ended first proves nothing.
    for wait in (1.0, 0.3, 0.0):
        process = _started(w, *site("build", "--site-dir", "built"))
        deadline = time.monotonic() + 120
        while process.poll() is None and not any(tmp_path.glob("survey-site-*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(wait)
        if process.poll() is None:
            break
        process.communicate()
    else:
        pytest.fail("every build ended before Ctrl-C could reach mkdocs")
    _interrupted(process, 0)
    time.sleep(3)
    before = {p: p.stat().st_mtime for p in (tmp_path / "built").rglob("*")} if (tmp_path / "built").exists() else {}
    time.sleep(3)
    after = {p: p.stat().st_mtime for p in (tmp_path / "built").rglob("*")} if (tmp_path / "built").exists() else {}
    assert before == after, "mkdocs kept writing after the build was interrupted"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("survey-site-")], "the build's work folder was left behind"


def test_killed_generate_leaves_every_page_whole(tmp_path: Path) -> None:
    """Killed at any moment, generate leaves each page as it was or as it is now, never a part of one."""
    w = Site(tmp_path)
    generated(w)

    def pages() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in (tmp_path / "generated").rglob("*") if p.is_file() and not p.name.startswith(".")}

    old = pages()
    for card in w.catalog.glob("models/*.yaml"):
        card.write_text(card.read_text("utf-8").replace("\nsummary:\n  zh: ", "\nsummary:\n  zh: 改过的摘要。", 1), "utf-8")
    seen = []
    for delay in (0.8, 1.2, 1.6, 2.0):
        process = _started(w, *site("generate"))
        time.sleep(delay)
        process.kill()
        process.wait(timeout=30)
        seen.append(pages())
    result = w.run(*site("generate"), module="survey.site")
    assert result.returncode == 0, result.stdout + result.stderr
    new = pages()
    assert new != old
    for state in seen:
        for path, data in state.items():
            assert data in (old.get(path), new.get(path)), f"{path} is neither the old page nor the new one"
    again = w.run(*site("generate"), module="survey.site")
    assert "(0 files changed)" in again.stdout, again.stdout
    assert pages() == new


def test_two_generates_at_once_do_not_collide(tmp_path: Path) -> None:
    w = Site(tmp_path)
    runs = [_started(w, *site("generate")) for _ in range(3)]
    results = [(run.wait(timeout=120), run.stdout.read() + run.stderr.read()) for run in runs]
    for code, output in results:
        assert code == 0 and "Traceback" not in output, output
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name]
    again = w.run(*site("generate"), module="survey.site")
    assert "(0 files changed)" in again.stdout, again.stdout + again.stderr


def test_serve_empties_no_folder_a_planted_link_points_at(tmp_path: Path) -> None:
    """A link planted among serve's builds (a pull request can commit one into an ignored folder) where the
    next build goes: mkdocs would empty the folder it points at before building into it."""
    from survey.files import stamp

    w = Site(tmp_path)
    w.tiny()
    served = tmp_path / "served"
    served.mkdir()
    (served / ".survey-serve").write_text(f"made by python -m survey.site serve, in {stamp(served)}\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.txt").write_text("mine\n")
    os.symlink(tmp_path / "elsewhere", served / "site-1")
    process = _started(w, *site("serve", "--address", "127.0.0.1:0", "--site-dir", "served"))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (served / "site-1" / "index.html").is_file():
            assert process.poll() is None, process.communicate()
            time.sleep(0.5)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert (tmp_path / "elsewhere" / "keep.txt").read_text() == "mine\n", out + err
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["keep.txt"]
    assert not (served / "site-1").is_symlink() and (served / "site-1" / "index.html").is_file()


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 50
