"""Shared plumbing for the format readers: one way to open a file, one way to parse a number.

Every reader goes through :func:`open_text` so that the checks a user can trip over
(missing file, directory, huge file, binary or non-UTF-8 bytes) are made once and
reported the same way: as an :class:`~qanneal.errors.InputError` naming the file.
Files ending in ``.gz`` or ``.xz`` are decompressed on the fly (:func:`read_bytes`),
and the limit applies to the decompressed bytes, so a decompression bomb is refused
after at most ``max_bytes`` bytes have been inflated.
"""

from __future__ import annotations

import gzip
import lzma
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from qanneal.errors import InputError
from qanneal.io import register_input
from qanneal.sizing import check_deadline

#: Files larger than this are refused before a single byte is read (200 MiB).
MAX_BYTES = 200 * 1024 * 1024

#: Largest node count a graph reader builds (networkx needs ~0.5 KB per node): a
#: header claiming more is almost surely a typo, and would exhaust memory before any
#: edge-count check could catch it.
MAX_NODES = 1_000_000

PathLike = str | Path

#: Integers and floats in a data file lie strictly within +-2**63 (int64): nothing
#: in a benchmark is larger, and weights beyond overflow once squared in a model.
NUMBER_LIMIT = 2**63
_MAX_INT_DIGITS = 19

# ASCII digits only: int() would also take '1_000' and Arabic-Indic digits, which
# no benchmark format means.
_INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_NONFINITE_RE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.ASCII | re.IGNORECASE)


def snippet(text: str, limit: int = 40) -> str:
    """Quote ``text`` for an error message: repr() keeps it on one line, long text is cut."""
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def open_text(path: PathLike, *, max_bytes: int = MAX_BYTES) -> Iterator[tuple[int, str]]:
    """Check ``path`` and return an iterator of ``(lineno, line)`` (1-based, newline stripped).

    The checks run now, not on first iteration, so a bad path fails at the call:
    the file must exist, be a regular file of at most ``max_bytes`` bytes (decompressed,
    for ``.gz`` and ``.xz``: :func:`read_bytes`), contain no
    NUL byte (binary) and decode as UTF-8 (a leading BOM is dropped). Lines are split
    on ``\\n`` only (``\\r\\n`` accepted), so line numbers match what an editor shows.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ...     _ = f.write("a\\r\\nb\\n")
    >>> list(open_text(f.name))
    [(1, 'a'), (2, 'b')]
    >>> os.unlink(f.name)
    """
    data = read_bytes(path, max_bytes=max_bytes)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError("binary data (NUL byte); expected a UTF-8 text file", file=path, line=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8; expected a UTF-8 text file",
            file=path,
            line=line,
        ) from None
    return _lines(text, path)


#: Compressed file suffixes read transparently, and the module that inflates each.
COMPRESSED = {".gz": gzip, ".xz": lzma}


