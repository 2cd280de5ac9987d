"""Download failures end the CLI with exit 1 and a message that says what to do, never a traceback.

huggingface_hub's download functions are replaced by ones raising the library's own exception classes.
"""

from __future__ import annotations

import errno

import pytest

hub = pytest.importorskip("huggingface_hub")
httpx2 = pytest.importorskip("httpx2")
from huggingface_hub import errors  # noqa: E402

import reproduce.layout  # noqa: E402
from reproduce.cli import main  # noqa: E402

RECIPE, DATASET, MODEL = "alpaca-lora-7b", "yahma/alpaca-cleaned", "huggyllama/llama-7b"


def http(cls, status: int, repo: str):
    response = httpx2.Response(status, request=httpx2.Request("GET", f"https://huggingface.co/api/models/{repo}"))
    return cls(f"{status} Client Error", response=response)


def raising(exc: BaseException):
    def download(*args, **kwargs):
        raise exc
    return download


CASES = {
    "gated": (lambda repo: http(errors.GatedRepoError, 401, repo), ["is gated", "huggingface-cli login", "HF_TOKEN",
                                                                    "Accept its terms", "refused"]),
    "private": (lambda repo: http(errors.RepositoryNotFoundError, 401, repo), ["private or gated", "HF_TOKEN"]),
    "forbidden": (lambda repo: http(errors.HfHubHTTPError, 403, repo), ["access refused (HTTP 403)", "huggingface-cli login"]),
    "interrupted": (lambda repo: httpx2.RemoteProtocolError("peer closed connection"), ["interrupted", "Re-run",
                                                                                         "resumes partial files"]),
    "disk full": (lambda repo: OSError(errno.ENOSPC, "No space left on device"), ["no space left", "Nothing half-written",
                                                                                   "resumes"]),
}


@pytest.fixture
def hub_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(reproduce.layout, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_valid_token")

    def install(exc):
        monkeypatch.setattr(hub, "hf_hub_download", raising(exc))
        monkeypatch.setattr(hub, "snapshot_download", raising(exc))
    return install


def check(capsys, code: int, repo: str, words: list[str]) -> str:
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("error: ") and "Traceback" not in err
    assert repo in err
    for word in words:
        assert word in err, (word, err)
    return err


@pytest.mark.parametrize("case", CASES)
def test_dataset_download_errors(hub_fails, capsys, tmp_path, case):
    make, words = CASES[case]
    hub_fails(make(DATASET))
    err = check(capsys, main([RECIPE, "--dry-run"]), DATASET, words)
    if case in ("gated", "private", "forbidden"):
        assert f"https://huggingface.co/datasets/{DATASET}" in err
    if case == "disk full":
        assert str(tmp_path / "cache" / "hub") in err


@pytest.mark.parametrize("case", ["gated", "disk full"])
def test_model_download_errors(hub_fails, capsys, tmp_path, case):
    pytest.importorskip("torch")
    make, words = CASES[case]
    hub_fails(make(MODEL))
    err = check(capsys, main([RECIPE, "--force", "--output-dir", str(tmp_path / "out")]), MODEL, words)
    if case == "disk full":
        assert "the plan needs about" in err and "GB" in err
    else:
        assert f"https://huggingface.co/{MODEL}" in err


def test_a_hub_file_whose_sha256_differs_is_refused(monkeypatch, capsys, tmp_path):
    """vicuna-7b records the sha256 of its ShareGPT file; a file with other bytes stops the run before training."""
    monkeypatch.setattr(reproduce.layout, "CACHE", tmp_path / "cache")
    fetched = tmp_path / "ShareGPT_V3_unfiltered_cleaned_split.json"
    fetched.write_text('[{"id": "x", "conversations": []}]', "utf-8")

    def download(repo_id, filename, **kwargs):
        assert kwargs["revision"] == "bcd32a724d8460ebe14e1d05b0195e30e9a46cb1"
        return str(fetched)
    monkeypatch.setattr(hub, "hf_hub_download", download)
    assert main(["vicuna-7b", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "sha256 is " in err and "35f0e213ce091ed9b9af2a1f0755e9d39f9ccec34ab281cd4ca60d70f6479ba4" in err
    assert str(fetched) in err and "Traceback" not in err
