"""Choosing labels a reader can trust from the evidence of every candidate phrase.

A candidate is a phrase a topic's papers use (one used by at least ``CANDIDATE_SHARE`` of them, or
one of its best c-TF-IDF phrases). For each candidate, :class:`CandidateEvidence` counts, once for
all topics, which papers *use* it (:mod:`landscape.model.label_evidence`: every content word in
title + abstract). A topic's label is the candidate, or pair of candidates ("A and B", used by a
paper that uses A or B), that best *identifies* the topic's papers:

- ``support``: share of the topic's papers that use the label;
- ``lift``: that share against the share of the other papers that use it;
- ``score``: support weighted by how specific the label is, ``support · min(1, ln lift / ln
  LIFT_FULL)``: a phrase most of the topic uses and few other papers do wins over a broad phrase
  every topic uses ("Language Models") and over a rare one only a few of its papers use.

Rules (issue 14): lift >= ``MIN_LIFT``; a phrase at least ``WRITTEN_BY`` of the topic's papers
write, words adjacent (its words merely meeting in the papers is not enough); no
generic single word alone (:func:`is_plain_word`; such a word may name a subject inside a covering
pair); one word alone, an acronym ("BERT", "LM") or a term of art (:func:`is_lone_term`: rare in
general English and not generic in ML, :func:`landscape.model.words.is_term`, used by its papers
as a noun, ``alone``: "Unlearning", "Quantization", not "Multimodal"), only when ``MIN_SUPPORT``
of the topic uses it; no name of
the whole field; no leading compound adjective ("Off-the-Shelf"); unique on the map: no two labels
name one subject (:class:`Subjects`: the same content words once acronyms are read as the papers
define them and head words such as "Models" are left aside: "VLMs" = "Vision-Language Models",
"RNN" = "Recurrent Network"), and of topics whose own best names name one subject, the one with the
most papers using its name keeps it. A phrase used by ``MIN_SUPPORT`` of the topic and specific to it
(lift >= ``SPECIFIC_LIFT``) names it: a phrase the rest of the field uses as well ("Natural Language
Processing" in a corpus of language-model papers, lift 3-5) does not win for being common. Such a
label is never traded for a covering pair: issue 14 checks support by asking *every* word of a
label in one paper, which few papers meet for "A and B". Only a topic no single phrase covers half
of gets a covering pair of two distinct subjects, both among its ``COVER_RANK`` most
characteristic phrases (c-TF-IDF), each used by ``COVER_PART`` of it and written by
``WRITTEN_BY`` of its papers, rarely written together (``COVER_APART``: "ASR Models and Speech"
says one subject twice, "LLM Surveys and PEFT" two), when the pair scores ``COVER_GAIN`` more than
the best single label.

A group is named the same way from all its papers, by a phrase its topics share (used by
``SPREAD_SHARE`` of the papers of each of its largest topics, written in ``SPREAD_TOPICS`` of
them; two or more words first), never restating one of its topics' labels, acronyms expanded
(:meth:`Subjects.restates`: no "Generative Adversarial Networks" over "GANs"); its covering pair
may be two broad words its topics share and write together ("Speech and Audio").

Measured (``bench/naming.py``, the README's table; ``strict``: issue 14's reading, every content
word of the whole label in one paper): on the 2,000-3,000-paper dev sets (seeds 0-2) the strict
median went from 0.17-0.29 to 0.34-0.38 with pairs kept to subjects rarely written together
(``COVER_APART``), the stored support (a pair used by a paper using A or B) from 0.54-0.63 to
0.43-0.46, lift >= 3 stays at every topic, and labels naming a subject another label names (an
acronym beside its expansion) from 0-6 per set to 0. The share of topics whose strict support
reaches 0.5 (0.23-0.31) does not move: a strict median of 0.5 is out of reach there without
one-word labels: the best phrase of two or more words of each topic is used by half its papers in
under half of the topics (each topic's most used allowed phrase: median 0.36-0.41).
Terms of art alone (fixed topics, seed 0; the bundled sample seeds 42 and 0-4): strict median
0.30 → 0.31 (``sample``), 0.27 → 0.32 (``listing5``), 0.30 → 0.33 (``primary20``), 0.35 → 0.38
(``rarest20``), 0.32 → 0.41 (bundled, mean of 6 seeds), no new duplicate or plain one-word label
("Machine Unlearning and Target" → "Unlearning", "Quantization-Aware Training and Edge Devices"
→ "Quantization", "Image Segmentation" → "Segmentation").
"""

