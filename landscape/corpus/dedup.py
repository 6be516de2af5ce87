"""When two rows are the same paper: the one rule ingest and the fetchers' merge both use.

* Rows with the same id (not one made from the title) are the same paper.
* Rows with the same normalised title are the same paper unless the evidence says otherwise: both
  have real ids that differ, both have abstracts, and the abstracts are not near-identical. Two
  different papers called "Introduction", with their own DOIs and abstracts, stay apart.
* Abstracts are near-identical when the Jaccard similarity of their word sets (lower-cased runs of
  letters and digits) is at least ``NEAR_IDENTICAL_JACCARD`` (versions of one arXiv abstract, or its
  journal copy, share far more of their words than two abstracts on one subject do).
* A row that cannot contradict (an id made from the title, or no abstract) joins the one paper of
  its title; when its title names several different papers it joins the one whose abstract it
  matches, else stays on its own (ambiguous, so nothing is merged by guess).

The callers decide what a group becomes: ingest keeps the most complete row and rejects the others,
``fetch.corpus.merge_corpora`` folds the group into one record by source priority.
"""

from __future__ import annotations

import math
import re

from landscape.corpus.ids import is_made_up_id

NEAR_IDENTICAL_JACCARD = 0.8

_WORD = re.compile(r"[a-z0-9]+")


def abstract_words(text) -> frozenset:
    """The word set abstracts are compared by."""
    return frozenset(_WORD.findall(str(text or "").lower()))


def near_identical(a: frozenset, b: frozenset) -> bool:
    """Whether two abstracts' word sets are near-identical (empty sets never are)."""
    if not a or not b:
        return False
    small, large = sorted((len(a), len(b)))
    if small < NEAR_IDENTICAL_JACCARD * large:  # the Jaccard cannot reach the threshold
        return False
    common = len(a & b) if len(a) <= len(b) else len(b & a)
    return common >= NEAR_IDENTICAL_JACCARD * (len(a) + len(b) - common)


def _join_near_identical(sets: dict, uf) -> None:
    """Join rows with near-identical word sets, found by prefix filtering (not all pairs compared).

    With the words of every set ordered rarest first, two sets with Jaccard >= t share a word among
    the first ``len - ceil(t * len) + 1`` of each (Chaudhuri et al., 2006); only those candidates
    are compared, so thousands of different papers called "Introduction" stay fast.
    """
    from collections import Counter

    frequency = Counter(word for words in sets.values() for word in words)
    index: dict[str, list[int]] = {}  # word -> the rows (one per group so far) with it in their prefix
    for p in sorted(sets, key=lambda p: len(sets[p])):
        ordered = sorted(sets[p], key=lambda word: (frequency[word], word))
        prefix = ordered[: len(ordered) - math.ceil(NEAR_IDENTICAL_JACCARD * len(ordered)) + 1]
        candidates = {q for word in prefix for q in index.get(word, ())}
        joined = set()
        for q in sorted(candidates):
            root = uf.find(q)
            if root not in joined and uf.find(p) != root and near_identical(sets[q], sets[p]):
                uf.union(p, q)
                joined.add(root)
        if not joined:  # a row joined to an earlier one is found through it
            for word in prefix:
                index.setdefault(word, []).append(p)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, p: int) -> int:
        while self.parent[p] != p:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        return p

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def duplicate_groups(ids, title_keys, abstracts) -> list[list[int]]:
    """Groups (positions, ascending) of rows that are the same paper; rows on their own are left out.

    ``ids``: the rows' ids (compared as written, so normalise them first: ``arXiv:<id>`` without
    version); ``title_keys``: normalised titles (``""`` when none); ``abstracts``: the cleaned text.
    """
    ids, keys, abstracts = list(ids), list(title_keys), list(abstracts)
    n = len(ids)
    uf = _UnionFind(n)
    first_of_id: dict[str, int] = {}
    by_title: dict[str, list[int]] = {}
    for p, (row_id, key) in enumerate(zip(ids, keys, strict=True)):
        if row_id and not is_made_up_id(row_id):
            if row_id in first_of_id:
                uf.union(p, first_of_id[row_id])
            else:
                first_of_id[row_id] = p
        if key:
            by_title.setdefault(key, []).append(p)
    for rows in by_title.values():
        if len(rows) > 1:
            _join_title_group(rows, ids, abstracts, uf)
    groups: dict[int, list[int]] = {}
    for p in range(n):
        groups.setdefault(uf.find(p), []).append(p)
    return [g for g in groups.values() if len(g) > 1]


def _join_title_group(rows, ids, abstracts, uf: _UnionFind) -> None:
    words = {p: abstract_words(abstracts[p]) for p in rows}
    strong = [p for p in rows if words[p] and not is_made_up_id(ids[p]) and ids[p]]
    strong_set = set(strong)
    weak = [p for p in rows if p not in strong_set]
    # papers with real ids and abstracts: the same when near-identical (same ids are joined already)
    _join_near_identical({p: words[p] for p in strong}, uf)
    clusters: dict[int, list[int]] = {}
    for p in strong:
        clusters.setdefault(uf.find(p), []).append(p)
    alone = []
    for p in weak:
        if uf.find(p) in clusters:  # same id as a strong row
            continue
        matching = [
            r for r, members in clusters.items() if any(near_identical(words[p], words[m]) for m in members)
        ]
        if len(clusters) == 1:
            uf.union(p, next(iter(clusters)))
        elif len(matching) == 1:
            uf.union(p, matching[0])
        elif not clusters:
            alone.append(p)
    for a, b in zip(alone, alone[1:], strict=False):  # no paper with evidence: the title decides
        uf.union(a, b)
