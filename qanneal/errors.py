"""The project's own errors: what the CLI turns into one line and exit code 2.

Every error a user can cause (a bad file, an unknown name, a backend that cannot
run here) is a :class:`QanError`. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from pathlib import Path

#: Longest error line printed; the rest of a message is cut (it may quote a huge value).
MAX_MESSAGE = 300

# C0/C1 controls and DEL, and the bidirectional overrides that reorder what a terminal
# shows: never echoed raw.
_UNPRINTABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object, limit: int | None = MAX_MESSAGE) -> str:
    """``text`` as one terminal-safe line: whitespace runs become one space, other
    control characters are escaped (``\\x1b``), and the result is cut to ``limit``.

    >>> printable("a\\nerror: fake\\x1b[31m  red")
    'a error: fake\\\\x1b[31m red'
    >>> len(printable("x" * 10**6))
    300
    """
    text = str(text)
    if limit is not None and len(text) > 4 * limit:
        text = text[:4 * limit]  # never scan a multi-MB message to print 300 characters
    text = " ".join(text.split())
    text = _UNPRINTABLE_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                               else f"\\u{ord(m.group()):04x}", text)
    if limit is not None and len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def escape_controls(text: object, keep: str = "\n\t") -> str:
    """``text`` with control characters escaped (``\\x1b``) but those in ``keep``;
    spacing is left as it is (for multi-line reports).

    >>> escape_controls("a\\x1b[2J\\nb")
    'a\\\\x1b[2J\\nb'
    """
    return _UNPRINTABLE_RE.sub(
        lambda m: m.group() if m.group() in keep else
        (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"),
        str(text))


def safe_resolve(path: str | Path) -> str:
    """``Path(path).resolve()`` for a message: never raises (a symlink loop makes
    pathlib raise RuntimeError); falls back to the absolute path."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return os.path.abspath(path)


class QanError(Exception):
    """Base class of errors reported to the user as one line (exit code 2)."""

    exit_code = 2

    def one_line(self) -> str:
        """The message on one readable line: control characters escaped, at most
        :data:`MAX_MESSAGE` characters (a message may quote hostile input)."""
        return printable(str(self))


class InputError(QanError, ValueError):
    """Malformed input: names the file, the line or field, what was wrong and what is allowed.

    >>> str(InputError("must be a positive integer", file="g.rud", line=1, field="n"))
    'g.rud:1: n: must be a positive integer'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"

    def at(self, *, file: str | Path | None = None, line: int | None = None,
           field: str | None = None) -> InputError:
        """Return a copy with location details filled in where they are missing."""
        return InputError(
            self.message,
            file=self.file or file,
            line=self.line or line,
            field=self.field or field,
        )


class UnknownNameError(InputError):
    """A name (problem type, backend, option) that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str], **where) -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(
            f"unknown {kind} {name!r}{hint}; choose one of: {', '.join(known) or '(none)'}",
            **where,
        )


class UnknownKeyError(InputError):
    """A key a section of the input does not take; ``key`` and ``allowed`` say which.

    >>> str(UnknownKeyError("kk", ["balance", "k"], file="p.yaml", line=3, field="options.kk"))
    "p.yaml:3: options.kk: unknown key (did you mean 'k'?); allowed: balance, k"
    """

    def __init__(self, key: str, allowed: Iterable[str], **where) -> None:
        self.key = key
        self.allowed = sorted(allowed)
        listed = (f"allowed: {', '.join(self.allowed)}" if self.allowed
                  else "this section takes no keys")
        super().__init__(f"unknown key{did_you_mean(key, self.allowed)}; {listed}", **where)


class BackendUnavailable(QanError):
    """A backend that cannot run on this machine now, with the reason and the fix."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"backend {name!r} is unavailable: {reason}")


class BackendError(QanError):
    """A backend that raised while solving; the message names the backend."""

    def __init__(self, name: str, message: str, *, failed: bool = True) -> None:
        self.name = name
        # failed=False: the message says itself what happened ("crashed (signal 11)").
        super().__init__(f"backend {name!r} " + (f"failed: {message}" if failed else message))


class OutputError(QanError):
    """An output that cannot be written: ``cannot write PATH: reason``.

    >>> str(OutputError("/dev/full", "No space left on device"))
    'cannot write /dev/full: No space left on device'
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        shown = self.path
        if len(shown) > 120:  # keep the reason on the line: cut the middle of the path
            shown = shown[:60] + "..." + shown[-50:]
        super().__init__(f"cannot write {shown}: {reason}")


class TooLargeError(QanError):
    """A problem refused before any big allocation, with the estimate."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A ' (did you mean X?)' hint, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class SolveInterrupted(KeyboardInterrupt):
    """Ctrl-C during a solve. ``result`` is the best verified answer found so far, if any.

    A subclass of KeyboardInterrupt, so loops over solves still stop on Ctrl-C.
    """

    def __init__(self, result: object | None = None) -> None:
        super().__init__("interrupted")
        self.result = result
