"""Finding a topic from what a user types: a topic id, a label, or words matched by meaning.

Free text is embedded with the landscape's own model and compared with each topic twice: with its
centroid (the mean of its papers' embeddings) and with its representation (label and keywords,
embedded the same way); the similarity weighs the centroid's cosine most, as a label or an acronym
("MoE") embeds poorly on its own. Word matches (query words
in the label, the keywords, and the titles and abstracts of the topic's papers) add a small
tie-breaking bonus. A best match that is not similar enough and shares no word with the topic is
flagged as weak, so the page can say so instead of showing an unrelated topic without comment.
Landscapes without a usable model (precomputed embeddings) are matched by words alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from landscape.errors import LandscapeError

WEAK_SIMILARITY = 0.3  # below this mean cosine a match counts as weak unless words match too
CENTROID_WEIGHT = 0.7  # share of the centroid's cosine in the similarity (the rest: label and keywords)
WORD_WEIGHT = 0.1  # word matches break ties between topics of about the same similarity
CANDIDATES = 5  # candidates listed beside the choice
CLOSE_CALL = 0.02  # a runner-up this close in score is pointed out
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class TopicMatch:
    """The chosen topic, how it was chosen, and the candidates with their scores."""

    topic: int
    how: str  # "id", "label", "meaning", "words" or "largest"
    query: str | None = None
    candidates: object = None  # DataFrame: topic, label, size, similarity, words, score
    weak: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One sentence saying why this topic was shown."""
        if self.how == "id":
            return f"topic {self.topic}, chosen by its number"
        if self.how == "label":
            return f"topic {self.topic}, whose label is {self.query!r}"
        if self.how == "largest":
            return f"topic {self.topic}, the largest (no topic was asked for)"
        by = "meaning and words" if self.how == "meaning" else "words"
        text = f"topic {self.topic}, the best match for {self.query!r} by {by}"
        if self.weak:
            text += ": a weak match, the landscape may have no topic about this"
        return text


def _words(text) -> list[str]:
    from landscape.model.naming import stop_words

    stop = stop_words()
    return [w for w in _WORD.findall(str(text).lower()) if w not in stop]


def as_list(value) -> list[str]:
    """A list-like cell (keywords, representative ids) as a list of strings; None: empty."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:  # a missing cell read as NaN
        return []


def word_scores(land, terms) -> list[float]:
    """Per topic (in ``land.topics`` order), how well the query words match, in [0, 1]: the share of
    words in its label (counted twice), in its keywords, and the share of its papers whose title or
    abstract holds each word."""
    import numpy as np

    terms = set(terms)
    if not terms:
        return [0.0] * len(land.topics)
    docs = land.documents
    text = docs["title"].fillna("").astype(str)
    if "abstract" in docs.columns:
        text = text + " " + docs["abstract"].fillna("").astype(str)
    text = text.str.lower()
    hits = np.zeros(len(docs))
    for term in terms:
        hits += text.str.contains(rf"\b{re.escape(term)}", regex=True).to_numpy()
    share = (
        (docs.assign(_h=hits / len(terms)).groupby("topic")["_h"].mean())
        .reindex(land.topics["topic"])
        .fillna(0.0)
    )
    scores = []
    for row, paper_share in zip(land.topics.itertuples(index=False), share.to_numpy(), strict=True):
        label = len(terms & set(_words(row.label))) / len(terms)
        keywords = len(terms & {w for k in as_list(row.keywords) for w in _words(k)}) / len(terms)
        scores.append(float((2 * label + keywords + paper_share) / 4))
    return scores


def _representations(land) -> list[str]:
    return [f"{row.label}: {', '.join(as_list(row.keywords))}" for row in land.topics.itertuples(index=False)]


def meaning_scores(land, query: str, embedder=None):
    """Per topic, the cosine of the query's embedding with the topic's centroid and with its embedded
    label and keywords, weighted by :data:`CENTROID_WEIGHT`; None when the landscape's model cannot
    embed the query."""
    import numpy as np

    centroids = getattr(land, "centroids", None)
    model = (land.meta or {}).get("embedding_model")
    if centroids is None or len(centroids) != len(land.topics):
        return None
    if embedder is None:
        if not model or model == "precomputed":
            return None
        from landscape.embed.embedder import Embedder

        embedder = Embedder(model, cache_dir=False, show_progress=False)
    from landscape.model.geometry import unit_rows

    vectors = embedder.encode([query, *_representations(land)])
    if np.shape(centroids)[1] != vectors.shape[1]:
        return None
    c = unit_rows(centroids, what="topic centroids").astype("float64")
    v = unit_rows(vectors).astype("float64")
    return CENTROID_WEIGHT * (c @ v[0]) + (1 - CENTROID_WEIGHT) * (v[1:] @ v[0])


def find_topic(land, topic=None, *, embedder=None, k: int = CANDIDATES) -> TopicMatch:
    """The topic that ``topic`` names: an id (int or digits), a label (any case), or free text
    matched by meaning (see the module text); None: the largest topic."""
    topics = land.topics
    if topics.empty:
        raise LandscapeError("this landscape has no topics")
    if topic is None or (isinstance(topic, str) and not topic.strip()):
        largest = topics.sort_values(["size", "topic"], ascending=[False, True]).iloc[0]
        return TopicMatch(int(largest["topic"]), "largest")
    if isinstance(topic, bool):
        raise LandscapeError(f"topic must be a number, a label or words; got {topic!r}")
    text = str(topic).strip()
    if isinstance(topic, int) or re.fullmatch(r"-?\d+", text):
        return TopicMatch(int(land.topic(int(text))["topic"]), "id", text)
    labels = topics["label"].astype(str).str.strip().str.lower()
    same = topics[labels == text.lower()]
    if len(same):
        return TopicMatch(int(same.iloc[0]["topic"]), "label", text)
    terms = _words(text)
    words = word_scores(land, terms)
    meaning = meaning_scores(land, text, embedder)
    table = topics[["topic", "label", "size"]].reset_index(drop=True).copy()
    table["words"] = [round(w, 3) for w in words]
    if meaning is None:
        if not terms:
            raise LandscapeError(f"{text!r}: no words to match, and no model to embed it with")
        table["similarity"] = float("nan")
        table["score"] = table["words"]
        how = "words"
    else:
        table["similarity"] = meaning.round(3)
        table["score"] = (meaning + WORD_WEIGHT * table["words"].to_numpy()).round(3)
        how = "meaning"
    table = table.sort_values(["score", "size", "topic"], ascending=[False, False, True], kind="stable")
    table = table[["topic", "label", "size", "similarity", "words", "score"]].head(max(int(k), 1))
    best = table.iloc[0]
    if how == "words":
        weak = best["words"] <= 0
    else:
        weak = best["similarity"] < WEAK_SIMILARITY and best["words"] <= 0
    match = TopicMatch(int(best["topic"]), how, text, table.reset_index(drop=True), bool(weak))
    if how == "words":
        match.notes.append("matched by words only: the landscape's embedding model is not available")
    if len(table) > 1 and best["score"] - table.iloc[1]["score"] < CLOSE_CALL:
        second = table.iloc[1]
        match.notes.append(
            f"close call: topic {int(second['topic'])} ({second['label']}) scores almost as high; "
            "add words to tell them apart"
        )
    return match
