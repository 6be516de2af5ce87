"""Pipeline benchmark: our build vs vanilla BERTopic on the same embeddings, rebuilds, and `update` speed.

Uses the dev corpus (``../shared/data/papers_dev.parquet``) in a fixed random order. Embeddings come
from ``--embeddings-dir`` (``perm.npy`` + ``chunk_NNNN.npy`` of 2,048 rows each, rows
``perm[2048 i : 2048 (i + 1)]``) when it covers the papers asked for, else from
``landscape.embed.embedder.Embedder`` and its cache (slow the first time: about 28 papers/s on 2 cores).
Results go to ``bench/results/pipeline-<time>.json`` and a table is printed.

For each size: our build without any cache (``fresh``), then a rebuild with the embeddings and UMAP
layouts cached and other clustering parameters (``rebuild``: min_cluster_size x 1.5). With
``--cold``, the MiniLM speed measured by the cold ``update`` gives an estimate of a cold build
(embedding every paper, then the fresh build).

    python bench/pipeline.py --sizes 20000 92705 --bertopic --update 1000 --cold   # make bench
    python bench/pipeline.py --sizes 2000 --update 1000                             # quick look
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


def load_dev(embeddings_dir: Path | None, n: int, offset: int = 0):
    """``n`` dev-corpus papers (rows ``perm[offset : offset + n]``) and their embeddings."""
    from quality import permutation, precomputed_rows  # the quality bench's sample order and chunks

    raw = pd.read_parquet(DEV)
    have_dir = embeddings_dir is not None and (embeddings_dir / "perm.npy").exists()
    perm = permutation(len(raw), embeddings_dir if have_dir else None)
    n = min(n, len(perm) - offset)
    frame = raw.iloc[perm[offset : offset + n]].reset_index(drop=True)
    vectors = precomputed_rows(embeddings_dir, offset + n) if have_dir else np.zeros((0, 0), np.float32)
    if len(vectors) >= offset + n:
        return frame, vectors[offset : offset + n]
    from landscape.embed.embedder import Embedder, paper_text

    print(f"embedding {n:,} papers with the bundled MiniLM (cached for next time)…", flush=True)
    texts = [paper_text(t, a) for t, a in zip(frame["title"], frame["abstract"], strict=True)]
    return frame, Embedder().encode(texts)


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


def run_ours(frame, vectors, out_dir, seed, cache_dir=False, topic_params=None):
    from landscape.corpus.ingest import IngestResult
    from landscape.pipeline.build import build

    corpus = IngestResult.from_frame(frame).corpus
    emb = aligned(frame, vectors, corpus)
    t0 = time.perf_counter()
    land = build(
        frame, out_dir, embeddings=emb, random_state=seed, cache_dir=cache_dir, topic_params=topic_params
    )
    wall = time.perf_counter() - t0
    ref = reference_labels(frame.set_index("id").loc[land.documents["id"]].reset_index())
    return land, {
        "wall_s": round(wall, 1),
        "stages": land.meta["timings"],
        "topics": land.meta["counts"]["topics"],
        "outlier_share": round(land.meta["counts"]["outlier_share"], 4),
        "nmi_primary_category": nmi(land.documents["topic"], ref),
        "peak_rss_mb": round(peak_rss_mb()),
        "layouts_from_cache": land.meta["parameters"].get("layouts_from_cache", []),
        "min_cluster_size": land.meta["parameters"]["topic_model"]["min_cluster_size"],
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

    from landscape.corpus.ingest import IngestResult
    from landscape.pipeline.update import update

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
        "docs_per_s": record.get("embedding", {}).get("docs_per_s"),
    }


def help_time() -> float:
    t0 = time.perf_counter()
    command = [str(Path(sys.executable).parent / "landscape"), "--help"]
    subprocess.run(command, capture_output=True, check=True)
    return round(time.perf_counter() - t0, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings-dir", type=Path, default=None, help="precomputed chunks + perm.npy")
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
        n = len(frame)
        cache = work / f"cache-{n}"
        land, ours = run_ours(frame, vectors, work / f"ours-{n}", args.seed, cache_dir=cache)
        run = {"papers": n, "ours": ours}
        print(json.dumps(run), flush=True)
        bigger = {"min_cluster_size": round(ours["min_cluster_size"] * 1.5)}
        _, run["rebuild"] = run_ours(
            frame, vectors, work / f"re-{n}", args.seed, cache_dir=cache, topic_params=bigger
        )
        print(json.dumps({"rebuild": run["rebuild"]}), flush=True)
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
    speed = next(
        (
            u.get("docs_per_s")
            for r in result["runs"]
            for u in r.get("update", [])
            if u["embeddings"].startswith("cold")
        ),
        None,
    )
    for run in result["runs"]:
        if speed:
            run["cold_build_estimate_s"] = round(run["papers"] / speed + run["ours"]["wall_s"])
    result["cold_embedding_docs_per_s"] = speed
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"pipeline-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"written {path}")
    return 0


STAGES = (
    "topics.neighbours",
    "topics.umap",
    "topics.umap_2d",
    "topics.cluster",
    "topics.keywords",
    "areas",
    "evaluate",
)


def table(result) -> str:
    """The printed summary: one row per run, seconds per stage, peak RSS, topics, outliers, NMI."""
    head = [
        "papers",
        "run",
        "wall s",
        *[s.split(".")[-1] for s in STAGES],
        "peak MB",
        "topics",
        "unassigned",
        "NMI",
    ]
    rows = []
    for run in result["runs"]:
        for name in ("ours", "rebuild", "bertopic"):
            r = run.get(name)
            if not r:
                continue
            stages = [r["stages"].get(s, "") for s in STAGES]
            stages = [
                f"{v:.1f}" if isinstance(v, float | int) else ("-" if name != "bertopic" else "")
                for v in stages
            ]
            label = {"ours": "ours (fresh)", "rebuild": "ours rebuild (cached)", "bertopic": "BERTopic()"}[
                name
            ]
            rows.append(
                [
                    f"{run['papers']:,}",
                    label,
                    f"{r['wall_s']:.1f}",
                    *stages,
                    str(r["peak_rss_mb"]),
                    str(r["topics"]),
                    f"{r['outlier_share']:.1%}",
                    f"{r['nmi_primary_category']:.3f}",
                ]
            )
        for u in run.get("update", []):
            rows.append(
                [
                    f"+{u['added']:,}",
                    f"update ({u['embeddings']})",
                    f"{u['wall_s']:.1f}",
                    *[""] * len(STAGES),
                    "",
                    f"+{u['new_topics']} new",
                    "",
                    "",
                ]
            )
        if run.get("cold_build_estimate_s"):
            rows.append(
                [
                    f"{run['papers']:,}",
                    "cold build (estimate)",
                    f"{run['cold_build_estimate_s']:.0f}",
                    *[""] * len(STAGES),
                    "",
                    "",
                    "",
                    "",
                ]
            )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(str(x).rjust(w) for x, w in zip(line, widths, strict=True)) for line in [head, *rows]]
    extra = f"landscape --help: {result['landscape_help_s']} s"
    if result.get("cold_embedding_docs_per_s"):
        extra += f"; cold MiniLM embedding: {result['cold_embedding_docs_per_s']} papers/s"
    return "\n".join([*lines, extra])


if __name__ == "__main__":
    sys.exit(main())
