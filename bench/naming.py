"""Topic and group names against issue 14's label rules, with a reading sheet per landscape.

    python bench/naming.py [--sets bundled sample primary20 rarest20 listing5] [--seeds 0 1 2 3 4]
                           [--read SET:SEED ...] [--cache-dir DIR] [--layout-cache DIR]
                           [--assignments DIR]

Sets: ``bundled`` is the 100-paper sample shipped with the package; the others are the labelled dev
sets of ``bench/quality.py`` (``sample``: the first ``--size`` papers of its permutation). Per set and
seed the default ``TopicModel`` is fitted (UMAP layouts cached with ``--layout-cache``) and its
topics and groups named by :func:`landscape.model.naming.name_levels`. ``--assignments DIR`` keeps
each fit's topic and group assignment (``.npz``), so that a rerun only renames: naming is judged
on fixed topics while it changes.

Per set (mean over seeds, and the worst seed): median label support over topics, and its
size-weighted median (each topic counted once per paper), as stored (a covering "A and B" is used by
a paper using A or B) and *strict* (issue 14's simple check: a paper must contain every content word
of the whole label, both parts of "A and B"); share of topics with lift >= 3, duplicate labels,
group labels equal to a child's, labels naming a subject another label names (an acronym beside its
expansion, :func:`subject_checks`) and groups naming a child's subject, plain one-word labels,
labels of more than ``LONG_WORDS`` words.
``--read`` prints, for the named runs, every group and topic with size, support (stored and
strict), lift and its ``TITLES`` most central papers' titles (nearest its mean embedding), to judge
the names against the papers.
Writes ``bench/results/naming-<UTC>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality  # noqa: E402

ROOT = quality.ROOT
BUNDLED_SEEDS = (42, 0, 1, 2, 3, 4)
SETS = ("bundled", *quality.SETS)
# A label this long is hard to read on a map.
LONG_WORDS = 6
TITLES = 3


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bundled_set():
    """The bundled sample's corpus (ingested like ``landscape build`` does)."""
    from landscape import locations
    from landscape.corpus.ingest import ingest_inputs

    return ingest_inputs([locations.sample_corpus()])[0].corpus.reset_index(drop=True)


def datasets(args, corpus):
    """``(set name, docs, titles, embeddings thunk, seeds)`` for every requested set."""
    from landscape.corpus.text import strip_urls

    if "bundled" in args.sets:
        from landscape.model.topics import topic_texts

        bundled = bundled_set()
        docs = topic_texts(bundled)
        yield (
            "bundled",
            docs,
            bundled["title"].tolist(),
            lambda: quality.embed(docs, args.cache_dir),
            args.bundled_seeds,
        )
    dev = [s for s in args.sets if s != "bundled"]
    if not dev:
        return
    options = argparse.Namespace(
        sets=dev, sizes=[args.size], large_size=10**9, seeds=args.seeds, large_seeds=args.seeds
    )
    perm = quality.permutation(len(corpus), None)
    for name, rows, _reference, seeds in quality.datasets(options, corpus, perm):
        part = corpus.iloc[rows]
        docs = [strip_urls(f"{t}. {a}") for t, a in zip(part["title"], part["abstract"], strict=True)]
        yield (
            name,
            docs,
            part["title"].tolist(),
            (lambda docs=docs: quality.embed(docs, args.cache_dir)),
            seeds,
        )


def assignment(name, seed, docs, embeddings, args):
    """``(labels, groups)`` of the default topic model, from ``--assignments`` when kept there."""
    import numpy as np

    path = args.assignments / f"{name}-{len(docs)}-{seed}.npz" if args.assignments else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as kept:
            return kept["labels"], kept["groups"]
    model = quality.fit_ours(docs, embeddings(), seed, args.layout_cache)
    labels, groups = np.asarray(model.labels_), model.topics_["group"].to_numpy()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, labels=labels, groups=groups)
    return labels, groups


def tables(names, group_names, groups):
    """Topic and group tables shaped like ``TopicModel.topics_`` / ``groups_`` (label columns)."""
    import numpy as np
    import pandas as pd

    ids = sorted(group_names)
    topics = pd.DataFrame(
        {
            "label": [names[t].label for t in range(len(groups))],
            "label_support": [names[t].support for t in range(len(groups))],
            "label_lift": [names[t].lift for t in range(len(groups))],
        }
    )
    group_table = pd.DataFrame(
        {
            "group": ids,
            "label": [group_names[g].label for g in ids],
            "topics": [np.flatnonzero(groups == g).tolist() for g in ids],
            "label_support": [group_names[g].support for g in ids],
        }
    )
    return topics, group_table


