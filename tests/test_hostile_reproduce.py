"""Hostile and broken input against `python -m reproduce`, as an attacker or a careless user gives it.

Each case runs the command line as a user would (a subprocess of `sys.executable -m reproduce`, in a temporary
folder with its own home and cache) and asserts what the user gets: exit 1 for bad data (2 for a bad command
line), a message naming the file, the record (and its line), the field and what was expected, no Python
traceback, no file changed or left half-written, and nothing run that the input asked to run.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile import PWNED, REPO, Corpus, Expect, World, a_file, run_case

CASES = Corpus()
case = CASES.case
REMOTE = "sft-baichuan-7b-prefix"  # trust_remote_code: true at a pinned commit
NEO = "qwen2-7b-neo-sft-multi"  # ShareGPT read through a construction
VICUNA = "vicuna-7b"  # ShareGPT read as FastChat reads it


def data(w: World, recipe: str, records: str | bytes, name: str = "in.jsonl", *extra: str) -> list[str]:
    """The `data` command line over a file holding `records`, written beside the catalog."""
    path = w.tmp / name
    path.write_bytes(records if isinstance(records, bytes) else records.encode("utf-8"))
    return ["data", recipe, "--input", name, "--output", "out/rows.jsonl", *extra]


def reproduce(args: list[str], code: int = 1, says: list[str] | None = None, **more) -> Expect:
    return Expect(args, code=code, says=says or [], module="reproduce", **more)


# --- --set overrides: validated by the recipe schema, paths that lead nowhere named ---------------------------

def _override_case(name: str, recipe: str, assignment: str, *says: str, command: str = "show") -> None:
    @case(name)
    def build(w: World) -> Expect:
        args = ["show", recipe] if command == "show" else [recipe, f"--{command}"]
        return reproduce([*args, "--set", assignment], code=2, says=list(says))


_override_case("set-list-by-name", "alpaca-7b", "data.first.name=x",
               r"--set data\.first\.name: data is a list of 1; expected an index from 0 to 0, found 'first'")
_override_case("set-list-past-its-end", "alpaca-7b", "data.5.name=x", r"--set data\.5\.name: data is a list of 1; expected an index")
_override_case("set-inside-a-number", "alpaca-7b", "hyperparameters.learning_rate.x=1",
               r"hyperparameters\.learning_rate is a single value \(2e-05\), not a group of fields")
_override_case("set-empty-name", "alpaca-7b", "hyperparameters..x=1", r"expected a dotted path of field names, found an empty name")
_override_case("set-infinity", "alpaca-7b", "hyperparameters.learning_rate=Infinity",
               r"--set hyperparameters\.learning_rate=Infinity: expected a finite number, found inf")
_override_case("set-nan", "alpaca-7b", "hyperparameters.learning_rate=NaN", r"learning_rate=NaN: expected a finite number, found nan")
_override_case("set-overflow", "alpaca-7b", "hyperparameters.learning_rate=1e400", r"learning_rate=1e400: expected a finite number")
_override_case("set-negative", "alpaca-7b", "hyperparameters.learning_rate=-1", r"learning_rate=-1: expected a number above 0")
_override_case("set-too-large", "alpaca-7b", "hyperparameters.learning_rate=5000", r"learning_rate=5000: expected a number of at most")
_override_case("set-text-for-a-number", "alpaca-7b", 'hyperparameters.epochs="three"', r"epochs=\"three\": expected a number, found 'three'")
_override_case("set-field-out-of-place", "alpaca-7b", "learning_rate=1",
               r"--set learning_rate: the recipe has no field 'learning_rate'; did you mean hyperparameters\.learning_rate\?")
_override_case("set-unknown-field", "alpaca-7b", "hyperparameters.nope=1",
               r"--set hyperparameters\.nope=1: unknown field 'nope'; expected one of learning_rate")
_override_case("set-no-value", "alpaca-7b", "hyperparameters.learning_rate", r"--set expects KEY=VALUE")
# remote code runs only at a pinned commit, whatever the command line says
_override_case("set-remote-code-to-a-branch", REMOTE, "base.revision=main",
               r"--set base\.revision=main: expected a 40-hex commit as `revision` when `trust_remote_code` is true.*found 'main'")
_override_case("set-remote-code-to-a-branch-plan", REMOTE, "base.revision=main", r"expected a 40-hex commit", command="plan")
_override_case("set-remote-code-to-a-branch-smoke", REMOTE, "base.revision=main", r"expected a 40-hex commit", command="smoke")
_override_case("set-remote-code-short-hash", REMOTE, "base.revision=c1a5c7d", r"expected a 40-hex commit.*found 'c1a5c7d'")


# --- --hardware: N x TYPE with a known accelerator -----------------------------------------------------------

def _hardware_case(name: str, given: str, *says: str) -> None:
    @case(name)
    def build(w: World) -> Expect:
        return reproduce(["alpaca-7b", "--plan", f"--hardware={given}"], code=2,
                         says=[r"--hardware: expected COUNTxTYPE such as 8xA100-80GB \(N x TYPE, N at least 1, TYPE one of A100",
                               *says])


_hardware_case("hardware-zero", "0xA100-80GB", r"found '0xA100-80GB': a count of 0")
_hardware_case("hardware-zero-nodes", "0x8xA100-80GB", r"found '0x8xA100-80GB': a count of 0")
_hardware_case("hardware-banana", "banana", r"found 'banana': 'banana' is no accelerator the plan knows")
_hardware_case("hardware-count-of-bananas", "8xbanana-80GB", r"'banana' is no accelerator the plan knows")
_hardware_case("hardware-empty", "", r"found ''")
_hardware_case("hardware-negative", "-8xA100", r"found '-8xA100'")


@case("hardware-lower-case-is-known")
def hardware_lower(w: World) -> Expect:
    return reproduce(["alpaca-7b", "--plan", "--hardware", "4xa100-40GB"], code=0,
                     says=[r"on 4xA100-40GB \(named\)", r"estimated time: \d"])


# --- data files: every record checked, named by file, line and record -------------------------------------------

def _data_case(name: str, recipe: str, records: str | bytes, *says: str, file: str = "in.jsonl") -> None:
    @case(name)
    def build(w: World) -> Expect:
        return reproduce(data(w, recipe, records, file), says=list(says))


TURN = '{"from": "human", "value": "hi"}'
_data_case("sharegpt-from-a-number", NEO, '{"conversations": [{"from": 1, "value": "x"}]}\n',
           r"in\.jsonl:1: record 1: conversations\[1\]\.from: expected text, found a number \(1\)")
_data_case("sharegpt-value-a-number", NEO, f'{{"conversations": [{TURN}, {{"from": "gpt", "value": 3}}]}}\n',
           r"in\.jsonl:1: record 1: conversations\[2\]\.value: expected text, found a number \(3\)")
_data_case("sharegpt-value-null", NEO, '{"conversations": [{"from": "human", "value": null}]}\n',
           r"conversations\[1\]\.value: expected text, found null")
_data_case("sharegpt-value-an-object", NEO, '{"conversations": [{"from": "human", "value": {"a": 1}}]}\n',
           r"conversations\[1\]\.value: expected text, found an object")
_data_case("sharegpt-from-a-list-fastchat", VICUNA, '{"conversations": [{"from": ["human"], "value": "x"}]}\n',
           r"in\.jsonl:1: record 1: conversations\[1\]\.from: expected text, found a list")
_data_case("sharegpt-conversation-text", NEO, '{"conversations": "hello"}\n',
           r"record 1: conversations: expected a list of turns \{from, value\}, found text")
_data_case("sharegpt-conversation-object-fastchat", VICUNA, '{"conversations": {"from": "human"}}\n',
           r"record 1: conversations: expected a list of turns \{from, value\}, found an object")
_data_case("sharegpt-turn-not-an-object", NEO, '{"conversations": ["hi"]}\n',
           r"conversations\[1\]: expected a turn with fields from, value; found text")
_data_case("sharegpt-unknown-speaker", NEO, '{"conversations": [{"from": "robot", "value": "x"}]}\n',
           r"record 1: conversations\[1\]\.from: unknown speaker 'robot'; expected human or gpt")
_data_case("deeply-nested-json-line", NEO, '{"conversations": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
           r"in\.jsonl:1: record 1: expected JSON nested at most a few hundred levels deep")
_data_case("deeply-nested-json-array", NEO, "[" + "[" * 100_000 + "]" * 100_000 + "]", r"in\.json:1: expected JSON nested",
           file="in.json")
_data_case("instruction-null", "alpaca-7b", '{"instruction": null, "output": "x"}\n',
           r"in\.jsonl:1: record 1: instruction: expected text, found null")
_data_case("output-a-number", "alpaca-7b", '{"instruction": "a", "output": 42}\n', r"record 1: output: expected text, found a number \(42\)")
_data_case("input-a-list", "alpaca-7b", '{"instruction": "a", "input": ["b"], "output": "c"}\n', r"record 1: input: expected text, found a list")
_data_case("empty-file", "alpaca-7b", "", r"in\.jsonl: expected records, found none")
_data_case("blank-lines-only", "alpaca-7b", "\n\n  \n", r"in\.jsonl: expected records, found none")
_data_case("empty-array", "alpaca-7b", "[]", r"in\.json: expected records, found none", file="in.json")
_data_case("bad-gzip", "alpaca-7b", b"garbage", r"in\.jsonl\.gz: expected a gzip-compressed file, found one that does not decompress",
           file="in.jsonl.gz")
_data_case("truncated-gzip", "alpaca-7b", gzip.compress(b'{"instruction": "a", "output": "b"}\n' * 50)[:40],
           r"in\.jsonl\.gz: expected a gzip-compressed file", file="in.jsonl.gz")
_data_case("gzip-of-binary", "alpaca-7b", gzip.compress(b"\xff\xfe\x00binary"), r"in\.jsonl\.gz: expected UTF-8 text",
           file="in.jsonl.gz")
_data_case("json-array-names-line-and-record", "alpaca-7b",
           '[\n{"instruction": "a", "output": "b"},\n\n{"instruction": "a"}\n]',
           r"in\.json:4: record 2: not alpaca data: expected fields instruction, output; found instruction", file="in.json")
_data_case("json-lines-skip-blank-lines", "alpaca-7b", '{"instruction": "a", "output": "b"}\n\n\n{"instruction": 1, "output": "b"}\n',
           r"in\.jsonl:4: record 2: instruction: expected text, found a number")
_data_case("record-not-an-object", "alpaca-7b", '{"instruction": "a", "output": "b"}\n[1, 2]\n',
           r"in\.jsonl:2: record 2: expected a JSON object, found a list")
_data_case("array-record-not-an-object", "alpaca-7b", '[{"instruction": "a", "output": "b"}, 7]',
           r"in\.json:1: record 2: expected a JSON object, found a number", file="in.json")
_data_case("array-missing-comma", "alpaca-7b", '[{"instruction": "a", "output": "b"}\n {"instruction": "c", "output": "d"}]',
           r"in\.json:2:2: malformed JSON: expected , or \] after record 1", file="in.json")
_data_case("array-not-closed", "alpaca-7b", '[{"instruction": "a", "output": "b"},', r"in\.json: malformed JSON: the array is not closed",
           file="in.json")
_data_case("text-after-the-array", "alpaca-7b", '[{"instruction": "a", "output": "b"}] {"x": 1}',
           r"in\.json:1: malformed JSON: text after the array", file="in.json")
_data_case("two-records-on-one-line", "alpaca-7b", '{"instruction": "a", "output": "b"} {"instruction": "c", "output": "d"}\n',
           r"in\.jsonl:1: malformed JSON line: extra data after the record \(column 37\)")
_data_case("not-utf8", "alpaca-7b", b'{"instruction": "\xff", "output": "b"}\n', r"in\.jsonl: expected UTF-8 text")


@case("input-missing")
def input_missing(w: World) -> Expect:
    return reproduce(["data", "alpaca-7b", "--input", "nowhere.jsonl", "--output", "out.jsonl"],
                     says=[r"nowhere\.jsonl: cannot read: No such file or directory"])


@case("input-a-folder")
def input_folder(w: World) -> Expect:
    (w.tmp / "folder").mkdir()
    return reproduce(["data", "alpaca-7b", "--input", "folder", "--output", "out.jsonl"], says=[r"folder: cannot read: Is a directory"],
                     changes=("folder",))


# --- --output: all or nothing, and refused where it cannot go -------------------------------------------------

GOOD = '{"instruction": "a", "output": "b"}\n'


def _under_a_file_case(name: str, output: str) -> None:
    @case(name)
    def build(w: World) -> Expect:
        a_file(w)
        args = data(w, "alpaca-7b", GOOD)
        args[-1] = output
        return reproduce(args, says=[rf"--output {re.escape(output)}: expected a folder at .*a-file, found a file"])


_under_a_file_case("output-under-a-file", "a-file/rows.jsonl")
_under_a_file_case("output-deep-under-a-file", "a-file/x/y/rows.jsonl")


@case("output-a-folder")
def output_folder(w: World) -> Expect:
    (w.tmp / "out").mkdir()
    args = data(w, "alpaca-7b", GOOD)
    args[-1] = "out"
    return reproduce(args, says=[r"--output out: expected a file to write, found a folder"], changes=("out",))


@case("output-where-nothing-can-be-made")
def output_proc(w: World) -> Expect:
    args = data(w, "alpaca-7b", GOOD)
    args[-1] = "/proc/rows.jsonl"
    return reproduce(args, says=[r"--output /proc/rows\.jsonl: cannot write (there|in)"])


@case("output-kept-when-the-data-is-bad")
def output_kept(w: World) -> Expect:
    (w.tmp / "out").mkdir()
    (w.tmp / "out" / "rows.jsonl").write_text("rows of an earlier, good run\n")
    return reproduce(data(w, "alpaca-7b", GOOD + '{"instruction": null, "output": "b"}\n'),
                     says=[r"in\.jsonl:2: record 2: instruction: expected text, found null"])


@case("output-replaced-whole")
def output_replaced(w: World) -> Expect:
    (w.tmp / "out").mkdir()
    (w.tmp / "out" / "rows.jsonl").write_text("rows of an earlier run\n")

    def check(w: World, result: subprocess.CompletedProcess) -> None:
        rows = [json.loads(line) for line in (w.tmp / "out" / "rows.jsonl").read_text("utf-8").splitlines()]
        assert [row["instruction"] for row in rows] == ["a", "a"]
        assert sorted(p.name for p in (w.tmp / "out").iterdir()) == ["rows.jsonl"]  # no temporary file left

    return reproduce(data(w, "alpaca-7b", GOOD * 2), code=0, says=[r"wrote 2 rows to out/rows\.jsonl"],
                     changes=("out/rows.jsonl",), check=check)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
def test_output_in_an_unwritable_folder(tmp_path: Path) -> None:
    w = World(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    args = data(w, "alpaca-7b", GOOD)
    args[-1] = "locked/rows.jsonl"
    run_case(w, reproduce(args, says=[r"--output locked/rows\.jsonl: cannot write in .*locked \(permission denied\)"]))


# --- the run's output folder: never one another program filled ------------------------------------------------

@case("run-into-a-folder-of-other-files")
def run_foreign(w: World) -> Expect:
    (w.tmp / "mine").mkdir()
    (w.tmp / "mine" / "thesis.tex").write_text("months of work\n")
    (w.tmp / "mine" / "checkpoint-1").mkdir()  # Trainer would rotate a folder of this name away
    return reproduce(["alpaca-lora-7b", "--smoke", "--output-dir", "mine"],
                     says=[r"--output-dir mine: holds files python -m reproduce did not make; not touching it"])


@case("resume-in-a-folder-of-other-files")
def resume_foreign(w: World) -> Expect:
    (w.tmp / "mine" / "checkpoint-3").mkdir(parents=True)  # no marker: --resume would remove it as a cut-short save
    (w.tmp / "mine" / "checkpoint-3" / "notes.txt").write_text("not a checkpoint\n")
    return reproduce(["alpaca-lora-7b", "--smoke", "--resume", "--output-dir", "mine"],
                     says=[r"--output-dir mine: holds files python -m reproduce did not make"])


@case("run-with-a-copied-mark")
def run_copied_mark(w: World) -> Expect:
    (w.tmp / "mine").mkdir()
    (w.tmp / "mine" / ".reproduce-run").write_text("a run folder of python -m reproduce, folder 1:2\n")
    (w.tmp / "mine" / "data.csv").write_text("1,2\n")
    return reproduce(["alpaca-lora-7b", "--smoke", "--output-dir", "mine"],
                     says=[r"holds files python -m reproduce did not make \(its \.reproduce-run was not written there"])


@case("run-into-a-file")
def run_into_file(w: World) -> Expect:
    a_file(w)
    return reproduce(["alpaca-lora-7b", "--smoke", "--output-dir", "a-file"],
                     says=[r"--output-dir a-file: expected a folder for python -m reproduce's output, found a file"])


# --- the tests ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path) -> None:
    w = World(tmp_path)
    run_case(w, CASES[name](w))


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 60


def test_a_same_size_edit_with_its_time_restored_gets_another_cache_key(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from reproduce.dataset_cache import cache_key
    from reproduce.recipes import load_recipe

    recipe = load_recipe("alpaca-7b")
    path = tmp_path / "data.json"
    path.write_text('[{"instruction": "a", "output": "b"}]', "utf-8")
    tokenizer = SimpleNamespace(backend_tokenizer=SimpleNamespace(to_str=lambda: "{}"), special_tokens_map={})
    files = [(recipe.data[0], path)]
    key, before = cache_key(recipe, tokenizer, files), path.stat()
    path.write_text('[{"instruction": "a", "output": "c"}]', "utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert cache_key(recipe, tokenizer, files) != key


def test_a_planted_or_foreign_cache_file_is_built_again(tmp_path: Path, monkeypatch) -> None:
    from types import SimpleNamespace

    import pyarrow as pa
    import pyarrow.parquet as pq

    from reproduce.dataset_cache import cached_dataset
    from reproduce.recipes import load_recipe

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    recipe = load_recipe("alpaca-7b")
    data_file = tmp_path / "data.json"
    data_file.write_text("[]", "utf-8")
    tokenizer = SimpleNamespace(backend_tokenizer=SimpleNamespace(to_str=lambda: "{}"), special_tokens_map={})
    items = {"train": [{"input_ids": [1, 2], "labels": [-100, 2]}], "eval": []}
    files = [(recipe.data[0], data_file)]
    built, path, hit = cached_dataset(tmp_path / "cache", recipe, tokenizer, files, lambda: items)
    assert (built, hit) == (items, False)
    # a planted file of the same name: well-formed Parquet, poisoned rows, no signature of this user's
    poisoned = pa.table({"split": ["train"], "input_ids": [[6, 6, 6]], "labels": [[6, 6, 6]]})
    buffer = pa.BufferOutputStream()
    pq.write_table(poisoned, buffer)
    for planted in (buffer.getvalue().to_pybytes(), b"0" * 64 + b"\n" + buffer.getvalue().to_pybytes()):
        path.write_bytes(planted)
        again, _, hit = cached_dataset(tmp_path / "cache", recipe, tokenizer, files, lambda: items)
        assert (again, hit) == (items, False)
    # the same file signed under another user's secret is foreign too
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-home"))
    assert cached_dataset(tmp_path / "cache", recipe, tokenizer, files, lambda: items)[2] is False
    assert cached_dataset(tmp_path / "cache", recipe, tokenizer, files, lambda: items)[2] is True
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [path.name]  # no temporary file left


# --- Ctrl-C: exit 130, one line ------------------------------------------------------------------------------------

def _wait_for_reader(fifo: Path, process: subprocess.Popen, limit: float = 120) -> int:
    """A descriptor writing into `fifo`, once `process` opened it to read (so it is reading its data for sure)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            time.sleep(0.05)
    pytest.fail("the command never opened its input")


