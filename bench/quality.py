"""Topic quality benchmark: our TopicModel (topics and groups) vs vanilla BERTopic on labelled dev sets.

    python bench/quality.py [--sets sample primary20 rarest20 listing5] [--sizes 2000 10000]
                            [--seeds 0 1 2 3 4] [--large-seeds 0 1] [--cache-dir DIR]

Sets (rows of ``../shared/data/papers_dev.parquet``; see ``bench/labelled.py``):

- ``sample``: the first N rows of a fixed random permutation (``--sizes``), labelled by the arXiv
  category (primary, else first listed; conference papers have none and are left out of the scores);
- ``primary20``, ``rarest20``: ~20-class label sets (about 2,150 and 2,300 papers), the fine check;
- ``listing5``: 3,000 arXiv listing papers of five listings, the coarse check for groups.

Methods, on the same texts and the same all-MiniLM-L6-v2 embeddings, per seed:

- ``ours``: ``TopicModel(random_state=seed)`` defaults: topics, groups, label evidence;
- ``bertopic``: ``BERTopic()`` defaults on *our* 5-D UMAP of the same seed (BERTopic's default UMAP
  has the same parameters; sharing it isolates clustering and saves a UMAP per run);
- ``matched``: both at the smaller of the two topic counts ``k`` (rows ``ours@k``, ``bertopic@k``):
  BERTopic with ``nr_topics=k`` (its own c-TF-IDF merge) or ours with ``nr_topics=k``.

Scores: NMI and AMI with unassigned papers as one cluster (labelled papers only), for topics and,
for ours, groups (every paper has a group: papers no topic takes are counted in theirs); label
support (median over topics) and the share of topics whose label has lift >= 3; label checks
(duplicates, group labels equal to a child's, one-word plain labels); seed stability = mean ARI
between the seeds' topic assignments (and, for ours, group assignments).
Writes ``bench/results/quality-<UTC>.json``.

Embeddings: ``landscape.embed.embedder.Embedder`` with its cache (``--cache-dir``), so each set is
embedded once; ``--embeddings-dir`` (``perm.npy`` + ``chunk_*.npy``) still serves the sample set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "papers_dev.parquet"
RESULTS = ROOT / "bench" / "results"
PERMUTATION_SEED = 20240601
CHUNK = 2048
METHODS = ("ours", "bertopic", "matched")
# rows of the table: "matched" runs both at the smaller of the two topic counts
ROW_METHODS = ("ours", "bertopic", "ours@k", "bertopic@k")
SETS = ("sample", "primary20", "rarest20", "listing5")
# key of our runs' group per paper in the assignments (group stability)
GROUPS_KEY = "ours groups"
FINE = ("primary20", "rarest20")

# Issue 14 targets for our defaults.
NMI_MARGIN = 0.05
MAX_TOPICS_FINE = 60
MAX_UNASSIGNED = 0.10
MIN_GROUP_NMI = 0.50
MAX_GROUPS = 15
MIN_MEDIAN_SUPPORT = 0.5
MIN_LIFT = 3.0
MIN_LIFT_SHARE = 0.9

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- data ------------------------------------------------------------------------------------------
def load_corpus(path: Path):
    import pandas as pd

    if not path.exists():
        sys.exit(f"error: {path} not found (the dev corpus lives next to the repository, in shared/data)")
    frame = pd.read_parquet(
        path, columns=["id", "title", "abstract", "categories", "primary_category", "source"]
    )
    return frame.reset_index(drop=True)


def category_label(primary, categories):
    """primary_category, else the first of categories, else None."""
    for value in (primary, categories):
        if isinstance(value, str) and value.strip():
            return value.split()[0]
    return None


def permutation(n_rows: int, embeddings_dir: Path | None):
    import numpy as np

    if embeddings_dir is None:
        return np.random.default_rng(PERMUTATION_SEED).permutation(n_rows)
    perm = np.load(embeddings_dir / "perm.npy", allow_pickle=False)
    if perm.shape != (n_rows,) or not np.array_equal(np.sort(perm), np.arange(n_rows)):
        sys.exit(f"error: {embeddings_dir / 'perm.npy'} is not a permutation of the {n_rows} corpus rows")
    return perm


def precomputed_rows(embeddings_dir: Path, n: int):
    """The first ``n`` rows of the chunked embeddings (fewer if the chunks stop earlier)."""
    import numpy as np

    parts, have = [], 0
    k = 0
    while have < n and (embeddings_dir / f"chunk_{k:04d}.npy").exists():
        chunk = np.load(embeddings_dir / f"chunk_{k:04d}.npy", allow_pickle=False)
        if chunk.ndim != 2 or (len(chunk) != CHUNK and (embeddings_dir / f"chunk_{k + 1:04d}.npy").exists()):
            sys.exit(f"error: {embeddings_dir / f'chunk_{k:04d}.npy'} has shape {chunk.shape}")
        parts.append(chunk)
        have += len(chunk)
        k += 1
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(parts)[:n].astype(np.float32)


def embed(texts, cache_dir):
    from landscape.embed.embedder import Embedder

    return Embedder("all-MiniLM-L6-v2", cache_dir=cache_dir).encode(list(texts))


def sample_embeddings(corpus, rows, embeddings_dir, embed_missing, cache_dir):
    """Embeddings of corpus rows ``rows`` (a prefix of the permutation), or None if unavailable."""
    import numpy as np

    n = len(rows)
    have = precomputed_rows(embeddings_dir, n) if embeddings_dir else np.zeros((0, 0), dtype=np.float32)
    if len(have) >= n:
        return have
    if embeddings_dir and not embed_missing:
        log(
            f"  {embeddings_dir} has embeddings for {len(have)} rows, not {n}: skipping (see --embed-missing)"
        )
        return None
    missing = rows[len(have) :]
    from landscape.embed.embedder import paper_text

    titles, abstracts = corpus["title"].iloc[missing], corpus["abstract"].iloc[missing]
    texts = [paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
    log(f"  embedding {len(texts)} papers with landscape.embed.embedder.Embedder")
    new = np.asarray(embed(texts, cache_dir), dtype=np.float32)
    return np.concatenate([have, new]) if len(have) else new


# ---- methods ---------------------------------------------------------------------------------------
class FixedReduction:
    """A UMAP stand-in for BERTopic that returns a precomputed layout (ours, same seed)."""

    def __init__(self, reduced):
        self.reduced = reduced

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return self.reduced


def fit_ours(docs, embeddings, seed, layout_cache, **params):
    from landscape.model.topics import TopicModel

    return TopicModel(random_state=seed, layout_cache=layout_cache, **params).fit(docs, embeddings)


def fit_bertopic(docs, embeddings, reduced, nr_topics=None):
    import numpy as np
    from bertopic import BERTopic

    model = BERTopic(umap_model=FixedReduction(reduced), nr_topics=nr_topics)
    labels, _ = model.fit_transform(docs, embeddings)
    return np.asarray(labels)


# ---- scores ----------------------------------------------------------------------------------------
def agreement(labels, reference):
    """NMI and AMI against ``reference`` (None = unlabelled, left out), unassigned as one cluster."""
    import numpy as np
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    keep = np.array([r is not None for r in reference])
    ref = np.array([r for r in reference if r is not None], dtype=object).astype(str)
    lab = np.asarray(labels)[keep]
    return float(normalized_mutual_info_score(ref, lab)), float(adjusted_mutual_info_score(ref, lab))


def label_checks(topics, groups) -> dict:
    """Issue 14's label rules on one landscape's topic and group tables."""
    import numpy as np

    from landscape.model.naming import is_plain_word

    labels = [str(x) for x in topics["label"]]
    group_labels = [str(x) for x in groups["label"]]
    children = {
        g: {labels[t].lower() for t in ts} for g, ts in zip(groups["group"], groups["topics"], strict=True)
    }
    every = [x.lower() for x in labels + group_labels]
    return {
        "median_support": float(np.median(topics["label_support"])) if len(topics) else None,
        "lift_share": float((topics["label_lift"] >= MIN_LIFT).mean()) if len(topics) else None,
        "duplicate_labels": len(every) - len(set(every)),
        "group_equals_child": sum(
            str(lab).lower() in children[g] for g, lab in zip(groups["group"], groups["label"], strict=True)
        ),
        "plain_one_word": sum(is_plain_word(x.lower(), x) for x in labels + group_labels),
        "group_median_support": float(np.median(groups["label_support"])) if len(groups) else None,
    }


# ---- one run ---------------------------------------------------------------------------------------
def run_seed(set_name, docs, embeddings, reference, seed, methods, layout_cache):
    """Rows (one per method) for one set and seed, and each method's topic assignment."""
    import numpy as np

    rows, assignments = [], {}
    t0 = time.perf_counter()
    model = fit_ours(docs, embeddings, seed, layout_cache)
    seconds = time.perf_counter() - t0
    labels = np.asarray(model.labels_)
    doc_group = np.asarray(model.group_labels_)  # unassigned papers in their own group
    nmi, ami = agreement(labels, reference)
    g_nmi, g_ami = agreement(doc_group, reference)
    base = {"set": set_name, "n": len(docs), "seed": seed}
    rows.append(
        {
            **base,
            "method": "ours",
            "topics": int(len(model.topics_)),
            "unassigned": float((labels == -1).mean()),
            "nmi": nmi,
            "ami": ami,
            "groups": int(len(model.groups_)),
            "group_nmi": g_nmi,
            "group_ami": g_ami,
            "fit_seconds": round(seconds, 2),
            **label_checks(model.topics_, model.groups_),
            "labels": [str(x) for x in model.topics_["label"]],
            "group_labels": [str(x) for x in model.groups_["label"]],
        }
    )
    assignments["ours"] = labels
    assignments[GROUPS_KEY] = doc_group
    n_topics = len(model.topics_)
    if "bertopic" not in methods:
        return rows, assignments
    t0 = time.perf_counter()
    vanilla = fit_bertopic(docs, embeddings, model.reduced_)
    runs = [("bertopic", vanilla, time.perf_counter() - t0)]
    n_vanilla = len(set(vanilla.tolist()) - {-1})
    if "matched" in methods:
        # both at the smaller of the two topic counts: BERTopic merges with its own nr_topics,
        # ours with its nr_topics (same seed, layouts cached)
        t0 = time.perf_counter()
        if n_vanilla > n_topics:
            small_vanilla = fit_bertopic(docs, embeddings, model.reduced_, nr_topics=n_topics)
            runs += [("ours@k", labels, 0.0), ("bertopic@k", small_vanilla, time.perf_counter() - t0)]
        else:
            small = fit_ours(docs, embeddings, seed, layout_cache, nr_topics=max(2, n_vanilla))
            runs += [
                ("ours@k", np.asarray(small.labels_), time.perf_counter() - t0),
                ("bertopic@k", vanilla, 0.0),
            ]
    for method, lab, seconds in runs:
        nmi, ami = agreement(lab, reference)
        rows.append(
            {
                **base,
                "method": method,
                "topics": int(len(set(lab.tolist()) - {-1})),
                "unassigned": float((lab == -1).mean()),
                "nmi": nmi,
                "ami": ami,
                "fit_seconds": round(seconds, 2),
            }
        )
        assignments[method] = lab
    return rows, assignments


