"""Reading and writing files the careful way: regular files only, and writes that are all or nothing.

- `read_regular` opens nothing but a regular file (a FIFO among the cards would block a read for ever,
  a device would never end) and refuses files over a size limit, with a message saying which.
- `write_atomically` writes a unique temporary file beside the target and renames it over the target,
  so an interrupted write never leaves half a file and two writers never share a temporary name. A
  symlink is written through: the file it points to gets the new content, the link stays a link.
- `user_secret` is this user's own random key (kept in their cache folder), for signing the caches and
  markers the project reads back: a file that merely looks right, planted or copied, does not carry it.
- `claim` readies an output folder that a command will clear or overwrite (mkdocs empties its site
  folder; generate replaces its pages), and refuses one the command did not make: the command leaves a
  mark file in each folder it takes, naming that very folder (`stamp`), and only a new folder, an empty
  one or one with its own mark is taken.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def placed(path: Path) -> Path:
    """`path` made absolute with its folders resolved but not its last part: a symlinked card keeps
    its place in the catalog (and `Path.resolve` would fail on a symlink loop)."""
    absolute = Path(os.path.abspath(path))
    return Path(os.path.realpath(absolute.parent)) / absolute.name


class Unreadable(Exception):
    """A path that cannot be read as a file; the text says why ("expected …, found …")."""


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def kind_of(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path`, a regular file (or a link to one) of at most `limit` bytes."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise Unreadable(f"expected a card file, found a link to a missing file ({os.readlink(path)})") from None
        raise Unreadable("expected a card file, found nothing (no such file)") from None
    except OSError as exc:
        raise Unreadable(f"cannot read the file: {exc.strerror}") from None
    _check_regular(info, limit)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it still returns at once.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Unreadable(f"cannot read the file: {exc.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        _check_regular(os.fstat(handle.fileno()), limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(f"expected a file of at most {_size(limit)}, found a larger one")
    return data


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(f"expected a regular file, found {kind_of(info.st_mode)}")
    if info.st_size > limit:
        raise Unreadable(f"expected a file of at most {_size(limit)}, found {_size(info.st_size)}")


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MiB" if count >= 2**20 else f"{count} bytes"


_TEMPORARY = ".tmp"  # write_atomically's temporary files: .<name>.<random>.tmp beside <name>


def write_atomically(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Replace `path` (or the file a symlink at `path` points to) by `content`, all at once.

    The file keeps its permissions (a new one gets `mode`, or the umask's default). Raises OSError
    when the folder cannot be written; the temporary file is gone by then.
    """
    target = Path(os.path.realpath(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=_TEMPORARY)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def shown(path: Path, limit: int = 80) -> str:
    """A path as a message shows it: an over-long one cut short (the file system refused it anyway)."""
    text = str(path)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stamp(folder: Path) -> str:
    """Names `folder` itself, by device and inode. A mark counts only when it holds its folder's stamp, so
    a mark copied along with a folder, or committed to a repository by a pull request, proves nothing."""
    info = os.stat(folder)
    return f"folder {info.st_dev}:{info.st_ino}"


def _marked(folder: Path, mark: str) -> bool:
    if os.path.islink(folder / mark):
        return False
    try:
        return stamp(folder) in read_regular(folder / mark, 2**26).decode("utf-8", "replace")
    except Unreadable:
        return False


def refusal(folder: Path, option: str, mark: str, maker: str, ours: Callable[[list[Path]], bool] | None = None) -> str | None:
    """Why `folder` may not be taken as `maker`'s output folder, or None; looks without writing anything.

    Taken: a missing or empty folder, one holding `mark` as `claim` wrote it there (a regular file with the
    folder's `stamp`), or one whose entries `ours` recognises as the command's own."""
    try:
        if os.path.lexists(folder) and not folder.is_dir():
            found = "a file" if folder.is_file() else kind_of(os.stat(folder).st_mode) if folder.exists() else "a link to nothing"
            return f"{option} {shown(folder)}: expected a folder for {maker}'s output, found {found}"
        if not folder.is_dir():
            return None
        # Another run writing its mark this very moment leaves only that mark's temporary file here.
        entries = [e for e in folder.iterdir() if not (e.name.startswith(f".{mark}.") and e.name.endswith(_TEMPORARY))]
        if not entries or _marked(folder, mark):
            return None
    except OSError as exc:
        return f"{option} {shown(folder)}: cannot use it: {exc.strerror}"
    if ours and ours(entries):
        return None
    why = f" (its {mark} was not written there by {maker}: copied, planted or damaged)" if os.path.lexists(folder / mark) else ""
    return (f"{option} {shown(folder)}: holds files {maker} did not make{why}; not touching it"
            " (choose a new or empty folder, or remove it yourself)")


def claim(folder: Path, option: str, mark: str, maker: str, content: Callable[[str], str],
          ours: Callable[[list[Path]], bool] | None = None) -> str | None:
    """Take `folder` for `maker` (see `refusal`), creating it if missing and writing its `mark`,
    `content(stamp)`, unless the mark is there already; None when taken, else why not."""
    problem = refusal(folder, option, mark, maker, ours)
    if problem:
        return problem
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not _marked(folder, mark):
            if os.path.islink(folder / mark):
                os.unlink(folder / mark)  # written through, a link would carry the mark elsewhere
            write_atomically(folder / mark, content(stamp(folder)))
    except OSError as exc:
        return f"{option} {shown(folder)}: cannot create it or write there: {exc.strerror}"
    return None


def unlink_links(folder: Path) -> None:
    """Remove every symbolic link under `folder` (a folder the command took, and clears anyway): mkdocs
    would build into whatever a planted link points at, and empty it first."""
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            if os.path.islink(os.path.join(parent, name)):
                os.unlink(os.path.join(parent, name))


def user_secret() -> bytes | None:
    """This user's secret for signing what the project reads back, made on first use in
    `$XDG_CACHE_HOME/survey/key`; None where it cannot be kept."""
    try:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "survey" / "key"
    except RuntimeError:  # no home folder to be found
        return None
    try:
        key = read_regular(path, 64)
    except Unreadable:
        key = b""
    if len(key) == 32:
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(path, secrets.token_bytes(32), mode=0o600)
        return read_regular(path, 64)
    except (Unreadable, OSError):
        return None
