"""Reading and writing files the careful way: regular files only, and writes that are all or nothing.

- `read_regular` opens nothing but a regular file (a FIFO among the cards would block a read for ever,
  a device would never end) and refuses files over a size limit, with a message saying which.
- `write_atomically` writes a unique temporary file beside the target and renames it over the target,
  so an interrupted write never leaves half a file and two writers never share a temporary name. A
  symlink is written through: the file it points to gets the new content, the link stays a link.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
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
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
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