# ---- summary ---------------------------------------------------------------------------------------
SUMMARY_COLUMNS = (
    "topics",
    "unassigned",
    "nmi",
    "ami",
    "groups",
    "group_nmi",
    "group_ami",
    "median_support",
    "lift_share",
    "duplicate_labels",
    "group_equals_child",
    "plain_one_word",
    "fit_seconds",
)


def summarise(rows, labels_by_run):
    """Mean and std per set, size and method, plus the mean pairwise ARI between seeds (stability)."""
    import itertools

    import numpy as np

    from landscape.analysis.evaluate import stability

    out = []
    keys = sorted(
        {(r["set"], r["n"], r["method"]) for r in rows},
        key=lambda k: (SETS.index(k[0]), k[1], ROW_METHODS.index(k[2])),
    )
    for set_name, n, method in keys:
        group = [r for r in rows if (r["set"], r["n"], r["method"]) == (set_name, n, method)]
        entry = {"set": set_name, "method": method, "n": n, "runs": len(group)}
        for col in SUMMARY_COLUMNS:
            values = np.array([r[col] for r in group if r.get(col) is not None], dtype=float)
            entry[col] = float(values.mean()) if values.size else None
            entry[f"{col}_std"] = float(values.std(ddof=1)) if values.size > 1 else None
        runs = [labels_by_run[(set_name, n, method, r["seed"])] for r in group]
        pairs = [stability(a, b) for a, b in itertools.combinations(runs, 2)]
        entry["stability_ari"] = float(np.mean(pairs)) if pairs else None
        grouped = [labels_by_run.get((set_name, n, GROUPS_KEY, r["seed"])) for r in group]
        grouped = [g for g in grouped if g is not None]
        pairs = [stability(a, b) for a, b in itertools.combinations(grouped, 2)]
        entry["group_stability_ari"] = float(np.mean(pairs)) if pairs else None
        out.append(entry)
    return out


