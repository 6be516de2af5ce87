"""Do fp32 and bf16 embeddings of the same papers give the same landscape? Which route is fastest?

    python bench/precision.py [--n 2000] [--seeds 0 1 2] [--runs 5 1] [--cache-dir DIR]
    python bench/precision.py --speed [--n 512] [--repeats 2] [--emulate-no-bf16]

Embeds the first ``--n`` papers of the bench's fixed permutation of ``../shared/data/papers_dev.parquet``
twice, in fp32 and in bf16 (the bf16 pass never reads the cache, which would serve fp32 vectors),
then fits ``TopicModel(random_state=seed, consensus_runs=r)`` on each and prints, per seed and
number of consensus runs, the ARI between the two landscapes' topics and groups (issue 14: >= 0.9),
with the cosine between the two embeddings of each paper. Writes ``bench/results/precision-<UTC>.json``.

``--speed`` instead times each route (torch fp32, torch bf16 autocast, ONNX Runtime fp32 and int8;
no cache, routes interleaved, ``--repeats`` times) on ``--n`` papers drawn from the end of the
permutation (apart from the quality guard's samples), prints papers/s and each route's cosine to
torch fp32 (mean, min), the fastest route at cosine >= 0.99 and the route ``precision="auto"``
picks on this CPU. ``--emulate-no-bf16`` runs it under ``ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI``: torch
(oneDNN) then computes as a CPU with VNNI and no native bf16 would (a Cascade Lake), checked with
``ONEDNN_VERBOSE``, and auto's pick is that of this CPU's flags without the bf16 ones. ONNX Runtime
(MLAS) picks its kernels by cpuid with no such switch; its int8 kernels use VNNI, not bf16, so they run
as on such a CPU. Writes ``bench/results/precision_speed-<UTC>[-no-bf16].json``. Time it on a quiet
machine (``chrt -r 1``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import DATA, RESULTS, ROOT, load_corpus, log, permutation  # noqa: E402

TARGET_ARI = 0.9
MIN_COSINE = 0.99  # a route auto may pick keeps every vector this close to torch fp32
# oneDNN's ISA cap that makes this CPU compute as one with AVX512-VNNI and no bf16 (Cascade Lake).
NO_BF16_ISA = "AVX512_CORE_VNNI"
# route -> the precision auto would name for it
ROUTE_PRECISION = {"torch fp32": "fp32", "torch bf16": "bf16", "ORT int8": "int8"}


def onednn_isa() -> dict:
    """What oneDNN reports in a child process with this environment: its ISA and the kernel of a
    bf16 matmul (``ONEDNN_VERBOSE``), to show that an ISA cap takes effect."""
    import subprocess

    code = (
        "import torch\n"
        "x = torch.ones(256, 256)\n"
        "with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16):\n"
        "    torch.nn.functional.linear(x, x)\n"
    )
    env = {**os.environ, "ONEDNN_VERBOSE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout
    info = {"isa": None, "bf16_matmul": None}
    for line in out.splitlines():
        fields = line.split(",")
        if ",info,cpu,isa:" in line:
            info["isa"] = line.split("isa:", 1)[1]
        elif ",exec,cpu,matmul," in line and len(fields) > 6:
            info["bf16_matmul"] = fields[6]
    return info


def speed(args) -> int:
    """``--speed``: papers/s and cosine to torch fp32 of every route, and auto's pick."""
    from int8_quality import throughput

    from landscape.embed.embedder import paper_text
    from landscape.embed.precision import NATIVE_BF16_FLAGS, auto_precision, cpu_flags

    emulated = "no-bf16" if args.emulate_no_bf16 else None
    if emulated and os.environ.get("ONEDNN_MAX_CPU_ISA") != NO_BF16_ISA:
        # oneDNN reads its cap once, when torch first uses it: set it for a fresh process
        import subprocess

        env = {**os.environ, "ONEDNN_MAX_CPU_ISA": NO_BF16_ISA}
        return subprocess.run([sys.executable, __file__, *sys.argv[1:]], env=env).returncode
    onednn = onednn_isa()
    log(f"oneDNN: {onednn['isa']}; bf16 matmul kernel {onednn['bf16_matmul']}")
    flags = cpu_flags() - set(NATIVE_BF16_FLAGS) if emulated else cpu_flags()
    auto = auto_precision("cpu", flags)

    corpus = load_corpus(args.data)
    rows = permutation(len(corpus), None)[-args.n :]
    part = corpus.iloc[rows]
    texts = [paper_text(t, a) for t, a in zip(part["title"], part["abstract"], strict=True)]
    vectors = {}
    rates = throughput(texts, args.repeats, outputs=vectors)
    reference = vectors["torch fp32"]
    for name, rate in rates.items():
        cosine = (vectors[name] * reference).sum(axis=1)
        rate["cosine_mean"], rate["cosine_min"] = float(cosine.mean()), float(cosine.min())
    good = [n for n in ROUTE_PRECISION if rates[n]["cosine_min"] >= MIN_COSINE]
    fastest = max(good, key=lambda n: rates[n]["papers_per_s"])
    load = os.getloadavg()

    kind = "emulated: AVX512-VNNI, no bf16 (oneDNN capped)" if emulated else "this CPU"
    print(f"{len(texts)} dev papers, {kind}; oneDNN ISA: {onednn['isa']}")
    print("| route | papers/s (median) | papers per CPU-s | cosine to torch fp32 mean / min |")
    print("|---|---|---|---|")
    for name, r in rates.items():
        print(
            f"| {name} | {r['papers_per_s']:.1f} | {r['papers_per_cpu_s']:.1f} | "
            f"{r['cosine_mean']:.4f} / {r['cosine_min']:.4f} |"
        )
    print(
        f"fastest at cosine >= {MIN_COSINE}: {fastest} ({ROUTE_PRECISION[fastest]}); "
        f"auto picks {auto} on these CPU flags; load average {load[0]:.1f}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = args.out / f"precision_speed-{stamp}{'-' + emulated if emulated else ''}.json"
    record = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n": len(texts),
        "emulated": emulated,
        "onednn": onednn,
        "native_bf16_flags": sorted(set(NATIVE_BF16_FLAGS) & flags),
        "auto": auto,
        "fastest_at_min_cosine": ROUTE_PRECISION[fastest],
        "load_average": load,
        "routes": rates,
    }
    target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"written {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


