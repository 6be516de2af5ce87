"""A cold build of the dev corpus as a user runs it: `landscape build --no-cache`, timed.

    python bench/cold_build.py                      # every dev paper (about 30 min on 2 cores)
    python bench/cold_build.py --limit 2000         # a quick look
    python bench/cold_build.py --from DIR           # the record of a landscape built earlier

Runs the command in a child process with ``precision="auto"`` (or ``$LANDSCAPE_PRECISION``), no
embedding or layout cache, and prints its wall time, its peak RSS and the stage timings that
``landscape.json`` records, with the load average before and after (timings need a quiet machine).
Writes ``bench/results/cold-build-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from records import write_record  # bench/ is the script's directory, so on sys.path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "papers_dev.parquet"


def landscape_command() -> list[str]:
    return [sys.executable, "-m", "landscape.cli"]


def record_of(directory: Path) -> dict:
    meta = json.loads((directory / "landscape.json").read_text())
    return {
        "papers": meta["counts"]["papers"],
        "topics": meta["counts"]["topics"],
        "groups": len(meta.get("groups", [])),
        "outlier_share": round(meta["counts"]["outlier_share"], 4),
        "device": meta["parameters"].get("device"),
        "timings": meta["timings"],
        "versions": meta.get("versions", {}),
    }


def run(corpus: Path, limit: int | None, keep: Path | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="cold-build-") as tmp:
        inputs = corpus
        if limit:
            import pandas as pd

            inputs = Path(tmp) / "corpus.parquet"
            read = pd.read_parquet if corpus.suffix == ".parquet" else pd.read_csv
            read(corpus).head(limit).to_parquet(inputs)
        out = keep or Path(tmp) / "landscape"
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        cmd = [*landscape_command(), "build", str(inputs), "-o", str(out), "--no-cache", "--quiet"]
        subprocess.run(cmd, check=True, cwd=ROOT)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {
            **record_of(out),
            "wall_s": round(wall, 1),
            "peak_rss_mb": round(peak),
            "load_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "precision_env": os.environ.get("LANDSCAPE_PRECISION"),
            "cpu_cores": len(os.sched_getaffinity(0)),
        }


def show(record: dict) -> None:
    wall = record.get("wall_s")
    head = f"cold build: {record['papers']:,} papers, {record['topics']} topics, {record['groups']} groups"
    if wall is not None:
        head += f" in {wall / 60:.1f} min, peak RSS {record['peak_rss_mb']} MB"
    print(head)
    for stage, value in record["timings"].items():
        print(f"  {stage:<24} {value:>10.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEV)
    parser.add_argument("--limit", type=int, help="only the first N papers")
    parser.add_argument("--keep", type=Path, help="write the landscape here instead of a temporary folder")
    parser.add_argument("--from", dest="saved", type=Path, help="print the record of a saved landscape")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.saved is None and not args.corpus.exists():
        print(f"no corpus at {args.corpus}: pass --corpus", file=sys.stderr)
        return 2
    record = record_of(args.saved) if args.saved else run(args.corpus, args.limit, args.keep)
    show(record)
    write_record(record, args.json, "cold-build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