def _cell(mean, std, fmt):
    if mean is None:
        return "-"
    text = format(mean, fmt)
    return f"{text} ± {format(std, fmt)}" if std is not None else text


def format_table(summary) -> str:
    header = (
        "set",
        "n",
        "method",
        "runs",
        "topics",
        "unassigned",
        "NMI",
        "AMI",
        "groups",
        "group NMI",
        "group AMI",
        "group ARI",
        "support",
        "lift>=3",
        "stab. ARI",
    )
    lines = []
    for e in summary:
        lines.append(
            (
                e["set"],
                f"{e['n']:,}",
                e["method"],
                str(e["runs"]),
                _cell(e["topics"], e["topics_std"], ".1f"),
                _cell(e["unassigned"], e["unassigned_std"], ".3f"),
                _cell(e["nmi"], e["nmi_std"], ".3f"),
                _cell(e["ami"], e["ami_std"], ".3f"),
                _cell(e["groups"], e["groups_std"], ".1f"),
                _cell(e["group_nmi"], e["group_nmi_std"], ".3f"),
                _cell(e["group_ami"], e["group_ami_std"], ".3f"),
                _cell(e.get("group_stability_ari"), None, ".3f"),
                _cell(e["median_support"], None, ".2f"),
                _cell(e["lift_share"], None, ".2f"),
                "-" if e["stability_ari"] is None else f"{e['stability_ari']:.3f}",
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in lines)) if lines else len(h) for i, h in enumerate(header)]

    def fmt(cells):
        return "  ".join(
            c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in lines)])