from __future__ import annotations

from dataclasses import dataclass

# A label should be used by at least this share of its topic's papers, and this many times more
# often than by the other papers (issue 14's trust targets).
MIN_SUPPORT = 0.5
MIN_LIFT = 3.0
# A label this many times more used inside its topic than outside counts as fully specific.
LIFT_FULL = 20.0
# Label scores closer than this are ties, broken by the phrases' c-TF-IDF rank.
SCORE_STEP = 0.02
# Candidates: phrases used by this share of a topic's papers (at least two papers), at most
# MAX_CANDIDATES of them, plus its best c-TF-IDF phrases.
CANDIDATE_SHARE = 0.05
MAX_CANDIDATES = 120
# A covering pair "A and B" is only looked for when no single label is used by COVER_BELOW of
# the topic's papers: one a phrase used by half of them keeps its label, whose every word those
# papers contain (issue 14's check of support), while a pair's whole label is in few of them.
# Then: one part the topic's best single label or most characteristic phrase, one part at least
# a phrase or acronym, each used by COVER_PART of the topic and written by WRITTEN_BY papers, B
# adding COVER_PART of it that A misses, and the pair scoring COVER_GAIN above the best single.
COVER_BELOW = MIN_SUPPORT
COVER_PART = 0.15
COVER_GAIN = 0.15
# ... and each names its own subject: at most COVER_APART of the papers using the rarer part use
# the other too ("Sentiment Analysis and Social Media", "ASR Models and Speech" say one subject twice
# and are in few papers whole, issue 14's check of support; "LLM Surveys and PEFT" are two).
COVER_APART = 0.2
# Pair parts are among this many of the topic's best-scoring labels, or its best c-TF-IDF phrase
# (PLAIN_PARTS) when that is one plain word ("Unlearning").
COVER_CANDIDATES = 12
# ... and among its COVER_RANK most characteristic phrases (c-TF-IDF, not merely frequent ones).
COVER_RANK = 30
PLAIN_PARTS = 3
PLAIN_SUPPORT = 0.25
PLAIN_BROADER = 1.5
# Two words sharing their first STEM letters name one subject ("music", "musical").
STEM = 5
# Without a usable label: the most used of this many best specific phrases.
FALLBACK_CANDIDATES = 10
# A group label is used by at least SPREAD_SHARE of the papers of each of its largest topics
# (those holding SPREAD_PAPERS of its papers, at least SPREAD_TOPICS of them), and written as a
# phrase in SPREAD_TOPICS of them.
SPREAD_SHARE = 0.2
SPREAD_PAPERS = 0.5
SPREAD_TOPICS = 2
# A label (or part of one) is a phrase at least this many of the class's papers write.
WRITTEN_BY = 2
# One token ("LLMs", "Robot") and a phrase named for being used by most of the topic must be this
# specific (lift): a phrase most of the field uses ("Natural Language Processing") is not.
SPECIFIC_LIFT = 2 * MIN_LIFT

# Inner words of compound adjectives ("off-the-shelf", "plug-and-play"), unlike compound nouns
# ("Mixture-of-Experts", "Text-to-Image").
ADJECTIVE_JOINS = frozenset({"the", "and"})

# Names of the whole field, too broad to name one topic of it (keys: lower-case, singular).
FIELD_NAMES = frozenset(
    {
        "ai",
        "ml",
        "dl",
        "nlp",
        "llm",
        "2d",
        "3d",
        "artificial intelligence",
        "machine learning",
        "deep learning",
        "neural network",
        "deep neural network",
        "artificial neural network",
        "computer science",
        "data science",
    }
)


# Words that only say what kind of thing a subject is: left out when asking whether two labels name
# one subject ("Recurrent Network", "RNNs" = "Recurrent Neural Networks"), unless nothing else is left.
HEAD_WORDS = frozenset({"model", "network", "neural"})


