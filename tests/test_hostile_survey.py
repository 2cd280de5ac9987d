"""Hostile and broken input against `python -m survey`, as an attacker or a careless contributor writes it.

Each case copies the real catalog into a temporary folder, breaks one thing, runs the command line as a
user would (a subprocess, `sys.executable -m survey`) and asserts what the user gets: exit 1 for bad
data (2 for a bad command line), a message naming the file, the line, the field and what was expected,
no Python traceback, no file changed or half-written, nothing run that the input asked to run, and
nothing written outside the temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile import PWNED, Corpus, Expect, World, a_file, field_error, repo_state, run_case  # noqa: F401 - fixture

CASES = Corpus()
case = CASES.case


MODEL = "models/alpaca.yaml"
RECIPE = "recipes/vicuna-7b.yaml"
REMOTE = "recipes/sft-baichuan-7b-prefix.yaml"
EXPERIMENT = "experiments/baichuan-7b-sft-prefix.yaml"
EVALUATION = "evaluations/llmzoo-evaluation.yaml"
ALIASES = "aliases: [stanford-alpaca-7b, 羊驼]"  # as the real card has them
PARAMS = r"sizes\[0\]\.parameters(\.value)?"
COUNT = r"training\.hardware\.count"


def check_model(*_: object) -> list[str]:
    return ["check", "catalog"]


# --- numbers: every number the schema accepts renders ----------------------------------------------

def changed_line(w: World, relative: str, old: str, new: str) -> int:
    """Edit, and return the line of the first line of `new` that differs from `old`."""
    pairs = list(zip(old.splitlines() + [""] * 99, new.splitlines()))
    return w.edit(relative, old, new) + next(i for i, (a, b) in enumerate(pairs) if a != b)


def _number_case(name: str, relative: str, old: str, new: str, field_name: str, expected: str, found: str = ".+"):
    @case(name)
    def build(w: World) -> Expect:
        line = changed_line(w, relative, old, new)
        return Expect(["check", "catalog"], says=[field_error(relative, line, field_name, expected, found)])


_number_case("parameters-nan", MODEL, "value: 7B, source: blog", "value: .nan, source: blog", PARAMS, "finite", "nan")
_number_case("parameters-inf", MODEL, "value: 7B, source: blog", "value: .inf, source: blog", PARAMS, "finite", "inf")
_number_case("parameters-negative-inf", MODEL, "value: 7B, source: blog", "value: -.inf, source: blog", PARAMS, "finite")
_number_case("parameters-negative", MODEL, "value: 7B, source: blog", "value: -7000000000, source: blog", PARAMS, "", "-7000000000")
_number_case("parameters-zero", MODEL, "value: 7B, source: blog", "value: 0, source: blog", PARAMS, "at least 1", "0")
_number_case("parameters-hundreds-of-digits", MODEL, "value: 7B, source: blog", "value: " + "9" * 300 + ", source: blog", PARAMS, "at most")
_number_case("parameters-thousands-of-digits", MODEL, "value: 7B, source: blog", "value: " + "9" * 5000 + ", source: blog", PARAMS, "")
_number_case("parameters-hex", MODEL, "value: 7B, source: blog", "value: 0x1A2B3C, source: blog", PARAMS, "decimal", ".*0x1A2B3C")
_number_case("parameters-octal", MODEL, "value: 7B, source: blog", "value: 0o17, source: blog", PARAMS, "decimal", ".*0o17")
_number_case("parameters-leading-zero", MODEL, "value: 7B, source: blog", "value: 0700, source: blog", PARAMS, "decimal", ".*0700")
_number_case("parameters-text-nan", MODEL, "value: 7B, source: blog", "value: 'nan', source: blog", PARAMS, "")
_number_case("parameters-text-infinity", MODEL, "value: 7B, source: blog", "value: Infinity, source: blog", PARAMS, "")
_number_case("parameters-fraction", MODEL, "value: 7B, source: blog", "value: 0.5, source: blog", PARAMS, "")
_number_case("parameters-float-overflow", MODEL, "value: 7B, source: blog", "value: 1e400, source: blog", PARAMS, "finite")
_number_case("parameters-bool", MODEL, "value: 7B, source: blog", "value: true, source: blog", PARAMS, "")
_number_case("hardware-count-negative", MODEL, "count: 8\n", "count: -8\n", COUNT, "", "-8")
_number_case("hardware-count-hex", MODEL, "count: 8\n", "count: 0x8\n", COUNT, "decimal", ".*0x8")
_number_case("hardware-count-huge", MODEL, "count: 8\n", "count: 80000000000000\n", COUNT, "at most")
_number_case("hardware-count-fraction", MODEL, "count: 8\n", "count: 8.5\n", COUNT, "integer", "8.5")
_number_case("hardware-count-text", MODEL, "count: 8\n", "count: '8'\n", COUNT, "integer", "'8'")
_number_case("time-negative", MODEL, "    value: 3\n    unit: hours", "    value: -3\n    unit: hours", r"training\.time(\.value)?", "", "-3")
_number_case("time-absurd", MODEL, "    value: 3\n    unit: hours", "    value: 3000000000\n    unit: hours", r"training\.time(\.value)?", "at most")
_number_case("time-nan", MODEL, "    value: 3\n    unit: hours", "    value: .NaN\n    unit: hours", r"training\.time(\.value)?", "finite")
_number_case("cost-negative", MODEL, "    min: 0\n    max: 600\n", "    min: -600\n    max: 600\n", r"training\.cost(\.min)?", "", "-600")
_number_case("cost-absurd", MODEL, "    min: 0\n    max: 600\n", "    min: 0\n    max: 1e300\n", r"training\.cost(\.max)?", "at most")
_number_case("data-negative", MODEL, "    - value: 52K\n", "    - value: -52000\n", r"training\.data\[0\](\.value)?", "", "-52000")
_number_case("learning-rate-inf", RECIPE, "learning_rate: 2e-05", "learning_rate: .inf", r"hyperparameters\.learning_rate", "finite")
_number_case("learning-rate-absurd", RECIPE, "learning_rate: 2e-05", "learning_rate: 1e9", r"hyperparameters\.learning_rate", "")
_number_case("adam-beta-nan", RECIPE, "learning_rate: 2e-05", "learning_rate: 2e-05\n  adam_beta1: .nan", r"hyperparameters\.adam_beta1", "finite")
_number_case("seed-huge", RECIPE, "learning_rate: 2e-05", "learning_rate: 2e-05\n  seed: 100000000000000000000000", r"hyperparameters\.seed", "")
_number_case("max-length-huge", RECIPE, "max_length: 2048", "max_length: 20000000000000000000", r"hyperparameters\.max_length", "")
_number_case("shape-hex", RECIPE, "layers: 32", "layers: 0x20", r"base\.shape\.layers", "decimal", ".*0x20")
_number_case("shape-fraction", RECIPE, "layers: 32", "layers: 32.5", r"base\.shape\.layers", "integer", "32.5")
_number_case("score-absurd", EVALUATION, "value: 85.2", "value: 100000", r"tables\[0\]\.results\[0\]\.score(\.value)?", "")
_number_case("score-negative", EVALUATION, "value: 85.2", "value: -5", r"tables\[0\]\.results\[0\]\.score(\.value)?", "")
_number_case("steps-negative", EXPERIMENT, "min: 7000", "min: -1", r"checkpoint_steps\.min", "", "-1")
_number_case("steps-huge", EXPERIMENT, "max: 10000", "max: " + "1" * 40, r"checkpoint_steps\.max", "")
_number_case("experiment-lr-nan", EXPERIMENT, "learning_rate: 5.0e-5", "learning_rate: .nan", r"hyperparameters\.learning_rate", "finite")
_number_case("deepspeed-config-nan", RECIPE, "overlap_comm: true", "overlap_comm: .nan", r"deepspeed\.config\.zero_optimization\.overlap_comm", "finite")
_number_case("explicit-int-tag-hex", MODEL, "count: 8\n", "count: !!int 0x8\n", COUNT, "decimal")


# --- one rule for every string that reaches a reader ---------------------------------------------

def _string_case(name: str, relative: str, old: str, new: str, field_name: str, expected: str = "(HTML|http)"):
    @case(name)
    def build(w: World) -> Expect:
        line = changed_line(w, relative, old, new)
        return Expect(["check", "catalog"], says=[field_error(relative, line, field_name, expected)])


_string_case("alias-script", MODEL, ALIASES, "aliases: [stanford-alpaca-7b, '<script>alert(1)</script>']", r"aliases\[1\]")
_string_case("alias-bold", MODEL, ALIASES, "aliases: [stanford-alpaca-7b, '<b>bold</b>']", r"aliases\[1\]")
_string_case("as-surveyed-img", MODEL, "as_surveyed: 是", "as_surveyed: '<img src=x onerror=alert(1)>'", r"open\.code\.as_surveyed")
_string_case("license-anchor", MODEL, "id: CC-BY-NC-4.0", "id: '<a href=\"https://evil.example\">MIT</a>'", r"license\.id")
_string_case("source-title-js-link", MODEL, "title: tatsu-lab/stanford_alpaca", "title: '[repo](javascript:alert(1))'", r"sources\.repo\.title", "http")
_string_case("template-text-iframe", RECIPE, "sep2: </s>", "sep2: </s>\n    sep3: '<iframe src=\"https://evil.example\"></iframe>'", r"template\.text\.sep3")
_string_case("template-key-script", RECIPE, "sep2: </s>", "sep2: </s>\n    '<script>x</script>': y", r"template\.text")
_string_case("template-system-svg", RECIPE, "system: A chat between", "system: <svg onload=alert(1)> A chat between", r"template\.system")
_string_case("system-prompt-data-link", EXPERIMENT, 'system_prompt: "你是由XXX开发的XXX，被设计来生成……"', "system_prompt: '[x](data:text/html;base64,PHNjcmlwdD4=)'", "system_prompt", "http")
_string_case("summary-backticked-html", MODEL, "  en: Stanford's instruction-following model,", "  en: '`<img src=x onerror=alert(1)>`' # ", r"summary\.en")
_string_case("summary-autolink-js", MODEL, "  en: Stanford's instruction-following model,", "  en: 'see <javascript:alert(1)>' # ", r"summary\.en", "http")
_string_case("summary-reference-link-js", MODEL, "  en: Stanford's instruction-following model,", "  en: \"see [a]\\n\\n[a]: javascript:alert(1)\" # ", r"summary\.en", "http")
_string_case("summary-image-js", MODEL, "  en: Stanford's instruction-following model,", "  en: '![x](javascript:alert(1))' # ", r"summary\.en", "http")
_string_case("summary-mixed-case-js", MODEL, "  en: Stanford's instruction-following model,", "  en: '[x]( JaVaScRiPt:alert(1))' # ", r"summary\.en", "http")
_string_case("summary-entity-js", MODEL, "  en: Stanford's instruction-following model,", "  en: '[x](&#106;avascript:alert(1))' # ", r"summary\.en", "http")
_string_case("summary-comment", MODEL, "  en: Stanford's instruction-following model,", "  en: 'hidden <!-- comment -->' # ", r"summary\.en")
_string_case("summary-bold-tag", MODEL, "  en: Stanford's instruction-following model,", "  en: '<b>bold</b>' # ", r"summary\.en")
_string_case("deepspeed-config-script", RECIPE, "overlap_comm: true", "overlap_comm: '<script>alert(1)</script>'", r"deepspeed\.config\.zero_optimization\.overlap_comm")
_string_case("size-name-style", MODEL, "name: alpaca-7b", "name: '<style>body{display:none}</style>'", r"sizes\[0\]\.name")
_string_case("launch-iframe", RECIPE, "launch: torchrun", "launch: <iframe/src=x> torchrun", "launch")
_string_case("name-escape-sequence", MODEL, "name: Alpaca", 'name: "Alpaca\\e[31m red"', "name", "control")
_string_case("alias-bidi-override", MODEL, ALIASES, 'aliases: [stanford-alpaca-7b, "\\u202Eevil"]', r"aliases\[1\]", "control")
_string_case("huge-string", MODEL, "name: Alpaca", "name: '" + "x" * 200_000 + "'", "name", "at most")
_string_case("url-breaks-out-of-an-attribute", MODEL, "repository: https://github.com/tatsu-lab/stanford_alpaca", "repository: 'https://github.com/x\"onmouseover=\"alert(1)'", r"links\.repository", "http")
_string_case("deviation-topic-img", RECIPE, "topic: data", "topic: <img src=x onerror=alert(1)>", r"deviations\[0\]\.topic")


# --- YAML weirdness --------------------------------------------------------------------------------

@case("python-object-apply-tag")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "name: Alpaca", f"name: !!python/object/apply:os.system ['touch {PWNED}']")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: .*tag"])


@case("python-name-tag")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "name: Alpaca", "name: !!python/name:os.system")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: .*tag"])


@case("binary-tag")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "name: Alpaca", "name: !!binary QWxwYWNh")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: .*(tag|binary)"])


@case("set-tag")
def _(w: World) -> Expect:
    line = w.edit(MODEL, ALIASES, "aliases: !!set {stanford-alpaca-7b: null}")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: .*(tag|set)"])


@case("local-tag")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "name: Alpaca", "name: !ruby/object:Gem::Installer x")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: .*tag"])


@case("deep-nesting")
def _(w: World) -> Expect:
    line = w.edit(MODEL, ALIASES, "aliases: " + "[" * 5000 + "]" * 5000)
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: .*nest"])


@case("deep-nesting-block")
def _(w: World) -> Expect:
    body = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n"
    w.write(MODEL, w.text(MODEL) + "extra:\n" + "\n".join("  " + l for l in body.splitlines()) + "\n")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:\d+:\d+: .*(nest|unknown field)"])


@case("alias-bomb")
def _(w: World) -> Expect:
    lines = ["x0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"x{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]" for i in range(1, 9)]
    w.write(MODEL, w.text(MODEL) + "\n".join(lines) + "\n")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:\d+:\d+: .*alias"])


@case("single-alias")
def _(w: World) -> Expect:
    w.edit(MODEL, "organizations: [stanford-crfm]", "organizations: &orgs [stanford-crfm]")
    line = w.edit(MODEL, "languages: [en]", "languages: *orgs")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: languages: .*alias"])


@case("latin-1-byte")
def _(w: World) -> Expect:
    w.path(MODEL).write_bytes(w.path(MODEL).read_bytes().replace(b"name: Alpaca", b"name: Alpaca caf\xe9"))
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:3:\d+: expected UTF-8 text, found the byte 0xe9"])


@case("utf-16")
def _(w: World) -> Expect:
    w.path(MODEL).write_bytes(w.text(MODEL).encode("utf-16"))
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:1:1: expected UTF-8 text"])


@case("nul-byte")
def _(w: World) -> Expect:
    w.path(MODEL).write_bytes(w.path(MODEL).read_bytes().replace(b"name: Alpaca", b"name: Al\x00paca"))
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:3:\d+: .*(control|NUL|0x00)"])


@case("crlf-with-an-error")
def _(w: World) -> Expect:
    text = w.text(MODEL).replace("count: 8\n", "count: eight\n")
    w.path(MODEL).write_bytes(text.replace("\n", "\r\n").encode())
    return Expect(check_model(), says=[field_error(MODEL, 55, COUNT, "integer", "'eight'")])


@case("bom-with-an-error")
def _(w: World) -> Expect:
    text = w.text(MODEL).replace("count: 8\n", "count: eight\n")
    w.path(MODEL).write_bytes(b"\xef\xbb\xbf" + text.encode())
    return Expect(check_model(), says=[field_error(MODEL, 55, COUNT, "integer", "'eight'")])


@case("tab-indentation")
def _(w: World) -> Expect:
    w.edit(MODEL, "  zh: 斯坦福", "\tzh: 斯坦福")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:5:1: expected spaces for indentation, found a tab"])


@case("duplicate-key")
def _(w: World) -> Expect:
    w.write(MODEL, w.text(MODEL) + "name: Again\n")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:\d+:1: name: expected each key once"])


@case("non-text-key")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "name: Alpaca", "name: Alpaca\n1: one")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line + 1}:\d+: .*(key|unknown field)"])


@case("null-key")
def _(w: World) -> Expect:
    line = w.edit(RECIPE, "sep2: </s>", "sep2: </s>\n    null: x")
    return Expect(check_model(), says=[rf"catalog/recipes/vicuna-7b\.yaml:{line + 1}:\d+: .*key"])


@case("complex-key")
def _(w: World) -> Expect:
    w.write(MODEL, w.text(MODEL) + "? [a, b]\n: x\n")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:\d+:\d+: .*key"])


@case("two-documents")
def _(w: World) -> Expect:
    w.write(MODEL, w.text(MODEL) + "---\nid: other\n")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:\d+:\d+: .*(document|YAML)"])


@case("top-level-list")
def _(w: World) -> Expect:
    w.write(MODEL, "- id: alpaca\n")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:1:1: expected a mapping"])


@case("only-comments")
def _(w: World) -> Expect:
    w.write(MODEL, "# nothing here\n")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:1:1: expected a card"])


@case("unclosed-flow")
def _(w: World) -> Expect:
    w.edit(MODEL, ALIASES, "aliases: [stanford-alpaca-7b")
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml:\d+:\d+: YAML syntax"])


@case("huge-file")
def _(w: World) -> Expect:
    w.write(MODEL, w.text(MODEL) + ("# " + "x" * 1000 + "\n") * 2500)
    return Expect(check_model(), says=[r"catalog/models/alpaca\.yaml: .*at most"])


@case("null-required-field")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "name: Alpaca", "name:")
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line}:\d+: name: expected .*found nothing"])


# --- files among the cards -------------------------------------------------------------------------

@case("dangling-symlink")
def _(w: World) -> Expect:
    os.symlink("no-such-card.yaml", w.path("models/ghost.yaml"))
    return Expect(check_model(), says=[r"catalog/models/ghost\.yaml: .*(missing|no such)"])


@case("symlink-loop")
def _(w: World) -> Expect:
    os.symlink("loop.yaml", w.path("models/loop.yaml"))
    return Expect(check_model(), says=[r"catalog/models/loop\.yaml: "])


@case("fifo-card")
def _(w: World) -> Expect:
    os.mkfifo(w.path("models/fifo.yaml"))
    return Expect(check_model(), says=[r"catalog/models/fifo\.yaml: .*expected a regular file.*FIFO"], timeout=30)


@case("fifo-card-given-directly")
def _(w: World) -> Expect:
    os.mkfifo(w.path("models/fifo.yaml"))
    return Expect(["check", "catalog/models/fifo.yaml"], says=[r"catalog/models/fifo\.yaml: .*FIFO"], timeout=30)


@case("fifo-fmt")
def _(w: World) -> Expect:
    os.mkfifo(w.path("models/fifo.yaml"))
    return Expect(["fmt", "catalog"], says=[r"catalog/models/fifo\.yaml: .*FIFO"], timeout=30)


@case("folder-named-like-a-card")
def _(w: World) -> Expect:
    w.path("models/folder.yaml").mkdir()
    return Expect(check_model(), says=[r"catalog/models/folder\.yaml: .*folder"])


@case("yml-suffix")
def _(w: World) -> Expect:
    w.write("models/alpaca-copy.yml", w.text(MODEL).replace("id: alpaca\n", "id: alpaca-copy\n"))
    return Expect(check_model(), says=[r"catalog/models/alpaca-copy\.yml: .*\.yaml"])


@case("upper-case-suffix")
def _(w: World) -> Expect:
    w.write("models/alpaca-copy.YAML", w.text(MODEL).replace("id: alpaca\n", "id: alpaca-copy\n"))
    return Expect(check_model(), says=[r"catalog/models/alpaca-copy\.YAML: .*\.yaml"])


@case("unknown-folder")
def _(w: World) -> Expect:
    w.write("modles/alpaca-copy.yaml", w.text(MODEL).replace("id: alpaca\n", "id: alpaca-copy\n"))
    return Expect(check_model(), says=[r"catalog/modles/alpaca-copy\.yaml: .*models"])


@case("card-at-the-root")
def _(w: World) -> Expect:
    w.write("alpaca-copy.yaml", w.text(MODEL).replace("id: alpaca\n", "id: alpaca-copy\n"))
    return Expect(check_model(), says=[r"catalog/alpaca-copy\.yaml: .*models"])


@case("card-in-a-subfolder")
def _(w: World) -> Expect:
    w.write("models/old/alpaca-copy.yaml", w.text(MODEL).replace("id: alpaca\n", "id: alpaca-copy\n"))
    return Expect(check_model(), says=[r"catalog/models/old/alpaca-copy\.yaml: "])


@case("file-name-not-the-id")
def _(w: World) -> Expect:
    w.write("models/alpaca-copy.yaml", w.text(MODEL))
    return Expect(check_model(), says=[r"catalog/models/alpaca-copy\.yaml:2:\d+: id: expected the file name to be the id"])


@case("file-name-not-utf8")
def _(w: World) -> Expect:
    (w.catalog / "models").joinpath(os.fsdecode(b"caf\xe9.yaml")).write_text("id: cafe\n")
    return Expect(check_model(), says=[r"catalog/models/caf\\udce9\.yaml:1:1: name: expected a value"])


@case("file-name-escape-sequence")
def _(w: World) -> Expect:
    w.write("models/red\x1b[31m.yaml", "id: red\n")
    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert "\x1b" not in result.stdout + result.stderr
    return Expect(check_model(), says=[r"catalog/models/red\\x1b\[31m\.yaml"], check=check)


@case("key-with-a-newline")
def _(w: World) -> Expect:
    line = w.edit(MODEL, "name: Alpaca", 'name: Alpaca\n"x\\n/tmp/other.yaml:1:1: forged": 1')
    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert not any(l.startswith("/tmp/other.yaml") for l in result.stdout.splitlines())
    return Expect(check_model(), says=[rf"catalog/models/alpaca\.yaml:{line + 1}:\d+: .*unknown field"], check=check)


@case("id-too-long")
def _(w: World) -> Expect:
    long = "a" * 150
    w.write(f"models/{long}.yaml", w.text(MODEL).replace("id: alpaca\n", f"id: {long}\n"))
    return Expect(check_model(), says=[rf"catalog/models/{long}\.yaml:2:\d+: id: expected an id of at most 100"])


# --- the check cache -------------------------------------------------------------------------------

def _cache_files(w: World) -> list[Path]:
    return sorted(p for p in (w.tmp / ".cache" / "survey").glob("*") if p.is_file())


@case("planted-pickle-cache")
def _(w: World) -> Expect:
    from survey.check import code_version

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {w.tmp / PWNED}",))

    import pickle

    folder = w.tmp / ".cache" / "survey"
    folder.mkdir(parents=True)
    for name in (f"check-{code_version()}.pickle", "check.pickle", "check.json"):
        (folder / name).write_bytes(pickle.dumps(Payload()))
    w.edit(MODEL, "count: 8\n", "count: eight\n")
    return Expect(check_model(), says=[field_error(MODEL, 55, COUNT, "integer")])


@case("damaged-json-cache")
def _(w: World) -> Expect:
    first = w.run("check", "catalog")
    assert first.returncode == 0, first.stdout + first.stderr
    for path in _cache_files(w):
        path.write_text('{"broken": ')
    w.edit(MODEL, "count: 8\n", "count: eight\n")
    return Expect(check_model(), says=[field_error(MODEL, 55, COUNT, "integer")])


@case("forged-json-cache")
def _(w: World) -> Expect:
    w.edit(MODEL, "count: 8\n", "count: eight\n")
    first = w.run("check", "catalog")
    assert first.returncode == 1
    [path] = _cache_files(w)

    def clean(node):  # every recorded problem removed, every content digest kept
        if isinstance(node, dict):
            return {k: ([] if k == "diagnostics" else clean(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    text = path.read_text()
    head, _, body = text.partition("\n") if not text.startswith("{") else ("", "", text)
    path.write_text((head + "\n" if head else "") + json.dumps(clean(json.loads(body))))
    return Expect(check_model(), says=[field_error(MODEL, 55, COUNT, "integer")])


@case("same-size-edit-with-mtime-restored")
def _(w: World) -> Expect:
    assert w.run("check", "catalog").returncode == 0
    path = w.path(MODEL)
    before = path.stat()
    path.write_text(w.text(MODEL).replace("count: 8\n", "count: x\n"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    return Expect(check_model(), says=[field_error(MODEL, 55, COUNT, "integer", "'x'")])


@case("cache-folder-is-a-file")
def _(w: World) -> Expect:
    (w.tmp / ".cache").mkdir()
    (w.tmp / ".cache" / "survey").write_text("not a folder")
    w.edit(MODEL, "count: 8\n", "count: eight\n")
    return Expect(check_model(), says=[field_error(MODEL, 55, COUNT, "integer")])


# --- remote code must be pinned --------------------------------------------------------------------

def _remote_case(name: str, revision: str):
    @case(name)
    def build(w: World) -> Expect:
        line = w.edit(REMOTE, "revision: c1a5c7d5b7f50ecc51bb0e08150a9f12e5656756", f"revision: {revision}")
        return Expect(check_model(), says=[field_error(REMOTE, line, r"base\.revision", "40", ".*" + re.escape(revision))])


_remote_case("remote-code-at-main", "main")
_remote_case("remote-code-at-a-tag", "v1.0")
_remote_case("remote-code-at-a-short-sha", "c1a5c7d")
_remote_case("remote-code-at-an-upper-case-sha", "C1A5C7D5B7F50ECC51BB0E08150A9F12E5656756")


# --- the command line: paths that cannot be used ---------------------------------------------------

def _usage_case(name: str, make: Callable[[World], list[str]], says: str):
    @case(name)
    def build(w: World) -> Expect:
        return Expect(make(w), code=2, says=[says])


_usage_case("new-root-is-a-file", lambda w: ["new", "model", "fresh", "--root", str(a_file(w))], r"a-file")
_usage_case("new-root-under-a-file", lambda w: ["new", "model", "fresh", "--root", str(a_file(w) / "sub")], r"a-file/sub")
_usage_case("new-root-missing", lambda w: ["new", "model", "fresh", "--root", str(w.tmp / "nowhere")], r"nowhere")
_usage_case("new-root-unwritable", lambda w: ["new", "model", "fresh", "--root", "/proc/self"], r"/proc/self")
_usage_case("new-kind-folder-is-a-file", lambda w: (shutil.rmtree(w.path("concepts")), w.write("concepts", "x"), ["new", "concept", "fresh", "--root", "catalog"])[-1], r"concepts")
_usage_case("new-id-too-long", lambda w: ["new", "model", "a" * 300, "--root", "catalog"], r"id")
_usage_case("export-out-is-a-file", lambda w: ["export", "--root", "catalog", "--out", str(a_file(w))], r"a-file")
_usage_case("export-out-under-a-file", lambda w: ["export", "--root", "catalog", "--out", str(a_file(w) / "x")], r"a-file/x")
_usage_case("export-out-unwritable", lambda w: ["export", "--root", "catalog", "--out", "/proc/self/export"], r"/proc/self/export")
_usage_case("export-json-is-a-folder", lambda w: ((w.tmp / "out" / "catalog.json").mkdir(parents=True), ["export", "--root", "catalog", "--out", "out"])[-1], r"catalog\.json")
_usage_case("export-root-missing", lambda w: ["export", "--root", "nowhere", "--out", "out"], r"nowhere")
_usage_case("schema-root-is-a-file", lambda w: ["schema", "--root", str(a_file(w))], r"a-file")
_usage_case("schema-root-missing", lambda w: ["schema", "--root", str(w.tmp / "nowhere")], r"nowhere")
_usage_case("schema-root-unwritable", lambda w: ["schema", "--root", "/proc/self"], r"/proc/self")
_usage_case("schema-folder-is-a-file", lambda w: (shutil.rmtree(w.path("schema")), w.write("schema", "x"), ["schema", "--root", "catalog"])[-1], r"schema")
_usage_case("schema-file-is-a-folder", lambda w: (w.path("schema/model.schema.json").unlink(), w.path("schema/model.schema.json").mkdir(), ["schema", "--root", "catalog"])[-1], r"model\.schema\.json")
_usage_case("check-missing-path", lambda w: ["check", "nowhere"], r"nowhere")
_usage_case("check-path-too-long", lambda w: ["check", "x" * 5000], r"(long|no such)")
_usage_case("check-not-a-catalog", lambda w: ((w.tmp / "empty").mkdir(), ["check", "empty"])[-1], r"empty")
_usage_case("fmt-missing-path", lambda w: ["fmt", "nowhere"], r"nowhere")
_usage_case("check-unknown-format", lambda w: ["check", "--format", "xml", "catalog"], r"format")


# --- GitHub annotations ----------------------------------------------------------------------------

def _one_annotation_per_problem(result: subprocess.CompletedProcess) -> None:
    for line in result.stdout.splitlines():
        assert line.startswith(("::error ", "::warning ")), f"not an annotation: {line!r}"
        head, _, _ = line.partition("::")[2].partition("::")
        properties = head.split(" ", 1)[1]
        assert set(dict(p.split("=", 1) for p in properties.split(","))) <= {"file", "line", "col", "title"}, line


@case("github-file-name-injection")
def _(w: World) -> Expect:
    w.write("models/x\n::error file=README.md,line=1::forged.yaml", "id: x\n")
    def check(w: World, result: subprocess.CompletedProcess) -> None:
        _one_annotation_per_problem(result)
        assert "::error file=README.md" not in result.stdout
        assert "%0A%3A%3Aerror file=README.md%2Cline=1%3A%3Aforged" in result.stdout.replace(" ", " ")
    return Expect(["check", "--format", "github", "catalog"], says=[r"file=catalog/models/x%0A"], check=check)


@case("github-comma-colon-percent")
def _(w: World) -> Expect:
    w.write("models/a,b:c%d.yaml", "id: a\n")
    w.edit(MODEL, "count: 8\n", "count: '50%'\n")
    def check(w: World, result: subprocess.CompletedProcess) -> None:
        _one_annotation_per_problem(result)
    return Expect(["check", "--format", "github", "catalog"],
                  says=[r"file=catalog/models/a%2Cb%3Ac%25d\.yaml", r"found '50%25'"], check=check)


@case("github-message-newline")
def _(w: World) -> Expect:
    w.edit(MODEL, "count: 8\n", 'count: "8\\n::error file=x::forged"\n')
    def check(w: World, result: subprocess.CompletedProcess) -> None:
        _one_annotation_per_problem(result)
    return Expect(["check", "--format", "github", "catalog"], says=[r"training\.hardware\.count"], check=check)


# --- writing: fmt -------------------------------------------------------------------------------

@case("fmt-symlinked-card")
def _(w: World) -> Expect:
    real = w.tmp / "elsewhere" / "alpaca.yaml"
    real.parent.mkdir()
    real.write_text(w.text(MODEL).replace("count: 8\n", "count: 8   # eight\n").replace("  type: A100-80GB", "  type: A100-80GB"))
    w.path(MODEL).unlink()
    os.symlink(real, w.path(MODEL))
    shutil.copy(real, w.tmp / "original.yaml")
    w.edit(MODEL, "value: 3\n    unit: hours", "value: 3\n    unit: hrs")  # not canonical: fmt must rewrite it

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        assert w.path(MODEL).is_symlink() and os.readlink(w.path(MODEL)) == str(real)
        assert "unit: hours" in real.read_text() and "hrs" not in real.read_text()
        assert "# eight" in real.read_text()
    return Expect(["fmt", "catalog"], code=0, changes=("elsewhere/alpaca.yaml",), check=check)


@case("fmt-keeps-comments-when-collapsing-hardware")
def _(w: World) -> Expect:
    w.edit(RECIPE, "hardware:\n  type: A100-40GB\n  count: 4\n  source: fastchat\n",
           "hardware:\n  # four GPUs, from the README\n  type: A100-40GB  # the 40 GB model\n  count: 4\n")

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        text = w.text(RECIPE)
        assert "four GPUs, from the README" in text and "the 40 GB model" in text, text
        again = w.run("fmt", "--check", "catalog")
        assert again.returncode == 0, again.stdout
    return Expect(["fmt", "catalog"], code=0, changes=("catalog/" + RECIPE,), check=check)


# --- the tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path, repo_state) -> None:
    w = World(tmp_path)
    run_case(w, CASES[name](w))


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 60


# --- cases that need more than one run ---------------------------------------------------------------

def test_ctrl_c_during_a_check_exits_130_with_one_line(tmp_path: Path) -> None:
    w = World(tmp_path)
    text = w.text(MODEL)
    made = 0
    for cards in (1500, 4000, 10000):  # more cards when a fast machine finished before the signal came
        for index in range(made, cards):
            w.write(f"models/copy-{index}.yaml", text.replace("id: alpaca\n", f"id: copy-{index}\n"))
        made = cards
        process = subprocess.Popen([sys.executable, "-m", "survey", "check", "--no-cache", "catalog"], cwd=tmp_path,
                                   env=w.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        if process.poll() is None:
            break
        process.communicate()
    else:
        pytest.fail("the check always ended before the signal could be sent")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert err.strip().splitlines() == ["interrupted"], err


def test_ctrl_c_at_start_up_exits_130(tmp_path: Path) -> None:
    w = World(tmp_path)
    for delay in (0.05, 0.2):
        process = subprocess.Popen([sys.executable, "-m", "survey", "check", "catalog"], cwd=tmp_path, env=w.env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        if "init_import_site" in err:  # Python's own start-up was interrupted, before any code of ours ran
            assert "/survey/" not in err, err
            continue
        assert "Traceback" not in out + err, err
        # A signal that comes before the interpreter has set its handler ends it the default way, silently.
        assert process.returncode in (0, 130, -signal.SIGINT), err


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    w = World(tmp_path)
    for index in range(300):
        w.write(f"models/broken-{index}.yaml", f"id: broken-{index}\n")
    process = subprocess.Popen([sys.executable, "-m", "survey", "check", "catalog"], cwd=tmp_path, env=w.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.read(10)
    process.stdout.close()
    err = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in err, err


def test_two_fmt_at_once_do_not_collide(tmp_path: Path) -> None:
    w = World(tmp_path)
    for relative in (MODEL, RECIPE):
        w.edit(relative, "\nsources:", "\nsources:  # kept")
    w.edit(MODEL, "value: 3\n    unit: hours", "value: 3\n    unit: hrs")
    runs = [subprocess.Popen([sys.executable, "-m", "survey", "fmt", "catalog"], cwd=tmp_path, env=w.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(run.wait(timeout=120), run.stdout.read() + run.stderr.read()) for run in runs]
    for code, output in results:
        assert code == 0 and "Traceback" not in output, output
    assert "unit: hours" in w.text(MODEL) and "# kept" in w.text(MODEL)
    assert [p for p in tmp_path.rglob("*") if ".tmp" in p.name] == []
    assert w.run("check", "catalog").returncode == 0


def test_exports_are_safe_to_open_in_a_spreadsheet(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.edit(MODEL, "name: Alpaca", 'name: "=HYPERLINK(\\"https://evil.example\\",\\"Alpaca\\")"')
    w.edit(MODEL, "id: CC-BY-NC-4.0", "id: \"+cmd|' /C calc'!A0\"")
    w.edit("models/vicuna.yaml", "\nname: ", "\nname: '@SUM(1+1)'\nx-old-name: ")
    w.edit("models/vicuna.yaml", "\nx-old-name: ", "\n# ")
    w.edit("models/dolly.yaml", "\nname: ", "\nname: \"-2+3\"\nx-old-name: ")
    w.edit("models/dolly.yaml", "\nx-old-name: ", "\n# ")
    w.edit("models/koala.yaml", "\nname: ", "\nname: \"\\t=1+1\"\nx-old-name: ")
    w.edit("models/koala.yaml", "\nx-old-name: ", "\n# ")
    result = w.run("export", "--root", "catalog", "--out", "out")
    assert result.returncode == 0, result.stdout + result.stderr
    import csv

    rows = list(csv.DictReader((tmp_path / "out" / "models.csv").open(encoding="utf-8")))
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (row["id"], column, cell)
    by_id = {row["id"]: row for row in rows}
    assert by_id["alpaca"]["name_en"] == "'=HYPERLINK(\"https://evil.example\",\"Alpaca\")"
    assert by_id["alpaca"]["license"] == "'+cmd|' /C calc'!A0"
    assert by_id["dolly"]["name_en"] == "'-2+3"
    data = json.loads((tmp_path / "out" / "catalog.json").read_text("utf-8"))
    assert [m["name"]["en"] for m in data["model"] if m["id"] == "alpaca"] == ['=HYPERLINK("https://evil.example","Alpaca")']


def test_real_prompt_tokens_pass_and_markup_next_to_them_fails(tmp_path: Path) -> None:
    w = World(tmp_path)
    # The real catalog (with <|im_start|>, </s>, <s> in its templates) passes...
    assert w.run("check", "catalog").returncode == 0
    for token in ("<|system|>", "<eoh>", "<reserved_106>", "</s><s>", "<|endoftext|>", "a < b > c", "<0x0A>"):
        w.edit(RECIPE, "sep2: </s>", f"sep2: '{token}'")
        result = w.run("check", "catalog")
        assert result.returncode == 0, (token, result.stdout)
        w.edit(RECIPE, f"sep2: '{token}'", "sep2: </s>")
    # ...and real markup beside a token does not.
    w.edit(RECIPE, "sep2: </s>", "sep2: '</s><img src=x onerror=alert(1)>'")
    assert w.run("check", "catalog").returncode == 1