def check_targets(summary) -> list[dict]:
    """Issue 14 targets for ``ours`` (on the means over seeds)."""
    checks = []
    by = {(e["set"], e["n"], e["method"]): e for e in summary}
    for (set_name, n, method), ours in by.items():
        if method != "ours":
            continue
        items = [
            ("unassigned <= 10%", ours["unassigned"], ours["unassigned"] <= MAX_UNASSIGNED + 1e-9),
            (
                f"median label support >= {MIN_MEDIAN_SUPPORT}",
                ours["median_support"],
                ours["median_support"] >= MIN_MEDIAN_SUPPORT,
            ),
            (
                f"lift >= 3 for >= {MIN_LIFT_SHARE:.0%} of topics",
                ours["lift_share"],
                ours["lift_share"] >= MIN_LIFT_SHARE,
            ),
            ("no duplicate labels", ours["duplicate_labels"], ours["duplicate_labels"] == 0),
            (
                "no group label equal to a child's",
                ours["group_equals_child"],
                ours["group_equals_child"] == 0,
            ),
            ("no plain one-word labels", ours["plain_one_word"], ours["plain_one_word"] == 0),
        ]
        vanilla = by.get((set_name, n, "bertopic"))
        if set_name in FINE:
            items.append((f"topics <= {MAX_TOPICS_FINE}", ours["topics"], ours["topics"] <= MAX_TOPICS_FINE))
            if vanilla is not None:
                items.append(
                    (
                        f"NMI >= vanilla + {NMI_MARGIN} ({vanilla['nmi']:.3f})",
                        ours["nmi"],
                        ours["nmi"] >= vanilla["nmi"] + NMI_MARGIN,
                    )
                )
        else:
            items += [
                (f"group NMI >= {MIN_GROUP_NMI}", ours["group_nmi"], ours["group_nmi"] >= MIN_GROUP_NMI),
                (f"groups <= {MAX_GROUPS}", ours["groups"], ours["groups"] <= MAX_GROUPS),
            ]
        for name, value, ok in items:
            checks.append({"set": set_name, "n": n, "target": name, "value": value, "met": bool(ok)})
    return checks


def format_checks(checks) -> str:
    lines = []
    for c in checks:
        verdict = "met" if c["met"] else "MISSED"
        value = "n/a" if c["value"] is None else f"{c['value']:.3f}"
        lines.append(f"  {c['set']:<9} n={c['n']:>6,}  {c['target']:<44} {value:>9}  {verdict}")
    return "\n".join(lines)


