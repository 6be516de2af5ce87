"""Update vs rebuild: does ``landscape update`` put the newest papers where a full rebuild would?

    python bench/update_vs_rebuild.py [--slices genai vision] [--size 2500] [--holdout 0.15]

For each subject slice of ``../shared/data/papers_dev.parquet`` (papers whose title or abstract
matches the slice's keywords, at most ``--size`` of them, a seeded sample when more match), the
newest ``--holdout`` share by date is held back. Then:

1. **build** on the older papers (embeddings computed once per slice and reused everywhere);
2. **update** that landscape with the held-back papers;
3. **rebuild** on all papers of the slice, same seed and defaults.

Printed per slice:

- ``unassigned_build`` / ``unassigned_update_new`` / ``unassigned_after_update``: the build's
  unassigned share, the new papers' unassigned share, the whole landscape's after the update;
- ``agreement_new``: share of new papers whose topic after the update is the rebuild's topic,
  topics matched by overlap (each update topic to the rebuild topic holding most of its papers,
  unassigned to unassigned);
- ``new_topics_update`` vs ``new_topics_rebuild``: topics the update created vs rebuild topics
  made mostly (over half) of new papers.

Writes ``bench/results/update_vs_rebuild-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "papers_dev.parquet"
RESULTS = ROOT / "bench" / "results"
SEED = 42

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Subject slices: keywords (regex, case-insensitive) on title + abstract.
SLICES = {
    "genai": r"unlearning|retrieval[- ]augmented|\bRAG\b|mixture[- ]of[- ]experts|\bMoE\b|vision[- ]language",
    "graphs": r"graph neural|\bGNNs?\b|knowledge graph|graph transformer|link prediction|node classification",
}
# A subject the slice lacks, planted among the held-out papers (``--plant N``): an update should
# make it a new topic, as a rebuild does.
PLANTS = {
    "genai": r"protein|molecul",
    "graphs": r"speech recognition|text-to-speech|\baudio\b",
}


def subject_slice(papers, pattern: str, size: int):
    """Ingested papers of one slice, oldest first (ties by id), at most ``size`` (seeded sample)."""
    from landscape.corpus.ingest import ingest_inputs

    text = papers["title"] + " " + papers["abstract"]
    hit = papers[text.str.contains(pattern, case=False, regex=True)]
    if len(hit) > size:
        hit = hit.sample(size, random_state=SEED)
    corpus = ingest_inputs(hit.reset_index(drop=True))[0].corpus
    return corpus.sort_values(["date", "id"], kind="stable").reset_index(drop=True)


def matched_agreement(new_ids, update_docs, rebuild_docs) -> float:
    """Share of ``new_ids`` whose update topic maps (by overlap) to their rebuild topic."""
    import pandas as pd

    both = pd.merge(
        update_docs[["id", "topic"]], rebuild_docs[["id", "topic"]], on="id", suffixes=("_u", "_r")
    )
    overlap = both.groupby(["topic_u", "topic_r"]).size().reset_index(name="n")
    best = (
        overlap.sort_values("n", ascending=False).drop_duplicates("topic_u").set_index("topic_u")["topic_r"]
    )
    best[-1] = -1  # unassigned matches unassigned
    new = both[both["id"].isin(set(new_ids))]
    return float((new["topic_u"].map(best) == new["topic_r"]).mean())


def planted(papers, name: str, n: int):
    """``n`` ingested papers of the slice's planted subject that do not match the slice itself."""
    from landscape.corpus.ingest import ingest_inputs

    text = papers["title"] + " " + papers["abstract"]
    hit = papers[
        text.str.contains(PLANTS[name], case=False, regex=True)
        & ~text.str.contains(SLICES[name], case=False, regex=True)
    ].sample(n, random_state=SEED)
    return ingest_inputs(hit.reset_index(drop=True))[0].corpus


