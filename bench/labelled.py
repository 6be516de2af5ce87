"""Labelled checks built from the dev corpus: one coarse (5-class) and two fine (~20-class) label sets.

Human taxonomies of a field (a conference's primary areas, another's tracks) have about 20 classes;
the dev corpus's arXiv listing categories have 5 that hold 94% of the papers and reward coarse
topics. So granularity is judged on all of these (rows are corpus row numbers, fixed by a seed):

- ``listing5``: the bench's random sample (first rows of the permutation), labelled by the first
  arXiv category (5 classes hold almost every paper) - the check for *groups*;
- ``primary20``: papers whose source states an arXiv primary category, the 20 most frequent
  primary categories, at most ``PER_CLASS`` papers each (about 2,150 papers): cs.CR, eess.SY,
  cs.GR, cs.SE, cs.HC, eess.AS, quant-ph, ... beside the five big ones;
- ``rarest20``: papers with two or more categories, labelled by their rarest category (the most
  specific field: a cs.CV + cs.RO paper is robotics, cs.CL + cs.SD + eess.AS speech), the 20 most
  frequent such labels, at most ``PER_CLASS`` each.
"""

from __future__ import annotations

PER_CLASS = 120
N_CLASSES = 20
SEED = 20261129


def capped(labels, rows, *, per_class=PER_CLASS, n_classes=N_CLASSES, seed=SEED):
    """``(rows, labels)`` of the ``n_classes`` most frequent labels, ``per_class`` rows each at most."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"row": np.asarray(rows), "label": np.asarray(labels, dtype=object)})
    top = frame["label"].value_counts().sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    keep = frame[frame["label"].isin(top.index[:n_classes])]
    rng = np.random.default_rng(seed)
    parts = []
    for _, part in keep.groupby("label", sort=True):
        chosen = rng.permutation(len(part))[:per_class]
        parts.append(part.iloc[np.sort(chosen)])
    out = pd.concat(parts).sort_values("row", kind="stable")
    return out["row"].to_numpy(), out["label"].tolist()


def primary20(corpus):
    primary = corpus["primary_category"].fillna("").astype(str).str.strip()
    has = primary != ""
    return capped(primary[has].tolist(), corpus.index[has].to_numpy())


def rarest20(corpus):
    cats = corpus["categories"].fillna("").astype(str).str.split()
    frequency = cats.explode().value_counts()
    multi = cats.str.len() >= 2
    rarest = [min(c, key=lambda x: (frequency[x], x)) for c in cats[multi]]
    return capped(rarest, corpus.index[multi].to_numpy())


FINE_SETS = {"primary20": primary20, "rarest20": rarest20}


def listing5(corpus, per_class=600):
    """arXiv listing papers (one listing category, from the arXiv daily-listing source) of the five
    listings, ``per_class`` each: the coarse check for groups."""
    cats = corpus["categories"].fillna("").astype(str).str.split()
    single = (cats.str.len() == 1) & corpus["source"].astype(str).str.fullmatch(r"arxiv:amds123")
    first = cats[single].str[0]
    return capped(first.tolist(), corpus.index[single].to_numpy(), per_class=per_class, n_classes=5)


COARSE_SETS = {"listing5": listing5}
