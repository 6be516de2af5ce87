"""Evidence for a label: how many of a topic's papers use its words (support), against the rest (lift).

A paper *uses* a label when its title + abstract contain every content word of the label (lower-case,
singular, hyphenated compounds split: "Mixture-of-Experts" needs "mixture" and "expert"; "of",
"and" and other stop words are not content words). A covering label "A and B" is used by a paper
that uses A or uses B.

- ``support``: share of the topic's papers that use the label;
- ``lift``: support divided by the share of the other papers (outside the topic) that use it,
  capped at ``MAX_LIFT`` (a label no other paper uses would otherwise have infinite lift).
"""

from __future__ import annotations

import re

MAX_LIFT = 100.0
# Word separator of covering labels ("LLM Surveys and PEFT").
COVER_JOIN = " and "

_WORD = re.compile(r"[A-Za-z0-9]+")


def content_words(phrase: str) -> tuple[str, ...]:
    """The words a paper must contain to use ``phrase`` (lower-case, singular, no English stop words)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from landscape.model.words import CONNECTORS, NOT_STOP, singular

    words = []
    for word in _WORD.findall(phrase.lower()):
        if (word in ENGLISH_STOP_WORDS and word not in NOT_STOP) or word in CONNECTORS:
            continue
        word = singular(word)
        if word not in words:
            words.append(word)
    return tuple(words)


class WordPresence:
    """Which papers contain which words: a binary papers × words matrix, built once per corpus."""

    def fit(self, docs):
        from sklearn.feature_extraction.text import CountVectorizer

        from landscape.model.words import singular

        def analyzer(text):
            return {singular(w) for w in _WORD.findall(text.lower())}

        vectorizer = CountVectorizer(analyzer=analyzer, binary=True, dtype="int8")
        self.matrix_ = vectorizer.fit_transform(docs).tocsc()
        self.column_ = {w: i for i, w in enumerate(vectorizer.get_feature_names_out())}
        self.n_ = self.matrix_.shape[0]
        return self

    def rows(self, words):
        """Sorted indices of the papers that contain every one of ``words``."""
        import numpy as np

        out = None
        for word in words:
            col = self.column_.get(word)
            if col is None:
                return np.zeros(0, dtype=np.int64)
            hit = self.matrix_.indices[self.matrix_.indptr[col] : self.matrix_.indptr[col + 1]]
            out = np.sort(hit) if out is None else np.intersect1d(out, hit, assume_unique=True)
        return np.zeros(0, dtype=np.int64) if out is None else out.astype(np.int64)

    def uses(self, words):
        """Boolean mask of the papers that contain every one of ``words``."""
        import numpy as np

        mask = np.ones(self.n_, dtype=bool) if words else np.zeros(self.n_, dtype=bool)
        for word in words:
            col = self.column_.get(word)
            if col is None:
                return np.zeros(self.n_, dtype=bool)
            hit = np.zeros(self.n_, dtype=bool)
            hit[self.matrix_.indices[self.matrix_.indptr[col] : self.matrix_.indptr[col + 1]]] = True
            mask &= hit
        return mask

    def uses_any(self, alternatives):
        """Papers that contain every word of at least one of ``alternatives`` (tuples of words)."""
        import numpy as np

        mask = np.zeros(self.n_, dtype=bool)
        for words in alternatives:
            mask |= self.uses(words)
        return mask


def support_and_lift(used, members) -> tuple[float, float]:
    """``(support, lift)`` of a label used by the papers in mask ``used``, for a topic ``members``."""
    import numpy as np

    inside = np.zeros(len(used), dtype=bool)
    inside[members] = True
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    support = float(used[inside].mean()) if n_in else 0.0
    outside = float(used[~inside].mean()) if n_out else 0.0
    lift = MAX_LIFT if outside * MAX_LIFT <= support else support / outside
    return support, float(min(lift, MAX_LIFT))


def labels_evidence(docs, classes, labelled) -> dict:
    """``{class: (support, lift)}`` of given labels (``{class: label}``) for the papers ``docs``
    with class per paper ``classes``: what a label chosen elsewhere (kept by ``--like``, curated,
    from a namer) is stored with, so the evidence always describes the label shown."""
    import numpy as np

    presence = WordPresence().fit(docs)
    classes = np.asarray(classes)
    out = {}
    for cls, label in labelled.items():
        parts = [content_words(p) for p in str(label).split(COVER_JOIN)]
        used = presence.uses_any([p for p in parts if p])
        out[cls] = support_and_lift(used, np.flatnonzero(classes == cls))
    return out


# An acronym defined in parentheses after its expansion: "vision-language models (VLMs)", "mixture
# of experts (MoE)", "low-rank adaptation (LoRA)": two or more capitals, an optional plural "s".
_DEFINED = re.compile(r"\(\s*([A-Z][A-Za-z]*[A-Z][a-z]?)\s*\)")
# Words before "(" read for an expansion.
_BEFORE = 12


def acronym_expansions(docs) -> dict[str, tuple[str, ...]]:
    """``{acronym word: content words of its expansion}`` as the papers ``docs`` define their
    acronyms ("vision-language models (VLMs)": ``{"vlm": ("vision", "language", "model")}``): the
    shortest run of words right before "(ACRONYM)" whose initials, or leading letters, spell it
    (stop words may be skipped: "mixture of experts (MoE)"). The expansion most papers give wins."""
    from collections import Counter

    found: dict[str, Counter] = {}
    for doc in docs:
        if "(" not in doc:
            continue
        for match in _DEFINED.finditer(doc):
            acronym = content_words(match.group(1))
            if len(acronym) != 1:
                continue
            letters = acronym[0]
            before = _WORD.findall(doc[max(0, match.start() - 160) : match.start()].lower())[-_BEFORE:]
            for start in range(len(before) - 1, -1, -1):
                window = before[start:]
                if len(window) >= 2 and _spells(letters, window):
                    words = content_words(" ".join(window))
                    if len(words) >= 2:
                        found.setdefault(letters, Counter())[words] += 1
                    break
    return {a: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for a, c in found.items()}


def _spells(letters: str, words) -> bool:
    """Whether ``words`` (lower-case) spell ``letters``: each content word gives a leading part of
    itself (one letter or more: "Low-Rank Adaptation" = "lora"), a stop word gives its first letter
    or nothing; the first word gives the first letter."""
    from functools import cache

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    if not words or words[0] in ENGLISH_STOP_WORDS or not words[0].startswith(letters[:1]):
        return False

    @cache
    def fits(i: int, j: int) -> bool:
        if j == len(words):
            return i == len(letters)
        word = words[j]
        if word in ENGLISH_STOP_WORDS and fits(i, j + 1):
            return True
        return any(fits(i + k, j + 1) for k in range(1, len(word) + 1) if word[:k] == letters[i : i + k])

    return fits(0, 0)