# ---- main ------------------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000], help="sizes of the sample set")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--large-size", type=int, default=10000, help="sample sizes from here use --large-seeds"
    )
    parser.add_argument("--large-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--embeddings-dir", type=Path, default=None, help="precomputed chunks + perm.npy")
    parser.add_argument("--embed-missing", action="store_true", help="embed rows the embeddings dir lacks")
    parser.add_argument("--cache-dir", type=Path, default=None, help="Embedder cache (default location)")
    parser.add_argument(
        "--layout-cache", type=Path, default=None, help="UMAP layout cache (reruns skip UMAP)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if any(n < 10 for n in args.sizes):
        parser.error("sizes must be at least 10 papers")
    if "ours" not in args.methods:
        parser.error("the BERTopic runs use our UMAP layout and topic count: include ours in --methods")
    return args


def datasets(args, corpus, perm):
    """``(set name, rows, reference labels, seeds)`` for every requested set."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from labelled import COARSE_SETS, FINE_SETS

    for name in args.sets:
        if name == "sample":
            for n in sorted(args.sizes):
                rows = perm[:n]
                part = corpus.iloc[rows]
                reference = [
                    category_label(p, c)
                    for p, c in zip(part["primary_category"], part["categories"], strict=True)
                ]
                yield name, rows, reference, args.large_seeds if n >= args.large_size else args.seeds
        else:
            rows, reference = {**FINE_SETS, **COARSE_SETS}[name](corpus)
            yield name, rows, list(reference), args.seeds


def main(argv=None) -> int:
    from landscape.corpus.text import strip_urls

    args = parse_args(argv)
    corpus = load_corpus(args.data)
    if max(args.sizes) > len(corpus):
        sys.exit(f"error: the corpus has {len(corpus)} papers, fewer than --sizes {max(args.sizes)}")
    perm = permutation(len(corpus), args.embeddings_dir)
    methods = [m for m in METHODS if m in args.methods]
    rows, labels_by_run, topic_labels = [], {}, {}
    started = time.perf_counter()
    for set_name, sample, reference, seeds in datasets(args, corpus, perm):
        n = len(sample)
        log(f"{set_name} n={n:,}: loading embeddings")
        prefix = set_name == "sample"
        emb = sample_embeddings(
            corpus, sample, args.embeddings_dir if prefix else None, args.embed_missing, args.cache_dir
        )
        if emb is None:
            continue
        part = corpus.iloc[sample]
        docs = [strip_urls(f"{t}. {a}") for t, a in zip(part["title"], part["abstract"], strict=True)]
        for seed in seeds:
            log(f"{set_name} n={n:,} seed={seed}…")
            new, assignments = run_seed(set_name, docs, emb, reference, seed, methods, args.layout_cache)
            labels_by_run[(set_name, n, GROUPS_KEY, seed)] = assignments[GROUPS_KEY]
            for row in new:
                labels = row.pop("labels", None)
                groups = row.pop("group_labels", None)
                if labels is not None:
                    topic_labels[f"{set_name} n={n} seed={seed}"] = {"topics": labels, "groups": groups}
                    log(f"  groups: {' | '.join(groups)}\n  topics: {' | '.join(labels)}")
                rows.append(row)
                labels_by_run[(set_name, n, row["method"], seed)] = assignments[row["method"]]
                extra = (
                    f", {row['groups']} groups (NMI {row['group_nmi']:.3f}), "
                    f"support {row['median_support']:.2f}"
                    if row["method"] == "ours"
                    else ""
                )
                log(
                    f"  {row['method']}: {row['topics']} topics, {row['unassigned']:.1%} unassigned, "
                    f"NMI {row['nmi']:.3f}, AMI {row['ami']:.3f}{extra}, {row['fit_seconds']:.0f} s"
                )
    if not rows:
        sys.exit("error: nothing was run (no embeddings for any set?)")
    summary = summarise(rows, labels_by_run)
    checks = check_targets(summary)
    print("Topic quality on labelled sets of papers_dev.parquet (mean ± std over seeds)")
    print(format_table(summary))
    print(
        "NMI/AMI: unassigned papers as one topic (each in its own group for groups), labelled papers only;\n"
        "support: median share of a topic's "
        "papers using its label's words;\nlift>=3: share of topics whose label is used 3x more inside than "
        "outside; stab. ARI / group ARI: mean ARI between the seeds' topic / group assignments"
    )
    print("\nTargets for our defaults (issue 14):")
    print(format_checks(checks))

    from landscape.pipeline.stages import package_versions

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = args.out / f"quality-{stamp}.json"
    record = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": str(args.data),
        "sets": args.sets,
        "sizes": sorted(args.sizes),
        "seeds": args.seeds,
        "large_seeds": args.large_seeds,
        "large_size": args.large_size,
        "runs": rows,
        "summary": summary,
        "targets": checks,
        "labels": topic_labels,
        "total_seconds": round(time.perf_counter() - started, 1),
        "versions": package_versions(),
    }
    target.write_text(
        json.dumps(record, indent=2, allow_nan=False, default=_json_default) + "\n", encoding="utf-8"
    )
    print(f"\nwritten {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


if __name__ == "__main__":
    sys.exit(main())
