"""The ``landscape`` command: a thin layer that parses options, calls the package and prints.

Heavy modules are imported inside the commands so that ``landscape --help`` starts fast. Expected
user errors (``LandscapeError``) are printed as one line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from landscape.schema import LandscapeError

app = typer.Typer(
    name="landscape",
    help="Turn a pile of paper abstracts into a map of a research field.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 2):
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


# ---- commands -----------------------------------------------------------------------------------
# (each command: parse, call one package function, print; keep heavy imports inside the function)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        app(args=argv, standalone_mode=False)
    except LandscapeError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