def reading(names, group_names, labels, groups, titles, embeddings, strict) -> str:
    """Every group, then its topics: label, size, support (stored, strict), lift and the titles of
    its most central papers (``strict``: per-topic strict support, see :func:`strict_supports`)."""
    import numpy as np

    from landscape.model.geometry import unit_rows

    vectors = unit_rows(np.asarray(embeddings, dtype=np.float64))
    lines = []
    for g in sorted(group_names):
        d = group_names[g]
        lines.append(f"== {d.label}  (support {d.support:.2f}, lift {d.lift:.1f})")
        for t in np.flatnonzero(groups == g):
            members = np.flatnonzero(labels == t)
            d = names[int(t)]
            lines.append(
                f"   [{t}] {d.label}  n={len(members)} support {d.support:.2f} "
                f"strict {strict.get(int(t), float('nan')):.2f} lift {d.lift:.1f}"
            )
            lines.append(f"       keywords: {', '.join(d.keywords[:6])}")
            centre = vectors[members].mean(axis=0)
            for i in members[np.argsort(-(vectors[members] @ centre), kind="stable")[:TITLES]]:
                lines.append(f"       - {titles[i][:110]}")
    return "\n".join(lines)


def main(argv=None) -> int:

    from landscape.model.naming import name_levels
    from landscape.model.topics import topic_namer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--bundled-seeds", type=int, nargs="+", default=list(BUNDLED_SEEDS))
    parser.add_argument("--size", type=int, default=2000, help="papers of the sample set")
    parser.add_argument(
        "--read", nargs="*", default=[], help="SET:SEED runs to print in full ('all': every run)"
    )
    parser.add_argument("--data", type=Path, default=quality.DATA)
    parser.add_argument("--cache-dir", type=Path, default=None, help="Embedder cache")
    parser.add_argument("--layout-cache", type=Path, default=None, help="UMAP layout cache")
    parser.add_argument("--assignments", type=Path, default=None, help="keep/reuse topic assignments here")
    parser.add_argument("--out", type=Path, default=quality.RESULTS)
    args = parser.parse_args(argv)

    corpus = quality.load_corpus(args.data) if set(args.sets) - {"bundled"} else None
    runs, started = [], time.perf_counter()
    for name, docs, titles, embeddings, seeds in datasets(args, corpus):
        for seed in seeds:
            labels, groups = assignment(name, seed, docs, embeddings, args)
            t0 = time.perf_counter()
            namer = topic_namer({"random_state": seed}).fit(docs)
            names, group_names = name_levels(namer, labels, groups)
            seconds = time.perf_counter() - t0
            checks = quality.label_checks(*tables(names, group_names, groups))
            words = [len(x.split()) for x in [names[t].label for t in names]]
            checks["long_labels"] = int(sum(w > LONG_WORDS for w in words))
            checks["min_support"] = float(min(names[t].support for t in names)) if names else None
            checks.update(subject_checks(namer.subjects(), names, group_names, groups))
            strict = strict_supports(namer, names, labels)
            sizes = {t: int((labels == t).sum()) for t in names}
            stored = {t: names[t].support for t in names}
            checks["weighted_support"] = weighted_median(stored, sizes)
            checks["strict_support"] = median(strict)
            checks["strict_weighted"] = weighted_median(strict, sizes)
            # median >= 0.5 exactly when this share (of topics; of papers) is >= 0.5
            checks["strict_half"] = share_at_least(strict, {t: 1 for t in strict})
            checks["strict_half_papers"] = share_at_least(strict, sizes)
            run = {
                "set": name,
                "n": len(docs),
                "seed": seed,
                "topics": len(names),
                "seconds": round(seconds, 2),
            }
            run.update(checks)
            run["labels"] = [names[t].label for t in range(len(names))]
            run["group_labels"] = [group_names[g].label for g in sorted(group_names)]
            runs.append(run)
            log(
                f"{name} seed={seed}: {len(names)} topics, support {checks['median_support']:.2f}, "
                f"strict {checks['strict_support']:.2f} (weighted {checks['strict_weighted']:.2f}), "
                f"lift>=3 {checks['lift_share']:.2f}, naming {seconds:.1f} s"
            )
            if "all" in args.read or f"{name}:{seed}" in args.read:
                print(f"\n### {name} n={len(docs)} seed={seed}")
                print(reading(names, group_names, labels, groups, titles, embeddings(), strict))
    print(summary_table(runs))
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"naming-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    record = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": runs,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    target.write_text(json.dumps(record, indent=2, default=quality._json_default) + "\n", encoding="utf-8")
    print(f"\nwritten {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


def strict_supports(namer, names, labels) -> dict:
    """``{topic: share of its papers that contain every content word of its whole label}`` (both
    parts of "A and B" too): issue 14's simple check, the strictest reading of support."""
    import numpy as np

    from landscape.model.label_evidence import content_words

    presence = namer.word_presence()
    return {
        t: float(presence.uses(content_words(names[t].label))[labels == t].mean())
        for t in names
        if np.any(labels == t)
    }


def subject_checks(subjects, names, group_names, groups) -> dict:
    """Labels a reader takes for one subject (:class:`landscape.model.label_choice.Subjects`: an
    acronym and its expansion, singular/plural and hyphen variants): ``same_subject``, topic or group
    labels naming a subject another label already names; ``group_names_child``, groups whose label
    names one of its topics' subjects."""
    import numpy as np

    every = [names[t].label for t in sorted(names)] + [group_names[g].label for g in sorted(group_names)]
    seen, same = set(), 0
    for label in every:
        same += subjects.of(label) in seen
        seen.add(subjects.of(label))
    children = sum(
        any(
            subjects.of(group_names[g].label) == subjects.of(names[int(t)].label)
            for t in np.flatnonzero(groups == g)
        )
        for g in group_names
    )
    return {"same_subject": same, "group_names_child": children}


def median(values: dict) -> float | None:
    """Median over topics."""
    import numpy as np

    return float(np.median(list(values.values()))) if values else None


def share_at_least(values: dict, sizes: dict) -> float | None:
    """Share of the weight (topics, or papers) in topics whose value is >= ``MIN_SUPPORT``."""
    from landscape.model.label_choice import MIN_SUPPORT

    total = sum(sizes.get(k, 0) for k in values)
    return sum(sizes.get(k, 0) for k, v in values.items() if v >= MIN_SUPPORT) / total if total else None


def weighted_median(values: dict, sizes: dict) -> float | None:
    """Median over papers: each topic's value counted once per paper of it."""
    import numpy as np

    keys = [k for k in values if sizes.get(k, 0) > 0]
    if not keys:
        return None
    order = sorted(keys, key=lambda k: values[k])
    cumulative = np.cumsum([sizes[k] for k in order])
    return float(values[order[int(np.searchsorted(cumulative, cumulative[-1] / 2))]])


HIGHER_IS_BETTER = (
    "median_support",
    "weighted_support",
    "strict_support",
    "strict_weighted",
    "strict_half",
    "strict_half_papers",
    "lift_share",
)
SUMMARY = (
    ("median_support", "support", ".2f"),
    ("weighted_support", "w.support", ".2f"),
    ("strict_support", "strict", ".2f"),
    ("strict_weighted", "w.strict", ".2f"),
    ("strict_half", "strict>=.5", ".2f"),
    ("strict_half_papers", "w.strict>=.5", ".2f"),
    ("lift_share", "lift>=3", ".2f"),
    ("duplicate_labels", "dup", ".0f"),
    ("group_equals_child", "grp=child", ".0f"),
    ("same_subject", "same subj", ".0f"),
    ("group_names_child", "grp~child", ".0f"),
    ("plain_one_word", "one-word", ".0f"),
    ("long_labels", f">{LONG_WORDS} words", ".0f"),
)


def summary_table(runs) -> str:
    """Per set: the mean over seeds, and the worst seed (lowest support / share, most violations)."""
    header = ["set", "n", "seeds", "topics"] + [f"{title} (worst)" for _, title, _ in SUMMARY]
    rows = []
    for name in dict.fromkeys(r["set"] for r in runs):
        part = [r for r in runs if r["set"] == name]
        cells = [
            name,
            f"{part[0]['n']:,}",
            str(len(part)),
            f"{sum(r['topics'] for r in part) / len(part):.1f}",
        ]
        for key, _, fmt in SUMMARY:
            values = [r[key] for r in part]
            worst = min(values) if key in HIGHER_IS_BETTER else max(values)
            cells.append(f"{format(sum(values) / len(values), fmt)} ({format(worst, fmt)})")
        rows.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])


if __name__ == "__main__":
    sys.exit(main())