def test_ctrl_c_during_data_exits_130_and_keeps_the_old_output(tmp_path: Path) -> None:
    """The input is a pipe the test feeds: the signal comes while the command is certainly mid-way, reading its data,
    however fast or loaded the machine."""
    w = World(tmp_path)
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    (tmp_path / "out.jsonl").write_text("rows of an earlier run\n")
    process = subprocess.Popen([sys.executable, "-m", "reproduce", "data", "alpaca-7b", "--input", "in.jsonl",
                                "--output", "out.jsonl"], cwd=tmp_path, env=w.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    writer = _wait_for_reader(fifo, process)
    os.write(writer, GOOD.encode() * 100)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    os.close(writer)
    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err and err.strip().splitlines() == ["interrupted"], err
    assert (tmp_path / "out.jsonl").read_text() == "rows of an earlier run\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in ("catalog", "home")) == ["in.jsonl", "out.jsonl"]


def test_ctrl_c_during_a_run_exits_130_with_one_line(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    w = World(tmp_path)
    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "reproduce", "alpaca-lora-7b", "--smoke", "--steps", "100000",
                                "--output-dir", str(out)], cwd=tmp_path, env={**w.env(), "PATH": os.environ["PATH"]},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    metrics = out / "metrics.jsonl"
    while not (metrics.is_file() and metrics.read_text("utf-8").strip()):  # training has begun: steps are logged
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no step was logged in 300 s"
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, err = process.communicate(timeout=120)
    assert process.returncode == 130, stdout + err[-3000:]
    assert "Traceback" not in stdout + err, err[-3000:]
    assert err.strip().splitlines()[-1] == "interrupted", err[-3000:]
    assert not (out / "manifest.json").exists()  # an interrupted run does not look finished


# --- --resume: only checkpoints a signed marker vouches for ------------------------------------------------------

EVIL = f"""
import os, pickle
class Evil:
    def __reduce__(self):
        return (os.system, ("touch {PWNED}",))
with open(os.environ["TARGET"], "wb") as f:
    pickle.dump(Evil(), f)
"""


def test_resume_loads_nothing_its_marker_does_not_vouch_for(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("peft")
    from reproduce.checkpoints import checkpoint_problem, write_marker

    w = World(tmp_path)
    env = {**w.env(), "PATH": os.environ["PATH"]}
    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])  # the secret the subprocesses sign with
    run = tmp_path / "run"
    command = [sys.executable, "-m", "reproduce", "alpaca-lora-7b", "--smoke", "--output-dir", str(run),
               "--save-steps", "2", "--set", "hyperparameters.eval_steps=2"]

    def go(*extra: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*command, *extra], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
        return result

    first = go("--steps", "4")
    assert first.returncode == 0, first.stderr[-3000:]
    assert checkpoint_problem(run / "checkpoint-2") is None and checkpoint_problem(run / "checkpoint-4") is None

    # a truncated optimizer state that the marker vouches for (the save itself wrote it so): a clear error
    optimizer = run / "checkpoint-4" / "optimizer.pt"
    whole = optimizer.read_bytes()
    optimizer.write_bytes(whole[: len(whole) // 2])
    write_marker(run / "checkpoint-4", deepspeed=False)
    broken = go("--resume", "--steps", "6")
    assert broken.returncode == 1, broken.stderr[-3000:]
    assert re.search(r"error: --resume: .*checkpoint-4 does not load \(", broken.stderr), broken.stderr[-3000:]

    # altered after its save, and a planted newer checkpoint whose forged marker lists the right digests and
    # whose optimizer state would run a command if unpickled: both set aside (kept), resumed from checkpoint-2
    optimizer.write_bytes(whole[:-1] + b"\0")
    planted = run / "checkpoint-9"
    planted.mkdir()
    for name in ("trainer_state.json", "adapter_model.safetensors", "adapter_config.json"):
        (planted / name).write_bytes((run / "checkpoint-4" / name).read_bytes())
    subprocess.run([sys.executable, "-c", EVIL], env={**env, "TARGET": str(planted / "optimizer.pt")}, check=True)
    import hashlib
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in planted.iterdir()}
    (planted / "COMPLETE").write_text("0" * 64 + "\n" + json.dumps({"step": 9, "sha256": digests}))
    assert "not written by a run of this user" in checkpoint_problem(planted)
    assert "SHA-256 differs" in checkpoint_problem(run / "checkpoint-4")
    resumed = go("--resume", "--steps", "6")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "warning: --resume: checkpoint-9: its COMPLETE marker was not written by a run of this user" in resumed.stderr
    assert re.search(r"warning: --resume: checkpoint-4: changed since its save .*optimizer\.pt", resumed.stderr)
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    assert manifest["resumed_from"] == 2 and manifest["steps"] == 6
    assert (run / "damaged-checkpoint-9" / "optimizer.pt").is_file() and (run / "damaged-checkpoint-4").is_dir()
    assert not (tmp_path / PWNED).exists() and not (REPO / PWNED).exists()


@pytest.mark.parametrize(("tree", "says"), [
    ({"prompt": "hello"}, r"record 1: prompt: expected a message object, found str"),
    ({"prompt": {"role": "prompter", "text": 5}}, r"record 1: prompt\.text: expected text, found a number \(5\)"),
    ({"prompt": {"role": "prompter", "text": "q", "replies": [{"role": "robot", "text": "a"}]}},
     r"record 1: prompt\.replies\[0\]\.role: expected prompter or assistant, found 'robot'"),
    ({"prompt": {"role": "prompter", "text": "q", "replies": {"role": "assistant"}}},
     r"record 1: prompt\.replies: expected a list of messages, found dict"),
])
def test_an_open_assistant_tree_is_checked_message_by_message(tmp_path: Path, tree: dict, says: str) -> None:
    from reproduce import ReproduceError
    from reproduce.oa_data import oasst_trees

    path = tmp_path / "trees.jsonl"
    path.write_text(json.dumps(tree) + "\n", "utf-8")
    with pytest.raises(ReproduceError, match=rf"trees\.jsonl:1: {says}"):
        oasst_trees(path)