class Subjects:
    """When two labels name one subject, for a reader: the same content words (singular/plural and
    hyphen/space variants already are), once each acronym is read as its expansion (``expansions``:
    ``{acronym word: expansion words}``, as the corpus defines them, see
    :func:`~landscape.model.label_evidence.acronym_expansions`), and head words (``HEAD_WORDS``)
    left out: "VLMs" = "Vision-Language Models", "RNN" = "Recurrent Network". The one owner of
    label uniqueness and of a group label restating a child, for :func:`choose` and :func:`fallback`.
    """

    def __init__(self, expansions=None):
        self.expansions = dict(expansions or {})

    def words(self, label) -> frozenset:
        """Content words of a label or phrase key, acronyms expanded."""
        from landscape.model.label_evidence import content_words

        out = set()
        for word in content_words(str(label)):
            out.update(self.expansions.get(word, (word,)))
        return frozenset(out)

    def of(self, label) -> frozenset:
        """The subject of a label: :meth:`words` without ``HEAD_WORDS`` (all of them if only those)."""
        words = self.words(label)
        return (words - HEAD_WORDS) or words

    def restates(self, label, related) -> bool:
        """Whether ``label`` restates one of ``related`` (a group's topics' labels): names its subject
        or the subject of one part of a covering "A and B", or contains its words, acronyms
        expanded ("Generative Adversarial Networks" over "GANs", "VLM Benchmarks" over "Vision-
        Language Models"). A broader label made of a child's words ("Speech and Audio" over "Speech
        Recognition", "Diffusion Models" over "Video Diffusion Models") says what topics share."""
        from landscape.model.label_evidence import COVER_JOIN

        words, subject = self.words(label), self.of(label)
        for other in related:
            theirs = self.words(other)
            if theirs and (theirs <= words or subject == self.of(other)):
                return True
            if any(subject == self.of(part) for part in str(other).split(COVER_JOIN)):
                return True
        return False


def _one_word(key: str, shown: str) -> bool:
    """One ordinary word: not a phrase, compound ("Mixture-of-Experts"), acronym or word with inner
    capitals ("LoRA", "GANs", "NeRF") or digits ("GPT-4")."""
    if " " in key.strip() or "-" in shown:
        return False
    return not any(c.isupper() for c in shown[1:]) and not any(c.isdigit() for c in shown)


def is_plain_word(key: str, shown: str) -> bool:
    """A label too generic to name a topic: one ordinary word that is no term of art ("Noise",
    "Agents"; :func:`landscape.model.words.is_term`) or a name of the whole field ("AI", "Machine
    Learning", "3D"). Acronyms, inner capitals and compounds are fine."""
    from landscape.model.words import is_term

    return key.strip().lower() in FIELD_NAMES or (_one_word(key, shown) and not is_term(key))


def is_lone_term(key: str, shown: str) -> bool:
    """One ordinary word that :func:`is_plain_word` lets through as a term of art ("Unlearning"):
    it may label a topic alone only where its papers use it as a noun (``alone`` of :func:`choose`)."""
    from landscape.model.words import is_term

    return key.strip().lower() not in FIELD_NAMES and _one_word(key, shown) and is_term(key)


def label_score(support: float, lift: float) -> float:
    """``support · min(1, ln lift / ln LIFT_FULL)`` (0 for a lift of 1 or less)."""
    import math

    return support * min(1.0, max(0.0, math.log(max(lift, 1e-12)) / math.log(LIFT_FULL)))


class CandidateEvidence:
    """Which papers use each candidate phrase, counted per class (topic or group) for all at once.

    ``presence``: a fitted :class:`~landscape.model.label_evidence.WordPresence`; ``classes``: class
    per paper (-1 = none); ``ids``: the classes to count.
    """

    def __init__(self, presence, classes, ids):
        import numpy as np

        self.presence = presence
        self.classes = np.asarray(classes)
        self.ids = list(ids)
        self.row_of = {c: i for i, c in enumerate(self.ids)}
        index = np.full(self.classes.shape, len(self.ids), dtype=np.int64)
        for c, i in self.row_of.items():
            index[self.classes == c] = i
        self.index = index
        self.sizes = np.bincount(index, minlength=len(self.ids) + 1)[: len(self.ids)]
        self.n = len(self.classes)
        self._cache: dict[tuple, tuple] = {}

    def rows(self, words):
        """Papers (sorted indices) that use every one of ``words``."""
        return self.presence.rows(words)

    def counts(self, words):
        """``(per-class counts, total)`` of papers using ``words`` (cached per word tuple)."""
        import numpy as np

        if words not in self._cache:
            rows = self.rows(words)
            self._cache[words] = (np.bincount(self.index[rows], minlength=len(self.ids) + 1), len(rows))
        return self._cache[words]

    def evidence(self, cls, used_rows):
        """``(support, lift, precision)`` of a label used by papers ``used_rows`` for class ``cls``."""
        import numpy as np

        from landscape.model.label_evidence import MAX_LIFT

        i = self.row_of[cls]
        inside = int(np.count_nonzero(self.index[used_rows] == i))
        return _evidence(inside, len(used_rows), int(self.sizes[i]), self.n, MAX_LIFT)


