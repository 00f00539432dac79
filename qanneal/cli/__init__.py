"""The ``qanneal`` command line: a Click group; each command lives in its own module.

User errors (:class:`qanneal.errors.QanError`, Click usage errors) print one line and
exit with code 2; there is no traceback for anything a user can cause.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

import click

from qanneal.errors import QanError
from qanneal.redact import scrub


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qanneal")
def cli() -> None:
    """qanneal: turn real problems into QUBOs, anneal them, decode and verify the answers."""


def _register_commands() -> None:
    # Every module in this package (but the shared helpers) defines one command and
    # registers itself on import; importing here avoids a cycle with `cli`.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if module.name != "common":
            importlib.import_module(f"{__name__}.{module.name}")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    _register_commands()
    # `kill` (SIGTERM) takes the same path as Ctrl-C: finished work is written first.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = cli.main(args=list(argv) if argv is not None else None,
                        prog_name="qanneal", standalone_mode=False)
    except QanError as exc:
        # A message may quote a plugin's or a cloud client's words: secrets scrubbed.
        click.echo(f"error: {scrub(exc.one_line())}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
