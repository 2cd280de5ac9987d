"""Pinned downloads from the Hugging Face Hub (or a recorded URL), and what to tell the user when one fails."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reproduce import ReproduceError
from reproduce.layout import cache
from survey.schema.recipe import Recipe

_NETWORK_ERRORS = {"TransportError", "NetworkError", "ConnectError", "ReadError", "TimeoutException", "ReadTimeout",
                   "ConnectTimeout", "RemoteProtocolError", "ChunkedEncodingError", "ProtocolError", "IncompleteRead",
                   "URLError", "ContentTooShortError", "LocalEntryNotFoundError", "OfflineModeIsEnabled"}


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:,.1f} GB"


def disk_need(recipe: Recipe, what: str) -> str | None:
    """What the plan expects on disk for the base model ("download") or one checkpoint ("checkpoint"), or None."""
    n = float(recipe.base.parameters.midpoint() or 0) if recipe.base.parameters else 0.0
    if not n:
        return None
    if what == "download":
        return f"about {_gb(2 * n)} for {n / 1e9:.1f}B parameters in 16-bit ({_gb(4 * n)} if the repo holds fp32 weights)"
    if recipe.lora:
        return "a few hundred MB (LoRA adapter and its optimizer state)"
    return f"about {_gb(14 * n)} (16-bit weights plus fp32 master weights and Adam moments)"


def is_disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def _is_network_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return any(cls.__name__ in _NETWORK_ERRORS for cls in type(exc).__mro__)


def _token_state() -> str:
    try:
        from huggingface_hub import get_token

        token = get_token()
    except Exception:  # noqa: BLE001 - only for the message
        token = os.environ.get("HF_TOKEN")
    return "the Hugging Face token in use was refused" if token else "no Hugging Face token was found"


def hub_error_message(exc: BaseException, repo: str, kind: str, folder: Path, need: str | None = None) -> str | None:
    """A message for the user for an error downloading `repo` (a "model" or "dataset"), or None when it is none of ours."""
    from huggingface_hub import errors as hub

    page = f"https://huggingface.co/{'datasets/' if kind == 'dataset' else ''}{repo}"
    login = "then run `huggingface-cli login` (or `hf auth login`), or set HF_TOKEN to a token of that account"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if is_disk_full(exc):
        return (f"no space left on the device while downloading {kind} {repo} into {folder}"
                f"{'; the plan needs ' + need if need else ''}. Nothing half-written was kept in place: huggingface_hub "
                "writes each file as *.incomplete and moves it in only when whole. Free some space (or point "
                "REPRODUCE_CACHE at a larger disk) and re-run; the download resumes where it stopped")
    if isinstance(exc, hub.GatedRepoError):
        return (f"{kind} {repo} is gated and {_token_state()}. Accept its terms on {page} while logged in, {login}")
    if isinstance(exc, hub.RepositoryNotFoundError):
        return (f"{kind} {repo} was not found: it does not exist, or it is private or gated and {_token_state()}. "
                f"If you should have access, accept the terms on {page}, {login}")
    if isinstance(exc, hub.RevisionNotFoundError):
        return f"{kind} {repo} has no revision the recipe pins ({exc}); check the recipe's revision against {page}"
    if isinstance(exc, hub.HfHubHTTPError) and status in (401, 403):
        return (f"{kind} {repo}: access refused (HTTP {status}); it is gated or private and {_token_state()}. "
                f"Accept the terms on {page}, {login}")
    if _is_network_error(exc) or (isinstance(exc, hub.HfHubHTTPError) and status is not None and status >= 500):
        return (f"downloading {kind} {repo} was interrupted ({type(exc).__name__}: {exc}). Re-run the same command: "
                f"huggingface_hub resumes partial files kept in {folder}")
    return None


@contextmanager
def hub_errors(repo: str, kind: str, folder: Path, need: str | None = None):
    """Turn download failures of `repo` into a ReproduceError that says what to do."""
    try:
        yield
    except ReproduceError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything we cannot explain is re-raised as is
        cause: BaseException | None = exc
        while cause is not None:  # transformers wraps the hub's errors in an OSError
            message = hub_error_message(cause, repo, kind, folder, need)
            if message is not None:
                raise ReproduceError(message) from None
            cause = cause.__cause__
        raise


def download_model(recipe: Recipe) -> str:
    """The base model's snapshot at its pinned revision, in the cache."""
    from huggingface_hub import snapshot_download

    folder = cache() / "hub"
    with hub_errors(recipe.base.hub, "model", folder, disk_need(recipe, "download")):
        return snapshot_download(recipe.base.hub, revision=recipe.base.revision, cache_dir=folder)


