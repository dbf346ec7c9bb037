"""Files written and read safely: atomic replacement, pairs replaced together, fingerprints,
and one cache of what was computed from files.

Every file finestats writes goes through :func:`atomic_write`: the bytes are written to a temporary
file beside the target and renamed over it, so a reader sees the old file or the new one, never a
part. Expected OS errors (permission, disk full, a file where a folder should be) become one-line
:class:`~finestats.errors.UsageError` messages naming the path.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from finestats.errors import UsageError

_OS_ERRORS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENOENT: "no such file or folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EEXIST: "it already exists",
}


def os_error(path: str | os.PathLike[str], exc: OSError, doing: str = "write") -> UsageError:
    """A one-line UsageError for an expected OS error on ``path``."""
    why = _OS_ERRORS.get(exc.errno or -1, exc.strerror or type(exc).__name__)
    return UsageError(f"cannot {doing} {path}: {why}")


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` (and parents); expected OS errors become a UsageError."""
    p = Path(path)
    if str(path) == "":
        raise UsageError("an empty path was given where a folder is expected")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"cannot create folder {p}: a file of that name exists") from None
    except OSError as exc:
        raise os_error(p, exc, "create folder") from None
    return p


def _temp_beside(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    If ``write`` raises, ``path`` keeps its previous content and the temporary file is removed.
    Parent folders are created as needed. A target that exists and is not a regular file (a
    symbolic link, a device, a pipe) is refused, never replaced.
    """
    return atomic_write_many([(path, write)])[0]


def atomic_write_many(items: Sequence[tuple[str | os.PathLike[str], Callable[[Path], None]]]):
    """Write several files so that they are replaced together or not at all: every temporary file
    is written in full first (a full disk or any error leaves every target as it was), then all
    are renamed into place, in order. Returns the target paths."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, write in items:
            target = Path(path)
            if str(path) == "":
                raise UsageError("an empty path was given where a file is expected")
            if target.is_symlink() or (target.exists() and not target.is_file()):
                raise UsageError(
                    f"{target} is not a regular file (a link, folder, device or pipe): not replaced"
                )
            ensure_dir(target.parent)
            try:
                tmp = _temp_beside(target)
            except OSError as exc:
                raise os_error(target, exc) from None
            staged.append((tmp, target))
            try:
                write(tmp)
                os.chmod(tmp, 0o644)
            except OSError as exc:
                raise os_error(target, exc) from None
        for tmp, target in staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise os_error(target, exc) from None
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return [target for _, target in staged]


def text_writer(text: str) -> Callable[[Path], None]:
    """A ``write`` callable for :func:`atomic_write`: UTF-8 bytes, ``\\n`` line ends as given."""
    data = text.encode("utf-8")
    return lambda tmp: tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8, atomically."""
    return atomic_write(path, text_writer(text))


def json_text(obj: Any) -> str:
    """Indented, key-sorted UTF-8 JSON with a final newline (deterministic)."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as :func:`json_text`, atomically."""
    return atomic_write_text(path, json_text(obj))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes (the data fingerprint exports record)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class FileCache:
    """What was computed from files, kept while the files are unchanged (same path, size and
    modification time). Frames are handed out as copies (pandas copy-on-write: cheap), so that
    a caller who edits one never changes what a later call gets."""

    def __init__(self, size: int = 16) -> None:
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, files: Sequence[str | os.PathLike[str]], compute: Callable[[], Any], *key: Any):
        """The value for these files (and ``key``), computed once per content."""
        stamp = tuple(_stamp(f) for f in files) + key
        with self._lock:
            hit = self._items.get(stamp, _MISSING)
            if hit is not _MISSING:
                self._items.move_to_end(stamp)
        if hit is _MISSING:
            hit = compute()
            with self._lock:
                self._items[stamp] = hit
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return _copy(hit)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_MISSING = object()


def _stamp(path: str | os.PathLike[str]) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), st.st_mtime_ns, st.st_size, st.st_ino)


def _copy(value: Any) -> Any:
    copy = getattr(value, "copy", None)
    if callable(copy) and hasattr(value, "columns"):  # a DataFrame
        return copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


#: The one file cache of the process (records, events, coverage, price indices, figures).
CACHE = FileCache()