def run_slice(name, corpus, holdout: float, cache_dir: Path, work: Path, plant=None) -> dict:

    from landscape.embed.embedder import Embedder, paper_text
    from landscape.model.geometry import nearest_centroid
    from landscape.pipeline.build import build
    from landscape.pipeline.update import update

    t0 = time.perf_counter()
    vectors = Embedder(cache_dir=cache_dir, show_progress=False).encode(
        [paper_text(t, a) for t, a in zip(corpus["title"], corpus["abstract"], strict=True)]
    )
    n_old = int(round(len(corpus) * (1 - holdout)))
    old, new = corpus.iloc[:n_old], corpus.iloc[n_old:]
    if plant is not None:  # the planted subject arrives with the newest papers
        import numpy as np
        import pandas as pd

        extra = Embedder(cache_dir=cache_dir, show_progress=False).encode(
            [paper_text(t, a) for t, a in zip(plant["title"], plant["abstract"], strict=True)]
        )
        new = pd.concat([new, plant], ignore_index=True)
        corpus = pd.concat([old, new], ignore_index=True)
        vectors = np.vstack([vectors, extra])
    timings = {"embed": time.perf_counter() - t0}

    t0 = time.perf_counter()
    built = build(old, work / f"{name}-{len(new)}", embeddings=vectors[:n_old], taxonomy=False,
                  random_state=SEED, cache_dir=cache_dir, quiet=True)  # fmt: skip
    timings["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    land, record = update(work / f"{name}-{len(new)}", new, embeddings=vectors[n_old:], taxonomy=False,
                          cache_dir=cache_dir, quiet=True)  # fmt: skip
    timings["update"] = time.perf_counter() - t0
    # the rule before issue 18 (TopicModel.transform only), for comparison
    rule, _ = nearest_centroid(
        vectors[n_old:], built.centroids, built.meta["parameters"]["topic_model"]["assign_threshold"]
    )
    t0 = time.perf_counter()
    rebuilt = build(corpus, None, embeddings=vectors, taxonomy=False, random_state=SEED,
                    cache_dir=cache_dir, quiet=True)  # fmt: skip
    timings["rebuild"] = time.perf_counter() - t0

    new_ids = set(new["id"])
    rdocs = rebuilt.documents
    mostly_new = [
        int(t)
        for t, members in rdocs[rdocs["topic"] >= 0].groupby("topic")["id"]
        if members.isin(new_ids).mean() > 0.5
    ]
    docs = land.documents
    is_new = docs["id"].isin(new_ids).to_numpy()
    return {
        "slice": name + (f"+{len(plant)} planted" if plant is not None else ""),
        "papers": len(corpus),
        "held_out": len(new),
        "held_out_from": str(new["date"].min().date()),
        "topics_build": len(built.topics),
        "topics_rebuild": len(rebuilt.topics),
        "unassigned_build": round(float((built.documents["topic"] == -1).mean()), 4),
        "unassigned_transform_only_new": round(float((rule == -1).mean()), 4),
        "unassigned_update_new": round(float((docs["topic"].to_numpy()[is_new] == -1).mean()), 4),
        "unassigned_after_update": round(float((docs["topic"] == -1).mean()), 4),
        "unassigned_rebuild": round(float((rdocs["topic"] == -1).mean()), 4),
        "agreement_new": round(matched_agreement(new_ids, docs, rdocs), 4),
        "agreement_old": round(matched_agreement(set(old["id"]), docs, rdocs), 4),
        "new_topics_update": [t["label"] for t in record["new_topics"]],
        "new_topic_papers_update": record["assigned_new"],
        "planted_in_new_topics": (
            round(
                float(
                    docs.loc[is_new & docs["id"].isin(set(plant["id"])).to_numpy(), "topic"]
                    .isin([t["topic"] for t in record["new_topics"]])
                    .mean()
                ),
                4,
            )
            if plant is not None
            else None
        ),  # fmt: skip
        "new_topics_rebuild": [str(rebuilt.topics.set_index("topic").at[t, "label"]) for t in mostly_new],
        "rebuild_due": record.get("rebuild_due"),
        "seconds": {k: round(v, 1) for k, v in timings.items()},
    }


def main(argv=None) -> int:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", nargs="+", default=list(SLICES), choices=list(SLICES))
    parser.add_argument("--size", type=int, default=2500)
    parser.add_argument("--holdout", type=float, default=0.15)
    parser.add_argument("--plant", type=int, default=0, help="also a run with N planted papers")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "landscape-bench-cache"
    )
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} not found: this benchmark needs the dev corpus", file=sys.stderr)
        return 2
    papers = pd.read_parquet(DATA)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.slices:
            corpus = subject_slice(papers, SLICES[name], args.size)
            plants = [None, planted(papers, name, args.plant)] if args.plant else [None]
            for plant in plants:
                row = run_slice(name, corpus, args.holdout, args.cache_dir, Path(tmp), plant)
                print(json.dumps(row), flush=True)
                rows.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"update_vs_rebuild-{stamp}.json"
    out.write_text(json.dumps({"size": args.size, "holdout": args.holdout, "slices": rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