def download_tokenizer(recipe: Recipe) -> str:
    """Only the base model's tokenizer and config files, at its pinned revision (for --dry-run)."""
    from huggingface_hub import snapshot_download

    folder = cache() / "hub"
    with hub_errors(recipe.base.hub, "model", folder):
        return snapshot_download(recipe.base.hub, revision=recipe.base.revision, cache_dir=folder,
                                 allow_patterns=["*.json", "*.model", "*.txt", "*.tiktoken", "*.py"])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_sha256(path: Path, expected: str | None) -> None:
    if expected and (found := _sha256(path)) != expected:
        raise ReproduceError(f"{path}: sha256 is {found}, not the recipe's {expected}; the file changed upstream or "
                             "the download is damaged. Delete it and re-run to fetch it again")


def download_url(url: str, target: Path, sha256: str | None) -> Path:
    """`url` fetched once into `target` (a half-written file never kept), then checked against `sha256`."""
    if not target.exists():
        import urllib.request

        target.parent.mkdir(parents=True, exist_ok=True)
        # a unique name beside the target: two runs downloading at once never write into one file
        descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(descriptor)
        partial = Path(name)
        try:
            urllib.request.urlretrieve(url, partial)  # noqa: S310 - recorded http(s) URL
        except BaseException as exc:  # a Ctrl-C too: a half-written file is never kept
            partial.unlink(missing_ok=True)
            if not isinstance(exc, Exception):
                raise
            if is_disk_full(exc):
                raise ReproduceError(f"no space left on the device while downloading {url} into "
                                     f"{target.parent}; nothing half-written was kept. Free some space "
                                     "(or set REPRODUCE_CACHE) and re-run") from None
            if _is_network_error(exc):
                raise ReproduceError(f"downloading {url} was interrupted ({exc}); re-run the same "
                                     "command to download it again") from None
            raise
        partial.replace(target)
    _check_sha256(target, sha256)
    return target


def download_data(recipe: Recipe) -> list[tuple[Any, Path]]:
    """Each included part, fetched once into the cache at its pinned revision (URL parts checked against sha256)."""
    files = []
    for part in recipe.data:
        if not part.included:
            continue
        if part.url:
            files.append((part, download_url(part.url, cache() / "data" / recipe.id / Path(part.url).name, part.sha256)))
            continue
        from huggingface_hub import hf_hub_download, snapshot_download

        if part.file:
            with hub_errors(part.hub, "dataset", cache() / "hub"):
                path = Path(hf_hub_download(part.hub, part.file, repo_type="dataset", revision=part.revision,
                                            cache_dir=cache() / "hub"))
        else:
            with hub_errors(part.hub, "dataset", cache() / "hub"):
                folder = Path(snapshot_download(part.hub, repo_type="dataset", revision=part.revision,
                                                cache_dir=cache() / "hub", allow_patterns=["*.json", "*.jsonl"]))
            candidates = sorted(folder.rglob("*.json*"))
            if not candidates:
                raise ReproduceError(f"{part.hub}@{part.revision}: no .json/.jsonl file; name one "
                                     "(.json, .jsonl or .parquet) with data.N.file")
            path = candidates[0]
        _check_sha256(path, part.sha256)
        files.append((part, path))
    return files