def _evidence(inside, total, size, n, max_lift):
    support = inside / size if size else 0.0
    n_out = n - size
    outside = (total - inside) / n_out if n_out else 0.0
    lift = max_lift if outside * max_lift <= support else support / outside
    precision = inside / total if total else 0.0
    return support, float(min(lift, max_lift)), precision


@dataclass(frozen=True)
class Choice:
    """A chosen label: its phrase keys (one, or two for a covering pair) and evidence."""

    keys: tuple
    support: float
    lift: float
    score: float


def choose(
    cls,
    candidates,
    shown_of,
    table: CandidateEvidence,
    *,
    taken,
    taken_subjects=(),
    related=(),
    subjects: Subjects | None = None,
    multiword: bool = False,
    within=None,
    written=None,
    alone=None,
):
    """The label of class ``cls`` from its candidate phrase keys (best c-TF-IDF first): a
    :class:`Choice`, or None when no candidate is usable.

    ``taken``: keys no label may use (other labels, modifiers); ``taken_subjects``: subjects
    (:meth:`Subjects.of`) of labels already given, which no label may name again; ``related``:
    labels this one may not restate (a group's topics, :meth:`Subjects.restates`); ``subjects``: the
    :class:`Subjects` rule (acronyms as the corpus defines them; none known by default);
    ``multiword``: labels of two or more words (groups); ``within``: topic per paper, to require a
    group label to be used across ``SPREAD_TOPICS`` of its topics;
    ``written``: ``key -> papers`` (sorted indices) that write the phrase itself, words adjacent:
    a label is a phrase at least ``WRITTEN_BY`` of the class's papers write (of its topics, for a
    group), not words that happen to meet in them; ``alone``: ``key -> bool``, whether a term of
    art (:func:`is_lone_term`) is a noun as the papers use it, not an adjective ("Multimodal") or a
    verb ("Mitigating"): only then may it be a label by itself (never without ``alone``).
    """

    from landscape.model.label_evidence import MAX_LIFT, content_words

    subjects = subjects or Subjects()
    i = table.row_of[cls]
    size = int(table.sizes[i])
    if size == 0:
        return None
    in_class = table.index == i
    singles, parts = {}, {}
    for key in candidates:
        words = content_words(key)
        if not words or key in taken or key not in shown_of or subjects.of(key) in taken_subjects:
            continue  # one subject is named once on a map ("VLMs" beside "Vision-Language Models")
        if subjects.restates(key, related):
            continue  # a group label never restates one of its topics' labels
        if key.strip().lower() in FIELD_NAMES or not _word_like(key, shown_of[key]):
            continue
        if written is not None and not _written(written(key), in_class, within, size):
            continue  # its words meet in the papers, the phrase itself is not theirs
        per_class, total = table.counts(words)
        support, lift, precision = _evidence(int(per_class[i]), total, size, table.n, MAX_LIFT)
        # one token ("LLMs", "Robot") must be very specific to be part of a name
        if support <= 0 or lift < (MIN_LIFT if len(words) > 1 else SPECIFIC_LIFT):
            continue
        if multiword and len([w for w in words if not w.isdigit()]) < 2:
            continue  # a group is named by what its topics share, not one acronym ("GPT-4")
        if within is not None and not _spread(table.rows(words), within, in_class):
            continue
        score = label_score(support, lift)
        parts[key] = (words, support, lift, score)
        # one word alone, an acronym ("LM", "BERT") or a term of art used as a noun ("Unlearning"),
        # names a topic only when most of its papers use it
        if not is_plain_word(key, shown_of[key]) and (len(words) > 1 or support >= MIN_SUPPORT):
            if not is_lone_term(key, shown_of[key]) or (alone is not None and alone(key)):
                singles[key] = parts[key]
    # scores within SCORE_STEP of each other tie: the more characteristic phrase (c-TF-IDF) wins
    rank = {k: r for r, k in enumerate(candidates)}
    # a specific phrase most of the topic's papers use names it (the best such phrase); a phrase
    # the rest of the field uses too ("Natural Language Processing": low lift) only by its score
    enough = [k for k in singles if singles[k][1] >= MIN_SUPPORT and singles[k][2] >= SPECIFIC_LIFT]
    ranking = lambda k: (round(singles[k][3] / SCORE_STEP), -rank[k])  # noqa: E731
    best = max(enough or singles, key=ranking, default=None)
    choice = None
    if best is not None:
        _, support, lift, score = singles[best]
        choice = Choice((best,), support, lift, score)
        if support >= COVER_BELOW:
            return choice  # no covering pair: every word of a pair is in fewer papers
    # pair parts: its best-scoring labels, and the one words among its most characteristic
    # phrases (c-TF-IDF): a word that only happens to be frequent names no subject
    words = [k for k in candidates[:PLAIN_PARTS] if _plain_part(k, parts, singles, best)]
    scored = sorted(singles, key=lambda k: -singles[k][3])[:COVER_CANDIDATES]
    # a covering name is made of the topic's own keywords (shown as "why this name")
    top = [k for k in dict.fromkeys(scored + words) if k == best or rank[k] <= COVER_RANK]
    anchors = {best, *words, candidates[0] if candidates else None} - {None}
    # a group's pair may be two broad words its topics share ("Speech and Audio"), which its
    # topics' papers write together
    phrases, apart = (set(singles), COVER_APART) if within is None else (set(parts), 1.0)
    pair = _best_pair(i, {k: parts[k] for k in top}, table, choice, anchors, phrases, rank, apart)
    return pair or choice


