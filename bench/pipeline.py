"""Pipeline benchmark: our build vs vanilla BERTopic on the same embeddings, and `landscape update` speed.

Uses the dev corpus (``../shared/data/papers_dev.parquet``) and, for speed, precomputed MiniLM
embeddings of it (``--embeddings-dir``: ``perm.npy`` + ``chunk_NNNN.npy`` of 2,048 rows each, rows
``perm[2048 i : 2048 (i + 1)]``). Results go to ``bench/results/pipeline-<time>.json``.

    python bench/pipeline.py --sizes 20000 --bertopic          # ours vs BERTopic() on 20k papers
    python bench/pipeline.py --sizes 2000 --update 1000         # small run + update timing
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "papers_dev.parquet"
RESULTS = ROOT / "bench" / "results"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_dev(embeddings_dir: Path, n: int, offset: int = 0):
    """``n`` dev-corpus papers (rows ``perm[offset : offset + n]``) and their precomputed embeddings."""
    perm = np.load(embeddings_dir / "perm.npy", allow_pickle=False)
    chunks = sorted(embeddings_dir.glob("chunk_*.npy"))
    have = len(chunks) * 2048
    if offset + n > have:
        raise SystemExit(f"only {have} precomputed embeddings in {embeddings_dir}; asked for {offset + n}")
    first, last = offset // 2048, (offset + n - 1) // 2048
    vectors = np.vstack([np.load(chunks[i], allow_pickle=False) for i in range(first, last + 1)])
    vectors = vectors[offset - first * 2048 : offset - first * 2048 + n]
    frame = pd.read_parquet(DEV).iloc[perm[offset : offset + n]].reset_index(drop=True)
    return frame, vectors.astype(np.float32)


def reference_labels(frame) -> np.ndarray:
    """arXiv primary category, else the first listed category."""
    primary = frame["primary_category"].fillna("").astype(str)
    first = frame["categories"].fillna("").astype(str).str.split().str[0].fillna("")
    return np.where(primary != "", primary, first)


def nmi(labels, reference) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    keep = reference != ""
    return round(float(normalized_mutual_info_score(reference[keep], np.asarray(labels)[keep])), 4)


def aligned(frame, vectors, corpus):
    """Embedding rows in the order of an ingested corpus (ingest may drop or merge rows)."""
    row_of = {i: k for k, i in enumerate(frame["id"].astype(str))}
    missing = [i for i in corpus["id"] if i not in row_of]
    if missing:
        raise SystemExit(f"{len(missing)} ingested ids not in the frame (e.g. {missing[:3]})")
    return vectors[[row_of[i] for i in corpus["id"]]]


def run_ours(frame, vectors, out_dir, seed):
    from landscape.build import build
    from landscape.ingest import IngestResult

    corpus = IngestResult.from_frame(frame).corpus
    emb = aligned(frame, vectors, corpus)
    t0 = time.perf_counter()
    land = build(frame, out_dir, embeddings=emb, random_state=seed)
    wall = time.perf_counter() - t0
    ref = reference_labels(frame.set_index("id").loc[land.documents["id"]].reset_index())
    return land, {
        "wall_s": round(wall, 1),
        "stages": land.meta["timings"],
        "topics": land.meta["counts"]["topics"],
        "outlier_share": round(land.meta["counts"]["outlier_share"], 4),
        "nmi_primary_category": nmi(land.documents["topic"], ref),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def run_bertopic(frame, vectors, seed):
    t0 = time.perf_counter()
    from bertopic import BERTopic

    imported = time.perf_counter() - t0
    docs = (frame["title"] + ". " + frame["abstract"]).tolist()
    t1 = time.perf_counter()
    labels, _ = BERTopic().fit_transform(docs, vectors)
    fit = time.perf_counter() - t1
    labels = np.asarray(labels)
    return {
        "wall_s": round(imported + fit, 1),
        "stages": {"import": round(imported, 1), "fit_transform": round(fit, 1)},
        "topics": int(len(set(labels.tolist()) - {-1})),
        "outlier_share": round(float((labels == -1).mean()), 4),
        "nmi_primary_category": nmi(labels, reference_labels(frame)),
        "peak_rss_mb": round(peak_rss_mb()),
        "note": "BERTopic() defaults, same embeddings; random_state not settable through defaults",
    }


def run_update(base_dir, new_frame, new_vectors, cold: bool):
    """Time `update` with 1,000-ish new papers: precomputed/cached embeddings, or cold (model)."""
    import shutil

    from landscape.ingest import IngestResult
    from landscape.update import update

    target = Path(tempfile.mkdtemp(prefix="bench-update-")) / "land"
    shutil.copytree(base_dir, target)
    if cold:
        t0 = time.perf_counter()
        _, record = update(target, new_frame, cache_dir=False)
    else:
        corpus = IngestResult.from_frame(new_frame).corpus
        t0 = time.perf_counter()
        _, record = update(target, new_frame, embeddings=aligned(new_frame, new_vectors, corpus))
    wall = time.perf_counter() - t0
    shutil.rmtree(target.parent, ignore_errors=True)
    return {
        "wall_s": round(wall, 1),
        "embeddings": "cold (model, no cache)" if cold else "precomputed",
        "added": record["added"],
        "assigned_existing": record["assigned_existing"],
        "new_topics": len(record["new_topics"]),
        "unassigned": record["unassigned"],
        "timings": record["timings"],
    }


def help_time() -> float:
    t0 = time.perf_counter()
    command = [str(Path(sys.executable).parent / "landscape"), "--help"]
    subprocess.run(command, capture_output=True, check=True)
    return round(time.perf_counter() - t0, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings-dir", type=Path, default=Path("/work/cache/dev_emb"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000], help="corpus sizes for our build")
    parser.add_argument("--bertopic", action="store_true", help="also run vanilla BERTopic on the first size")
    parser.add_argument("--update", type=int, default=0, help="then time an update with this many new papers")
    parser.add_argument("--cold", action="store_true", help="also time the update with cold embeddings")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if not DEV.exists():
        print(f"dev corpus not found at {DEV}", file=sys.stderr)
        return 1
    result = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "landscape_help_s": help_time(),
        "runs": [],
    }
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    for i, n in enumerate(args.sizes):
        frame, vectors = load_dev(args.embeddings_dir, n)
        land, ours = run_ours(frame, vectors, work / f"ours-{n}", args.seed)
        run = {"papers": n, "ours": ours}
        print(json.dumps(run), flush=True)
        if args.bertopic and i == 0:
            run["bertopic"] = run_bertopic(frame, vectors, args.seed)
            print(json.dumps(run["bertopic"]), flush=True)
        if args.update and i == 0:
            new_frame, new_vectors = load_dev(args.embeddings_dir, args.update, offset=n)
            run["update"] = [run_update(land.path, new_frame, new_vectors, cold=False)]
            if args.cold:
                run["update"].append(run_update(land.path, new_frame, new_vectors, cold=True))
            print(json.dumps(run["update"]), flush=True)
        result["runs"].append(run)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"pipeline-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
