"""Where a benchmark's JSON record goes: ``--json PATH``, else ``bench/results/<name>-<UTC time>.json``."""

from __future__ import annotations

import json
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_record(record: dict, target: Path | None, name: str) -> Path:
    """Write ``record`` to ``target`` (or a timestamped file in ``bench/results``) and say where."""
    target = target or RESULTS / f"{name}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, indent=1) + "\n")
    print(f"record written to {target}")
    return target