def _written(rows, in_class, within, size) -> bool:
    """Whether ``WRITTEN_BY`` of a class's papers write a phrase (``rows``: the papers that do),
    in ``SPREAD_TOPICS`` of its topics when ``within`` (topic per paper) is given."""
    import numpy as np

    inside = rows[in_class[rows]]
    if len(inside) < min(WRITTEN_BY, size):
        return False
    if within is None:
        return True
    topics = np.asarray(within)[in_class]
    if len(np.unique(topics[topics >= 0])) < SPREAD_TOPICS:
        return True
    return len(np.unique(np.asarray(within)[inside])) >= SPREAD_TOPICS


def _plain_part(key, parts, singles, best) -> bool:
    """Whether a plain word may be part of a pair: used by ``PLAIN_SUPPORT`` of the topic, and
    not just a word of its best label ("Topic" beside "Topic Models"), unless used by
    ``PLAIN_BROADER`` times as many papers ("Music" beside "Music Generation")."""
    if key not in parts or key in singles or parts[key][1] < PLAIN_SUPPORT:
        return False
    if best is None or not _stems(parts[key][0]) & _stems(singles[best][0]):
        return True
    return parts[key][1] >= PLAIN_BROADER * singles[best][1]


def _stems(words) -> set:
    """Crude stems (the first ``STEM`` letters) of content words: "grasp" = "grasping"."""
    return {w[:STEM] for w in words}


def _word_like(key: str, shown: str = "") -> bool:
    """Not an adverb ("dramatically"), not ending in a participle ("Fine-Tuned"), not led by a
    compound adjective ("Off-the-Shelf", "Plug-and-Play" ``shown``): those say how, not what."""
    last = key.split()[-1] if key.split() else key
    if (" " not in key and key.endswith("ly")) or (len(last) >= 6 and last.endswith("ed")):
        return False
    lead = shown.split()[0].lower().split("-") if shown.split() else []
    return not (len(lead) > 2 and set(lead[1:-1]) & ADJECTIVE_JOINS)


