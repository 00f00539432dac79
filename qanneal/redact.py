"""Known secret values, scrubbed from everything qanneal writes or prints.

A backend plugin, a solver's error message or a config dump may carry the D-Wave API
token into a result's ``info``, a compare table or an error line. Whoever put it
there, :func:`scrub` replaces it with ``***``; it is applied where text leaves the
process: the writers (:mod:`qanneal.io`), the console and the CLI's error line.

The secrets known here are the D-Wave token the cloud client would use (environment
``DWAVE_API_TOKEN`` or a ``dwave config`` file, as :func:`qanneal.backends.leap.api_token`
finds it). Values shorter than :data:`MIN_SECRET_LEN` are left alone: replacing ``a``
everywhere would corrupt every output without protecting anything.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, TextIO

MIN_SECRET_LEN = 8
MASK = "***"
#: Environment variables that may hold a secret directly, or change where the config
#: file token comes from (part of the cache key).
_ENV_SECRETS = ("DWAVE_API_TOKEN",)
_ENV_CONFIG = ("DWAVE_CONFIG_FILE", "DWAVE_PROFILE", "HOME", "XDG_CONFIG_HOME")


@lru_cache(maxsize=8)
def _config_token(_key: tuple[str | None, ...]) -> str | None:
    try:
        from qanneal.backends.leap import api_token
    except Exception:  # dwave-cloud-client missing or broken: no config token to know
        return None
    try:
        return api_token()
    except Exception:
        return None


def known_secrets() -> list[str]:
    """Secret values to scrub (longest first, so a token containing another goes whole)."""
    found = {os.environ.get(var) for var in _ENV_SECRETS}
    found.add(_config_token(tuple(os.environ.get(v) for v in (*_ENV_SECRETS, *_ENV_CONFIG))))
    forms: set[str] = set()
    for value in found:
        if value and len(value) >= MIN_SECRET_LEN:
            forms.add(value)
            forms.add(json.dumps(value)[1:-1])  # as it appears inside a JSON string
    return sorted(forms, key=len, reverse=True)


def scrub(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every known secret replaced by ``***``.

    >>> scrub("token abcdef123456 rejected", ["abcdef123456"])
    'token *** rejected'
    """
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_bytes(data: bytes) -> bytes:
    """:func:`scrub` for UTF-8 bytes (a text file's contents)."""
    for secret in known_secrets():
        raw = secret.encode("utf-8")
        if raw in data:
            data = data.replace(raw, MASK.encode())
    return data


class ScrubbingStream:
    """A text stream that scrubs what is written through it (the console's output).

    Everything else (``isatty``, ``fileno``, ``encoding``...) is the wrapped stream's.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
