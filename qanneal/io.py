"""Safe file writes and JSON-safe conversion shared by every writer.

An interrupted run must never leave a half-written file: a regular file is written
to a temporary file in the same folder and renamed over the target. What a write
must never do, whatever path it is given:

- write to anything but a regular file or a new path: a device (``--json /dev/full`` as
  root once replaced the real /dev/full), a FIFO (with no reader, opening it blocked
  for ever), a socket or a directory is refused; ``--json -`` is stdout;
- replace a symlink by a regular file: the link is written through (its target is
  replaced atomically, the link stays);
- overwrite a file this process read as an input (the problem file, its data files:
  see :func:`register_input`), unless the caller says so (``qanneal tune`` does);
- fail with a traceback: every OS error is an :class:`~qanneal.errors.OutputError`,
  ``cannot write PATH: reason``;
- carry a known secret (the D-Wave token): text and JSON are scrubbed
  (:func:`qanneal.redact.scrub`), whoever put the secret in.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qanneal.errors import OutputError
from qanneal.redact import scrub

# (st_dev, st_ino) of every file read as an input in this process.
_INPUTS: set[tuple[int, int]] = set()


def register_input(path: str | Path) -> None:
    """Remember ``path`` as an input of this process: writers will not overwrite it."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISREG(st.st_mode):
        _INPUTS.add((st.st_dev, st.st_ino))


def is_input(path: str | Path) -> bool:
    """Whether ``path`` (symlinks followed) is a file registered as an input."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) in _INPUTS


def output_target(path: str | Path, *, allow_inputs: bool = False
                  ) -> tuple[Path, os.stat_result | None]:
    """Where a write of ``path`` goes (symlinks resolved) and what is there now.

    Refuses a directory, anything else that is not a regular file (a device, a FIFO, a
    socket), and a registered input.
    """
    real = Path(os.path.realpath(path))  # write through symlinks; never raises on a loop
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return real, None
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(path, "it is a directory; give a file name")
    if not stat.S_ISREG(mode):
        kind = ("a character device" if stat.S_ISCHR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                else "a block device" if stat.S_ISBLK(mode) else "a socket")
        raise OutputError(path, f"not a regular file ({kind}); give a file name")
    if stat.S_ISREG(mode) and not allow_inputs and (st.st_dev, st.st_ino) in _INPUTS:
        raise OutputError(path, "it is an input of this run; choose another name")
    return real, st


def atomic_write_text(path: str | Path, text: str, *, allow_inputs: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file + rename), known secrets
    (:mod:`qanneal.redact`) scrubbed."""
    return atomic_write_bytes(path, scrub(text).encode("utf-8"), allow_inputs=allow_inputs)


def atomic_write_bytes(path: str | Path, data: bytes, *, allow_inputs: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (a regular file or a new path only: see
    :func:`output_target`); raises :class:`OutputError` (one line) on any failure."""
    path = Path(path)
    real, _ = output_target(path, allow_inputs=allow_inputs)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        # A short prefix: the temporary name must fit where the target's name fits.
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name[:32]}.", suffix=".tmp",
                                   dir=real.parent)
        try:
            # mkstemp makes the file private (0600); give it the mode open() would have.
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, real)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    return path


LOCK_NAME = ".qanneal.lock"


@contextmanager
def dir_lock(folder: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if missing) while writing into it.

    Two ``qanneal compare --out DIR`` into one folder would interleave their lines in
    runs.jsonl and overwrite each other's tables; the second one now fails at once,
    naming the folder. The lock is ``flock`` on ``DIR/.qanneal.lock`` (the file stays;
    the kernel drops the lock when the process ends, however it ends).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: a symlink planted as the lock file must not create or open a file
        # elsewhere (as root, anywhere).
        fd = os.open(folder / LOCK_NAME,
                     os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        raise OutputError(folder, exc.strerror or str(exc)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise OutputError(folder, "another qanneal compare is writing into this folder; "
                                  "wait for it to finish or choose another --out") from None
    try:
        yield folder
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars, sets, tuples and non-string keys into JSON-safe values.

    Non-finite floats become strings ('inf', 'nan') so the output stays strict JSON.
    """
    if isinstance(obj, Mapping):
        return {_key(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [jsonable(v) for v in sorted(obj, key=_sort_key)]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def _key(k: Any) -> str:
    if isinstance(k, np.generic):
        k = k.item()
    if isinstance(k, tuple):
        return ",".join(str(_key(p)) for p in k)
    return str(k)


def _sort_key(v: Any) -> tuple[str, str]:
    return (type(v).__name__, str(v))


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON of ``obj`` (see :func:`jsonable`), known secrets scrubbed: every JSON
    output (files, runs.jsonl, stdout) is made here."""
    return scrub(json.dumps(jsonable(obj), indent=indent, allow_nan=False))
