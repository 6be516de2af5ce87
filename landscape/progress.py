"""Feedback on long steps: one line per finished stage (name and seconds) and progress bars.

Lines go to stderr (or the caller's ``log`` function) unless ``quiet``, and always to the
``landscape`` logger at INFO level, so applications can route them through ``logging``. Bars use
``tqdm.auto``: a widget in Jupyter (with ipywidgets installed), text in a terminal.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager

logger = logging.getLogger("landscape")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class StageTimer:
    """Times named stages into ``timings`` (seconds, rounded to ms) and reports each one.

    ``prefix`` is put before the stage names in the lines (``"topics."`` for the topic model's
    stages), not in ``timings``; ``log`` replaces stderr as the place for lines when given.
    """

    def __init__(self, *, quiet: bool = False, log=None, prefix: str = ""):
        self.timings: dict[str, float] = {}
        self.quiet = quiet
        self.prefix = prefix
        self._log = log

    def say(self, message: str) -> None:
        """One progress line (also to the ``landscape`` logger)."""
        logger.info(message)
        if not self.quiet:
            (self._log or _stderr)(message)

    @contextmanager
    def stage(self, name: str):
        """``with timer.stage("embed"): ...`` records and reports the stage's seconds."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)
        self.say(f"{self.prefix}{name}: {self.timings[name]:.1f} s")

    def add(self, timings: dict, prefix: str = "") -> None:
        """Record timings measured elsewhere (e.g. the topic model's), under ``prefix``."""
        self.timings.update({f"{prefix}{k}": v for k, v in timings.items()})


def progress_bar(total: int, *, desc: str, unit: str = "doc", show: bool = True):
    """A ``tqdm.auto`` bar (disabled when ``show`` is false)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, disable=not show, dynamic_ncols=True)