def _best_pair(i, parts, table, single, anchors, phrases, rank, apart=COVER_APART):
    """A covering pair scoring ``COVER_GAIN`` above ``single`` (None when there is none), with one
    of ``anchors`` and one of ``phrases`` (no two plain words, for a topic), of two parts at most
    ``apart`` of the rarer part's papers write together; ties go to the pair of the more
    characteristic phrases (``rank``: c-TF-IDF rank)."""
    import numpy as np

    from landscape.model.label_evidence import MAX_LIFT

    size = int(table.sizes[i])
    top = list(parts)
    member = table.index == i
    best, floor = None, (single.score if single else 0.0) + COVER_GAIN
    best_key = None
    rows = {k: table.rows(parts[k][0]) for k in top}
    for a_pos, a in enumerate(top):
        in_a = rows[a][member[rows[a]]]
        if len(in_a) < COVER_PART * size:
            continue
        for b in top[a_pos + 1 :]:
            if _stems(parts[a][0]) & _stems(parts[b][0]) or not ({a, b} & anchors and {a, b} & phrases):
                continue  # "Face Images and Face Datasets", "Grasps and Grasping": one subject
            in_b = rows[b][member[rows[b]]]
            adds = len(np.setdiff1d(in_b, in_a, assume_unique=True))
            if len(in_b) < COVER_PART * size or adds < max(2, COVER_PART * size):
                continue
            if len(in_b) - adds > apart * min(len(in_a), len(in_b)):
                continue  # the papers of one part use the other as well: one subject, said twice
            used = np.union1d(rows[a], rows[b])
            support, lift, precision = _evidence(int(member[used].sum()), len(used), size, table.n, MAX_LIFT)
            score = label_score(support, lift)
            key = (round(score / SCORE_STEP), -(rank[a] + rank[b]))
            if lift >= MIN_LIFT and score >= floor and (best_key is None or key > best_key):
                best_key = key
                # the phrase first ("Speech Recognition and Speakers"), else the more used
                first, second = sorted(
                    (a, b), key=lambda k: (k not in phrases, -len(rows[k][member[rows[k]]]))
                )
                best = Choice((first, second), support, lift, score)
    return best


def _spread(rows, within, in_class) -> bool:
    """Whether the papers ``rows`` use a phrase across the class's topics: each of the topics
    holding ``SPREAD_PAPERS`` of its papers (the largest first), or at least ``SPREAD_TOPICS`` of
    them, has ``SPREAD_SHARE`` of its papers using it. Trivially true with fewer topics than that."""
    import numpy as np

    topics = np.asarray(within)[in_class]
    ids, sizes = np.unique(topics[topics >= 0], return_counts=True)
    if len(ids) < SPREAD_TOPICS:
        return True
    used = np.asarray(within)[rows[in_class[rows]]]
    counts = np.array([np.count_nonzero(used == t) for t in ids])
    order = np.argsort(-sizes, kind="stable")
    held = np.cumsum(sizes[order])
    main = order[: max(SPREAD_TOPICS, int(np.searchsorted(held, SPREAD_PAPERS * held[-1])) + 1)]
    return bool(np.all(counts[main] >= SPREAD_SHARE * sizes[main]))


def fallback(
    cls,
    candidates,
    shown_of,
    table: CandidateEvidence,
    *,
    taken,
    first=None,
    taken_subjects=(),
    related=(),
    subjects: Subjects | None = None,
):
    """When no candidate passes the rules: the most used of the class's ``FALLBACK_CANDIDATES``
    best specific phrases (neither a plain word nor a name of the field nor a subject already named
    nor restating one of ``related``, as :func:`choose` reads them) with lift >= ``MIN_LIFT``, else
    its two best words as a pair ("Ethics and Society") when that pair has such a lift, else the
    most used specific phrase, else the pair, else ``first``."""
    import numpy as np

    from landscape.model.label_evidence import content_words

    subjects = subjects or Subjects()
    usable = [
        k
        for k in candidates
        if k in shown_of
        and k not in taken
        and content_words(k)
        and k.strip().lower() not in FIELD_NAMES
        and _word_like(k, shown_of[k])
        and subjects.of(k) not in taken_subjects
        and not subjects.restates(k, related)
    ]
    # one word alone (a term of art) only where :func:`choose` finds half the class using it
    specific = [k for k in usable if not (is_plain_word(k, shown_of[k]) or is_lone_term(k, shown_of[k]))]
    specific = specific[:FALLBACK_CANDIDATES]
    single = None
    if specific:
        evidence = {k: table.evidence(cls, table.rows(content_words(k))) for k in specific}
        # the most used of those its papers use more than the rest of the corpus does
        key = max(specific, key=lambda k: (evidence[k][1] >= MIN_LIFT, evidence[k][0]))
        support, lift = evidence[key][:2]
        single = Choice((key,), support, lift, label_score(support, lift))
        if lift >= MIN_LIFT:
            return single
    keys = tuple(usable[:2]) if len(usable) >= 2 else ((first,) if first else ())
    if not keys or (single is not None and len(keys) < 2):
        return single
    used = np.unique(np.concatenate([table.rows(content_words(k)) for k in keys]))
    support, lift = table.evidence(cls, used)[:2]
    pair = Choice(keys, support, lift, label_score(support, lift))
    # a phrase the whole corpus uses as much ("Language Models", lift 1) names nothing: two of
    # the class's own words do ("Navigation and Planning")
    return pair if single is None or lift >= MIN_LIFT else single
