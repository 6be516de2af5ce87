"""A cold build on one GPU: stage timings, and agreement with the landscape built on the CPU.

    python bench/gpu_build.py build --out /tmp/gpu92k --export /tmp/gpu-export     # on the GPU machine
    python bench/gpu_build.py compare /tmp/gpu-export /path/to/cpu-landscape        # anywhere

``build`` ingests the corpus (default: the dev corpus, ``../shared/data/papers_dev.parquet``) and runs
``landscape.build`` cold (no caches) with ``device="auto"``: MiniLM embeds on CUDA in bf16 where torch
sees a GPU, and the topic model runs UMAP and HDBSCAN on cuML when cuML imports
(``accelerator="auto"``), else on the machine's CPU cores. Without CUDA the GPU parts are skipped: the
script says so and runs the same build on the CPU, which is how it is tested
(tests/test_bench_gpu.py). It prints the stage timings from ``landscape.json`` and GPU memory, and
writes a JSON record; ``--export DIR`` writes what ``compare`` needs, small enough to bring back from
a GPU machine: ``assignments.parquet`` (paper id, topic, group) and ``sample_vectors.npy`` with
``sample_ids.json`` (a seeded sample of the embeddings).

``compare`` joins the two landscapes on paper ids and prints the adjusted Rand index and NMI of
their topics and of their groups, and the cosine between the two machines' embeddings of the sampled
papers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
from records import write_record  # bench/ is the script's directory, so on sys.path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing it (the GPU machine)

DEV = ROOT.parent / "shared" / "data" / "papers_dev.parquet"
SAMPLE_VECTORS = 2000  # embeddings brought back for the cosine check (3 MB)


def environment() -> dict:
    """What ran the build: torch and CUDA, the GPU, cuML, the CPU cores."""
    import importlib.util

    import torch

    cuda = torch.cuda.is_available()
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "accelerator": "cuml" if importlib.util.find_spec("cuml") else "cpu",
        "cpu_cores": len(os.sched_getaffinity(0)),
    }


def run_build(args) -> dict:
    import torch

    from landscape.pipeline.build import build

    env = environment()
    if env["gpu"] is None:
        print("CUDA is not available here: the GPU parts are skipped (embedding runs on the CPU)")
    if env["accelerator"] != "cuml":
        print("cuML does not import here: UMAP and HDBSCAN run on the CPU cores")
    print(json.dumps(env))
    inputs = args.corpus
    if args.limit:
        import pandas as pd

        inputs = (
            pd.read_parquet(args.corpus) if args.corpus.suffix == ".parquet" else pd.read_csv(args.corpus)
        )
        inputs = inputs.head(args.limit)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        path = args.out.parent / f"{args.out.name}-input.parquet"
        inputs.to_parquet(path)
        inputs = path
    start = time.perf_counter()
    land = build(
        [str(inputs)],
        args.out,
        random_state=args.random_state,
        cache_dir=False,
        device="auto",
        quiet=not args.verbose,
    )
    wall = time.perf_counter() - start
    counts = land.meta["counts"]
    record = {
        **env,
        "papers": counts["papers"],
        "topics": counts["topics"],
        "groups": len(land.meta.get("groups", [])),
        "outlier_share": counts["outlier_share"],
        "random_state": args.random_state,
        "wall_s": round(wall, 1),
        "timings": land.meta["timings"],
        "device": land.meta["parameters"].get("device"),
        "precision": land.meta.get("embedding_precision"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "gpu_peak_mb": round(torch.cuda.max_memory_allocated() / 2**20) if env["gpu"] else None,
    }
    if args.export:
        export(land, args.export)
    print_timings(record)
    return record


def export(land, directory: Path) -> None:
    """The papers' topics and groups, and a seeded sample of their embeddings, for ``compare``."""
    directory.mkdir(parents=True, exist_ok=True)
    docs = land.documents
    docs[["id", "topic", "group"]].to_parquet(directory / "assignments.parquet")
    rows = np.sort(np.random.default_rng(0).permutation(len(docs))[:SAMPLE_VECTORS])
    np.save(directory / "sample_vectors.npy", np.asarray(land.embeddings[rows], dtype=np.float32))
    (directory / "sample_ids.json").write_text(json.dumps([str(i) for i in docs["id"].iloc[rows]]))


def print_timings(record: dict) -> None:
    where = record["gpu"] or "CPU (no CUDA)"
    print(f"\n{record['papers']:,} papers on {where}, UMAP/HDBSCAN on {record['accelerator']}:", end=" ")
    print(f"{record['wall_s']} s")
    print(f"{record['topics']} topics, {record['groups']} groups, {record['outlier_share']:.1%} unassigned")
    for stage, seconds in record["timings"].items():
        if isinstance(seconds, (int, float)):
            print(f"  {stage:<28} {seconds:>9.2f}")
    print(
        f"peak RSS {record['peak_rss_mb']} MB"
        + (f", GPU peak {record['gpu_peak_mb']} MB" if record["gpu_peak_mb"] else "")
    )


def run_compare(args) -> dict:
    """ARI/NMI of topics and groups, and embedding cosine, between an export and a CPU landscape."""
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from landscape.store import Landscape

    theirs = Landscape.load(args.against)
    ours = pd.read_parquet(args.export / "assignments.parquet")
    joined = ours.merge(theirs.documents[["id", "topic", "group"]], on="id", suffixes=("_a", "_b"))
    record = {"papers_compared": len(joined), "papers_a": len(ours), "papers_b": len(theirs.documents)}
    for level in ("topic", "group"):
        a, b = joined[f"{level}_a"].to_numpy(), joined[f"{level}_b"].to_numpy()
        record[f"{level}_ari"] = round(float(adjusted_rand_score(a, b)), 4)
        record[f"{level}_nmi"] = round(float(normalized_mutual_info_score(a, b)), 4)
    ids = json.loads((args.export / "sample_ids.json").read_text())
    row_of = {str(i): k for k, i in enumerate(theirs.documents["id"])}
    keep = [k for k, i in enumerate(ids) if i in row_of]
    if keep and theirs.embeddings is not None:
        a = np.load(args.export / "sample_vectors.npy")[keep]
        b = np.asarray(theirs.embeddings[[row_of[ids[k]] for k in keep]], dtype=np.float32)
        cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        record.update(cosine_mean=round(float(cos.mean()), 6), cosine_min=round(float(cos.min()), 6))
    print(json.dumps(record, indent=1))
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="cold build on this machine's GPU (or CPU without one)")
    b.add_argument("--corpus", type=Path, default=DEV)
    b.add_argument("--out", type=Path, required=True, help="landscape directory to write")
    b.add_argument("--export", type=Path, help="folder for the assignments and sampled vectors")
    b.add_argument("--limit", type=int, help="only the first N papers (a quick look)")
    b.add_argument("--random-state", type=int, default=42)
    b.add_argument("--json", type=Path, help="where to write the record (default: bench/results/)")
    b.add_argument("--verbose", action="store_true", help="progress lines and bars")
    c = sub.add_parser("compare", help="agreement between an exported GPU build and a CPU landscape")
    c.add_argument("export", type=Path)
    c.add_argument("against", type=Path)
    c.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build" and not args.corpus.exists():
        print(f"no corpus at {args.corpus}: pass --corpus", file=sys.stderr)
        return 2
    record = run_build(args) if args.command == "build" else run_compare(args)
    write_record(record, args.json, f"gpu-{args.command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
