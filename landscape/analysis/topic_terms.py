"""How much each keyword weighs in its topic: BERTopic's c-TF-IDF (:func:`landscape.model.naming.
class_tfidf`) of the topic's saved keywords, counted in the titles and abstracts of every topic.

Only the saved keywords are counted (a word-boundary match, any case), so this is quick on a large
landscape; the other words of each topic are one extra column, which keeps the per-topic word
totals, and with them the IDF, as the full c-TF-IDF has them.
"""

from __future__ import annotations

import re

from landscape.analysis.topic_search import as_list
from landscape.errors import LandscapeError


def term_weights(land, topics=None, *, n: int = 10):
    """Keyword weights of ``topics`` (ids; default all): a DataFrame ``topic, label, term, weight,
    papers`` (papers of the topic that contain the term), the heaviest terms first per topic."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from landscape.model.naming import class_tfidf

    table = land.topics.set_index("topic", drop=False)
    wanted = list(table.index) if topics is None else [int(t) for t in topics]
    missing = [t for t in wanted if t not in table.index]
    if missing:
        raise LandscapeError(f"no topic {missing[0]} in this landscape")
    docs = land.documents
    text = docs["title"].fillna("").astype(str)
    if "abstract" in docs.columns:
        text = text + ". " + docs["abstract"].fillna("").astype(str)
    text = text.str.lower()
    classes = sorted(int(t) for t in docs["topic"].unique())
    row_of = {t: i for i, t in enumerate(classes)}
    rows = docs["topic"].map(row_of).to_numpy()
    words = text.str.count(r"\S+").to_numpy(dtype="float64")
    terms = sorted({k for t in wanted for k in as_list(table.loc[t, "keywords"])[:n]})
    counts = np.zeros((len(classes), len(terms) + 1))
    present = {}
    for j, term in enumerate(terms):
        hits = text.str.count(rf"(?<![a-z0-9]){re.escape(term.lower())}(?![a-z0-9])").to_numpy()
        np.add.at(counts[:, j], rows, hits)
        present[term] = hits > 0
    np.add.at(counts[:, -1], rows, words)
    counts[:, -1] = np.maximum(counts[:, -1] - counts[:, :-1].sum(axis=1), 0)  # the other words
    weights = class_tfidf(sp.csr_matrix(counts)).toarray()
    out = []
    topic_of = docs["topic"].to_numpy()
    for t in wanted:
        for term in as_list(table.loc[t, "keywords"])[:n]:
            j = terms.index(term)
            out.append(
                {
                    "topic": t,
                    "label": str(table.loc[t, "label"]),
                    "term": term,
                    "weight": float(weights[row_of[t], j]) if t in row_of else 0.0,
                    "papers": int((present[term] & (topic_of == t)).sum()),
                }
            )
    frame = pd.DataFrame(out, columns=["topic", "label", "term", "weight", "papers"])
    order = frame.sort_values(["weight"], ascending=False, kind="stable")
    return order.sort_values("topic", key=lambda s: s.map(wanted.index), kind="stable").reset_index(drop=True)
