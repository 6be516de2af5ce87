"""Do fp32 and bf16 embeddings of the same papers give the same landscape?

    python bench/precision.py [--n 2000] [--seeds 0 1 2] [--runs 5 1] [--cache-dir DIR]

Embeds the first ``--n`` papers of the bench's fixed permutation of ``../shared/data/papers_dev.parquet``
twice, in fp32 and in bf16 (the bf16 pass never reads the cache, which would serve fp32 vectors),
then fits ``TopicModel(random_state=seed, consensus_runs=r)`` on each and prints, per seed and
number of consensus runs, the ARI between the two landscapes' topics and groups (issue 14: >= 0.9),
with the cosine between the two embeddings of each paper. Writes ``bench/results/precision-<UTC>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import DATA, RESULTS, ROOT, load_corpus, log, permutation  # noqa: E402

TARGET_ARI = 0.9


def embed(texts, precision, cache_dir):
    import numpy as np

    from landscape.embed.embedder import Embedder

    cache = False if precision == "bf16" else cache_dir
    return np.asarray(Embedder("all-MiniLM-L6-v2", precision=precision, cache_dir=cache).encode(texts))


def doc_groups(model):
    import numpy as np

    labels = np.asarray(model.labels_)
    return np.where(labels >= 0, model.topics_["group"].to_numpy()[np.maximum(labels, 0)], -1)


def main(argv=None) -> int:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from landscape.corpus.text import strip_urls
    from landscape.embed.embedder import paper_text
    from landscape.model.topics import TopicModel

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", type=int, nargs="+", default=[5, 1], help="consensus_runs to compare")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache-dir", type=Path, default=None, help="Embedder cache for the fp32 pass")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

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
                "group_ari": float(adjusted_rand_score(doc_groups(a), doc_groups(b))),
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