def embed(texts, precision, cache_dir):
    import numpy as np

    from landscape.embed.embedder import Embedder

    cache = False if precision == "bf16" else cache_dir
    return np.asarray(Embedder("all-MiniLM-L6-v2", precision=precision, cache_dir=cache).encode(texts))


def main(argv=None) -> int:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from landscape.corpus.text import strip_urls
    from landscape.embed.embedder import paper_text
    from landscape.model.topics import TopicModel

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help="papers (default 2000; --speed: 512)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", type=int, nargs="+", default=[5, 1], help="consensus_runs to compare")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache-dir", type=Path, default=None, help="Embedder cache for the fp32 pass")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--speed", action="store_true", help="time the routes instead (no cache)")
    parser.add_argument("--repeats", type=int, default=2, help="--speed: interleaved runs per route")
    parser.add_argument(
        "--emulate-no-bf16", action="store_true", help="--speed as on a CPU with VNNI and no bf16"
    )
    args = parser.parse_args(argv)
    if args.speed:
        args.n = args.n or 512
        return speed(args)
    args.n = args.n or 2000

    corpus = load_corpus(args.data)
    rows = permutation(len(corpus), None)[: args.n]
    part = corpus.iloc[rows]
    texts = [paper_text(t, a) for t, a in zip(part["title"], part["abstract"], strict=True)]
    docs = [strip_urls(text) for text in texts]
    vectors = {}
    for precision in ("fp32", "bf16"):
        log(f"embedding {len(texts)} papers in {precision}")
        vectors[precision] = embed(texts, precision, args.cache_dir)
    cosine = (vectors["fp32"] * vectors["bf16"]).sum(axis=1)
    log(f"cosine fp32 vs bf16: min {cosine.min():.5f}, median {np.median(cosine):.5f}")

    results = []
    for runs in args.runs:
        for seed in args.seeds:
            models, seconds = {}, {}
            for precision, X in vectors.items():
                t0 = time.perf_counter()
                models[precision] = TopicModel(random_state=seed, consensus_runs=runs).fit(docs, X)
                seconds[precision] = round(time.perf_counter() - t0, 1)
            a, b = models["fp32"], models["bf16"]
            row = {
                "consensus_runs": runs,
                "seed": seed,
                "topics": [len(a.topics_), len(b.topics_)],
                "groups": [len(a.groups_), len(b.groups_)],
                "topic_ari": float(adjusted_rand_score(a.labels_, b.labels_)),
                "group_ari": float(adjusted_rand_score(a.group_labels_, b.group_labels_)),
                "fit_seconds": seconds,
            }
            results.append(row)
            log(
                f"runs={runs} seed={seed}: topics {row['topics']}, topic ARI {row['topic_ari']:.3f}, "
                f"group ARI {row['group_ari']:.3f}, {seconds['fp32']:.0f}+{seconds['bf16']:.0f} s"
            )
    print(f"fp32 vs bf16 embeddings of {args.n:,} dev papers (cosine min {cosine.min():.5f})")
    print("consensus_runs  seeds  topic ARI (mean, min)  group ARI (mean, min)  target")
    for runs in args.runs:
        mine = [r for r in results if r["consensus_runs"] == runs]
        t = [r["topic_ari"] for r in mine]
        g = [r["group_ari"] for r in mine]
        verdict = "met" if min(t) >= TARGET_ARI else "MISSED"
        print(
            f"{runs:>14}  {len(mine):>5}  {np.mean(t):.3f}, {min(t):.3f}          "
            f"{np.mean(g):.3f}, {min(g):.3f}          >= {TARGET_ARI} {verdict}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"precision-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    record = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n": args.n,
        "cosine_min": float(cosine.min()),
        "cosine_median": float(np.median(cosine)),
        "runs": results,
    }
    target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"written {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
