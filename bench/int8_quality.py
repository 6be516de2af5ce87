"""Quality guard for int8 embeddings (not a timed test): does precision="int8" change the map?

    python bench/int8_quality.py [--sizes 2000 10000] [--seeds 0 1 2] [--slices 4 1] [--throughput-n 512]
                                 [--repeats 3] [--cache-dir DIR] [--reference fp32|bf16]

On dev samples (the first N rows of ``bench/quality.py``'s fixed permutation of
``../shared/data/papers_dev.parquet``, labelled by arXiv category):

- cosine of each paper's int8 vector to its torch fp32 vector (mean, 1st percentile, min);
- the landscapes (``TopicModel``, seeds ``--seeds``) built from each: ARI between the int8 and fp32
  topic assignments of the same seed, beside the ARI between fp32 landscapes of different seeds (what
  a seed alone changes), and NMI of each against the labels, mean over the seeds (the guard:
  |NMI int8 - NMI fp32| <= 0.005, averaged over the ``--slices`` disjoint samples of each size:
  rows ``[j * N, (j + 1) * N)`` of the permutation; one sample alone moved it by -0.018 to +0.017,
  two seeds of one sample by 0.003 at most: judge it on many samples of one seed);
- throughput of each route on the same texts (the first ``--throughput-n`` of the sample, 256 tokens,
  batches of 64 sorted by length), routes interleaved and repeated: torch fp32, torch bf16 autocast,
  ONNX Runtime fp32 and int8 (the exported graph of :mod:`landscape.embed.onnx_int8`), as papers/s
  (median of the repeats) and papers per CPU-second (less sensitive to a busy machine).

``--reference bf16`` compares with torch bf16 vectors instead (fp32 ones where cached; bf16 is
within cosine 0.9999 of fp32), for when only those are cached: "fp32" in the results then means
the reference. Writes ``bench/results/int8_quality-<UTC time>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime

import numpy as np
from quality import DATA, RESULTS, category_label, load_corpus, permutation  # bench/quality.py

NMI_TOLERANCE = 0.005
MIN_COSINE = 0.99
BATCH = 64
MAX_SEQ_LENGTH = 256


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def embed(texts, precision, cache_dir):
    from landscape.embed.embedder import Embedder

    emb = Embedder("all-MiniLM-L6-v2", precision=precision, cache_dir=cache_dir, batch_size=BATCH)
    vectors = emb.encode(texts)
    log(f"  {precision}: {emb.last_stats_['n_encoded']} encoded, {emb.last_stats_['n_cached']} cached")
    return vectors


def cosines(a, b) -> dict:
    c = (a * b).sum(axis=1)
    return {"mean": float(c.mean()), "p01": float(np.percentile(c, 1)), "min": float(c.min())}


def landscape(docs, vectors, seed):
    from landscape.model.topics import TopicModel

    t0 = time.perf_counter()
    model = TopicModel(random_state=seed).fit(docs, vectors)
    return np.asarray(model.labels_), len(model.topics_), time.perf_counter() - t0


# ---- throughput ------------------------------------------------------------------------------------
def routes():
    """name -> (encode_batch(texts) -> array); every model loaded before any timing."""
    from landscape.embed.embedder import SentenceTransformerBackend, resolve_model
    from landscape.embed.onnx_int8 import OnnxBackend

    spec = resolve_model("all-MiniLM-L6-v2")
    torch_model = SentenceTransformerBackend(spec, max_seq_length=MAX_SEQ_LENGTH)
    ort_fp32 = OnnxBackend(spec, max_seq_length=MAX_SEQ_LENGTH, quantized=False)
    ort_int8 = OnnxBackend(spec, max_seq_length=MAX_SEQ_LENGTH)
    return {
        "torch fp32": lambda t: torch_model.encode_batch(t, "fp32"),
        "torch bf16": lambda t: torch_model.encode_batch(t, "bf16"),
        "ORT fp32": lambda t: ort_fp32.encode_batch(t, "fp32"),
        "ORT int8": lambda t: ort_int8.encode_batch(t, "int8"),
    }


def throughput(texts, repeats, outputs: dict | None = None) -> dict:
    """Papers/s of each route; ``outputs``, where given, receives each route's unit vectors of
    ``texts`` (in the order of the texts sorted longest first)."""
    import torch

    from landscape.embed.onnx_int8 import available_cores

    torch.set_num_threads(available_cores())  # the same threads as ONNX Runtime
    ordered = sorted(texts, key=len, reverse=True)
    batches = [ordered[i : i + BATCH] for i in range(0, len(ordered), BATCH)]
    encoders = routes()
    for encode in encoders.values():  # warm-up: first-call allocations out of the timings
        encode(batches[-1])
    wall = {name: [] for name in encoders}
    cpu = {name: [] for name in encoders}
    for rep in range(repeats):
        for name, encode in encoders.items():  # interleaved: a busy spell hits every route
            t0, c0 = time.perf_counter(), time.process_time()
            out = [encode(batch) for batch in batches]
            wall[name].append(len(texts) / (time.perf_counter() - t0))
            cpu[name].append(len(texts) / (time.process_time() - c0))
            log(f"  repeat {rep}: {name} {wall[name][-1]:.1f} papers/s, {cpu[name][-1]:.1f} per CPU-s")
            if outputs is not None:
                vectors = np.concatenate([np.asarray(o, dtype=np.float32) for o in out])
                outputs[name] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return {
        name: {
            "papers_per_s": round(statistics.median(wall[name]), 2),
            "papers_per_cpu_s": round(statistics.median(cpu[name]), 2),
            "runs_papers_per_s": [round(x, 2) for x in wall[name]],
        }
        for name in encoders
    }


# ---- main ------------------------------------------------------------------------------------------
def run_size(corpus, rows, seeds, cache_dir, throughput_n, repeats, reference="fp32", first_row=0) -> dict:
    from quality import agreement
    from sklearn.metrics import adjusted_rand_score

    from landscape.embed.embedder import paper_text

    part = corpus.iloc[rows]
    texts = [paper_text(t, a) for t, a in zip(part["title"], part["abstract"], strict=True)]
    labels = [category_label(p, c) for p, c in zip(part["primary_category"], part["categories"], strict=True)]
    log(f"{len(rows)} papers: embedding ({reference}, int8)")
    fp32 = embed(texts, reference, cache_dir)
    int8 = embed(texts, "int8", cache_dir)
    result = {
        "n": len(rows),
        "first_row": int(first_row),
        "labelled": sum(x is not None for x in labels),
        "reference": reference,
        "cosine": cosines(fp32, int8),
    }
    built = {}
    for seed in seeds:
        for name, vectors in (("fp32", fp32), ("int8", int8)):
            log(f"{len(rows)} papers: landscape {name}, seed {seed}")
            built[name, seed] = landscape(texts, vectors, seed)
    runs = {
        f"{name} seed {seed}": {
            "topics": k,
            "unassigned": float((lab == -1).mean()),
            "nmi": agreement(lab, labels)[0],
            "seconds": round(s, 1),
        }
        for (name, seed), (lab, k, s) in built.items()
    }
    result["landscapes"] = runs
    result["summary"] = {
        name: {
            key: float(np.mean([runs[f"{name} seed {s}"][key] for s in seeds]))
            for key in ("topics", "unassigned", "nmi")
        }
        | {"nmi_std": float(np.std([runs[f"{name} seed {s}"]["nmi"] for s in seeds]))}
        for name in ("fp32", "int8")
    }
    result["ari_int8_vs_fp32"] = float(
        np.mean([adjusted_rand_score(built["fp32", s][0], built["int8", s][0]) for s in seeds])
    )
    pairs = [(a, b) for i, a in enumerate(seeds) for b in seeds[i + 1 :]]
    result["ari_fp32_seed_vs_seed"] = (
        float(np.mean([adjusted_rand_score(built["fp32", a][0], built["fp32", b][0]) for a, b in pairs]))
        if pairs
        else None
    )
    summary = result["summary"]
    result["nmi_difference"] = summary["int8"]["nmi"] - summary["fp32"]["nmi"]
    result["pass"] = bool(
        result["cosine"]["min"] >= MIN_COSINE and abs(result["nmi_difference"]) <= NMI_TOLERANCE
    )  # one sample; main() judges a size by the mean over its samples
    if throughput_n:
        log(f"{len(rows)} papers: throughput on {min(throughput_n, len(texts))} of them, {repeats} repeats")
        result["throughput"] = throughput(texts[:throughput_n], repeats)
    return result


def machine() -> dict:
    from landscape.embed.onnx_int8 import available_cores, settings
    from landscape.embed.precision import auto_precision, cpu_has_native_bf16, cpu_has_vnni

    return {
        "cores": available_cores(),
        "native_bf16": cpu_has_native_bf16(),
        "vnni": cpu_has_vnni(),
        "auto": auto_precision("cpu"),
        "load_average": os.getloadavg(),
        "int8_settings": settings(),
    }


def guard(results) -> dict:
    """Per size: the worst cosine and the NMI difference averaged over its samples, and whether
    both hold (cosine >= ``MIN_COSINE``, |difference| <= ``NMI_TOLERANCE``)."""
    out = {}
    for size in dict.fromkeys(r["n"] for r in results):
        mine = [r for r in results if r["n"] == size]
        diff = float(np.mean([r["nmi_difference"] for r in mine]))
        worst = min(r["cosine"]["min"] for r in mine)
        out[size] = {
            "samples": len(mine),
            "cosine_min": worst,
            "nmi_difference": diff,
            "pass": bool(worst >= MIN_COSINE and abs(diff) <= NMI_TOLERANCE),
        }
    return out


def table(results) -> str:
    lines = [
        "| papers | cosine mean / p1 / min | ARI int8-fp32 same seed (fp32 seed-seed) | "
        "NMI fp32 / int8, mean ± std over seeds (diff) | "
        "topics fp32 / int8 | pass |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        c, ls = r["cosine"], r["summary"]
        seed_ari = "-" if r["ari_fp32_seed_vs_seed"] is None else f"{r['ari_fp32_seed_vs_seed']:.3f}"
        lines.append(
            f"| {r['n']:,} from row {r.get('first_row', 0):,} | "
            f"{c['mean']:.4f} / {c['p01']:.4f} / {c['min']:.4f} | "
            f"{r['ari_int8_vs_fp32']:.3f} ({seed_ari}) | "
            f"{ls['fp32']['nmi']:.4f} ± {ls['fp32']['nmi_std']:.4f} / {ls['int8']['nmi']:.4f} ± "
            f"{ls['int8']['nmi_std']:.4f} ({r['nmi_difference']:+.4f}) | "
            f"{ls['fp32']['topics']:.0f} / {ls['int8']['topics']:.0f} | {'yes' if r['pass'] else 'NO'} |"
        )
    for size, verdict in guard(results).items():
        lines.append(
            f"| {size:,}: mean over {verdict['samples']} samples | min {verdict['cosine_min']:.4f} | | "
            f"diff {verdict['nmi_difference']:+.4f} | | {'yes' if verdict['pass'] else 'NO'} |"
        )
    speed = [r for r in results if "throughput" in r]
    if speed:
        lines += [
            "",
            "| route (256 tokens, batches of 64 by length) | papers/s (median) | papers per CPU-s |",
        ]
        lines.append("|---|---|---|")
        for name, t in speed[0]["throughput"].items():
            lines.append(f"| {name} | {t['papers_per_s']:.1f} | {t['papers_per_cpu_s']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--slices", type=int, nargs="+", default=[1], help="disjoint samples of each size (one per size)"
    )
    parser.add_argument("--cache-dir", default=None, help="embedding cache (default: the user's)")
    parser.add_argument("--throughput-n", type=int, default=512, help="texts timed per route (0: skip)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference", choices=("fp32", "bf16"), default="fp32", help="int8 compared to")
    args = parser.parse_args(argv)
    corpus = load_corpus(DATA)
    order = permutation(len(corpus), None)
    started = machine()
    results = []
    slices = args.slices + [args.slices[-1]] * (len(args.sizes) - len(args.slices))
    for i, size in enumerate(args.sizes):
        for j in range(slices[i]):
            if (j + 1) * size > len(order):
                break
            results.append(
                run_size(
                    corpus,
                    order[j * size : (j + 1) * size],
                    args.seeds,
                    args.cache_dir,
                    args.throughput_n if i == j == 0 else 0,  # throughput once, on the first texts
                    args.repeats,
                    args.reference,
                    first_row=j * size,
                )
            )
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": started,
        "load_average_end": os.getloadavg(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "results": results,
        "guard": {str(size): v for size, v in guard(results).items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"int8_quality-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, out)
    if args.reference != "fp32":
        print(f"reference: torch {args.reference} (fp32 where cached), named fp32 below")
    print(table(results))
    print(
        f"\nload average {started['load_average'][0]:.1f} at start, "
        f"{record['load_average_end'][0]:.1f} at end; {out}"
    )
    return 0 if all(v["pass"] for v in guard(results).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
