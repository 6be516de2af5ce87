"""The errors a user can fix, and optional dependencies that fail with an install hint."""

from __future__ import annotations


class LandscapeError(Exception):
    """Base class of the errors a user can fix (shown without a traceback on the CLI)."""


class NoResults(LandscapeError):
    """A fetch that found nothing (``landscape refresh`` reads it as "nothing new", not as a failure)."""


class CorpusError(LandscapeError):
    """Bad input: names the file, the row (1-based line number) and the field when known."""

    def __init__(self, message: str, *, file=None, line: int | None = None, field: str | None = None):
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if self.file is not None:
            where.append(self.file)
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class MissingDependencyError(LandscapeError, ImportError):
    """An optional dependency is not installed; the message says how to install it."""


def require(module: str, extra: str | None = None, package: str | None = None):
    """Import an optional dependency or fail with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        hint = f"pip install 'landscape[{extra}]'" if extra else f"pip install {package or module}"
        raise MissingDependencyError(f"this feature needs the '{package or module}' package: {hint}") from exc