def data_suffix(path: PathLike) -> str:
    """The format suffix of ``path``, lower case, past a compression suffix.

    >>> data_suffix("bench/labs005.qs.xz"), data_suffix("g.RUD"), data_suffix("x.gz")
    ('.qs', '.rud', '.gz')
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in COMPRESSED:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def read_bytes(path: PathLike, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, decompressed if it ends in ``.gz`` or ``.xz``.

    At most ``max_bytes`` are read or inflated: a larger file, or a compressed one that
    inflates past the limit (a decompression bomb), is refused with an
    :class:`~qanneal.errors.InputError` naming the file, as is a missing file, a
    directory or corrupt compressed data.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(f"file not found: {p.resolve()}", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot access file: {exc.strerror or exc}", file=path) from None
    if not p.is_file():
        raise InputError("not a regular file (a directory?); expected a text file", file=path)
    if st.st_size > max_bytes:
        raise InputError(
            f"file is {_size(st.st_size)}, more than the {_size(max_bytes)} limit; "
            "refusing to read it",
            file=path,
        )
    module = COMPRESSED.get(p.suffix.lower())
    try:
        if module is None:
            with open(p, "rb") as fh:
                data = fh.read(max_bytes + 1)
        else:
            # Read one byte past the limit through the decompressor: memory stays
            # bounded whatever the compression ratio.
            with module.open(p, "rb") as fh:
                data = fh.read(max_bytes + 1)
    except OSError as exc:
        if module is not None and exc.errno is None:  # gzip's BadGzipFile, truncated data
            raise InputError(f"not valid {p.suffix.lower()[1:]} data ({exc}); expected a "
                             f"{p.suffix.lower()}-compressed text file", file=path) from None
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=path) from None
    except (lzma.LZMAError, zlib.error, EOFError) as exc:
        raise InputError(f"not valid {p.suffix.lower()[1:]} data ({exc or 'truncated'}); "
                         f"expected a {p.suffix.lower()}-compressed text file",
                         file=path) from None
    register_input(p)  # no output of this run may overwrite it
    if len(data) > max_bytes:
        if module is not None:
            raise InputError(f"decompresses to more than the {_size(max_bytes)} limit; "
                             "refusing to inflate it further (a decompression bomb?)",
                             file=path)
        raise InputError(f"file is larger than the {_size(max_bytes)} limit", file=path)
    return data


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


#: Characters read between two looks at the time limit (:func:`_lines`).
DEADLINE_EVERY = 1 << 16


def _lines(text: str, path: PathLike) -> Iterator[tuple[int, str]]:
    lines = text.split("\n")
    if lines[-1] == "":  # the newline that ends the last line does not start another
        lines.pop()
    # The readers parse (and build their graph or table) line by line as they iterate:
    # a look at the run's time limit every 64K characters stops a file that would take
    # longer to read than the whole budget (a 3M-edge rudy file: 27 s), wherever it is
    # read from, a wide CSV of few lines as much as a long one.
    pending = 0
    for i, line in enumerate(lines, start=1):
        pending += len(line)
        if pending > DEADLINE_EVERY:
            pending = 0
            check_deadline(str(path), i / len(lines), reading=True)
        yield i, line.rstrip("\r")


def parse_int(
    token: str,
    *,
    file: PathLike,
    line: int | None = None,
    field: str | None = None,
    lo: int | None = None,
    hi: int | None = None,
    what: str = "an integer",
) -> int:
    """Parse an ASCII integer token, optionally bounded by ``lo <= value <= hi``."""
    if not _INT_RE.fullmatch(token):
        raise InputError(f"expected {what}, got {snippet(token)}", file=file, line=line, field=field)
    digits = len(token.lstrip("+-").lstrip("0"))
    # The digit count is checked before int(): Python refuses to convert more than
    # 4300 digits, and nothing in a benchmark file is beyond int64 anyway.
    value = int(token) if digits <= _MAX_INT_DIGITS else None
    low = -NUMBER_LIMIT + 1 if lo is None else lo
    high = NUMBER_LIMIT - 1 if hi is None else hi
    if value is None or value < low or value > high:
        if lo is not None and hi is not None:
            allowed = f"{lo} <= value <= {hi}"
        elif lo is not None:
            allowed = f"value >= {lo} (and below 2**63)"
        elif hi is not None:
            allowed = f"value <= {hi} (and above -2**63)"
        else:
            allowed = "-2**63 < value < 2**63"
        shown = value if value is not None else f"{snippet(token)} ({digits} digits)"
        raise InputError(
            f"{shown} is out of range; expected {what} with {allowed}",
            file=file,
            line=line,
            field=field,
        )
    return value


def parse_float(
    token: str,
    *,
    file: PathLike,
    line: int | None = None,
    field: str | None = None,
    what: str = "a finite number",
) -> float:
    """Parse a finite decimal number; NaN and infinities are refused by name."""
    if _NONFINITE_RE.fullmatch(token):
        raise InputError(
            f"{snippet(token)} is not allowed; expected {what}", file=file, line=line, field=field
        )
    if not _FLOAT_RE.fullmatch(token):
        raise InputError(f"expected {what}, got {snippet(token)}", file=file, line=line, field=field)
    value = float(token)
    if not math.isfinite(value):  # e.g. 1e999 overflows to inf
        raise InputError(
            f"{snippet(token)} overflows to infinity; expected {what}",
            file=file,
            line=line,
            field=field,
        )
    if abs(value) >= NUMBER_LIMIT:  # squared or summed in a model, it would overflow
        raise InputError(
            f"{snippet(token)} is too large; expected {what} between -2**63 and 2**63 "
            "(about 9.2e18): rescale the data",
            file=file,
            line=line,
            field=field,
        )
    return value


def format_number(x: float) -> str:
    """Shortest text that reads back to the same float; integral values without '.0'."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)
