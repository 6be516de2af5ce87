"""Where topics are named: phrase extraction, c-TF-IDF keywords and short human-readable labels.

Topic words come from BERTopic's class-based TF-IDF (c-TF-IDF): the documents of a topic are
treated as one document, term frequencies are L1-normalised per topic (square-rooted to damp very
frequent words) and weighted by ``log(1 + A / f)``, where ``A`` is the average number of words per
topic and ``f`` a word's frequency over all topics. What differs from vanilla BERTopic is what
counts as a "word":

- candidates are 1–3-word phrases that never cross punctuation and never start or end with a stop
  word; inside a phrase only the connector "of" is allowed ("mixture of experts", "chain of
  thought");
- English stop words, paper boilerplate ("propose", "results", "state-of-the-art", ...), numbers,
  URLs, e-mail addresses and LaTeX never become topic words, and very generic words ("model",
  "learning", "data", ...) only appear inside phrases ("diffusion models"), never alone;
- plural and hyphenation variants share one feature ("language model" = "language models",
  "mixture-of-experts" = "mixture of experts"); a keyword is shown in its most frequent written form.

A label is the topic's best phrase: its top keyword, replaced by a longer phrase that contains it
when that phrase is strong enough (see :func:`choose_label`), or with evidence the candidate
:func:`landscape.model.label_choice.choose` picks. Labels are unique across topics: no two name one
subject (an acronym and its expansion as the papers define it are one,
:class:`landscape.model.label_choice.Subjects`); the topic with the most papers using a name keeps it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from landscape.model.label_choice import FIELD_NAMES, MIN_LIFT, MIN_SUPPORT, is_plain_word  # noqa: F401
from landscape.model.words import CONNECTORS, GENERIC, LONE_DOCS, NOT_STOP, TOKEN, singular, stands_alone
from landscape.schema import UNASSIGNED_TOPIC

# Paper boilerplate: words that say how a paper is written, not what it is about.
BOILERPLATE = frozenset(
    """
    paper papers propose proposes proposed proposing proposal present presents presented presenting
    introduce introduces introduced introducing method methods methodology result results resulting
    discuss discusses discussed discussing describes described describing
    approach approaches show shows showed shown showing novel state-of-the-art sota demonstrate
    demonstrates demonstrated demonstrating based using use used uses utilize utilizes utilizing
    leverage leverages leveraging existing performance performances outperform outperforms
    outperformed outperforming achieve achieves achieved achieving significant significantly
    effective effectively efficiently improve improves improved improving improvement improvements
    experiment experiments experimental extensive extensively evaluate evaluates evaluated
    evaluating conduct conducted comprehensive superior competitive respectively furthermore
    moreover additionally however specifically particular particularly notably recent recently
    new various variety different work works study studies studied paradigm framework frameworks
    task tasks problem problems challenge challenges challenging issue issues address addresses
    addressing solution solutions way ways number numbers large-scale wide widely range
    available publicly code codes github https http www com org html pdf url
    et al ie eg i.e e.g etc fig figure table section appendix abstract article
    also able allow allows enable enables enabling provide provides providing obtain obtains
    obtained make makes making aim aims aimed focus focuses key important crucial critical
    promising remarkable impressive strong stronger better best good high higher low lower
    substantial substantially prior previous previously current currently typically usually
    often commonly generally general specific potential possible simple simply easy effectiveness
    efficiency benefit benefits gain gains stage step steps setting settings scenario scenarios
    aspect aspects component components module modules strategy strategies technique techniques
    designed real-world recent-years years year release released
    open-source source publicly-available experimentally empirically empirical theoretical
    theoretically thorough investigate investigates investigated explore explores explored exploring
    analyze analyzes analyse despite while via across towards toward et-al
    given consider considers considered including include includes called termed named
    """.split()
)

# A phrase followed by some other word in this share of its occurrences is a modifier, not a label.
MODIFIER_RATIO = 0.7

_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_LATEX = re.compile(r"\$[^$]{0,400}\$|\\[A-Za-z]+")
_BREAK = re.compile(r"[^A-Za-z0-9]+")
_NUMBERLIKE = re.compile(r"^\d[\d.,]*(?:[a-z]{0,3}|%)$")
_DIMENSION = re.compile(r"^[1-4]d$")  # 2D, 3D, 4D are topics, not numbers


@lru_cache(maxsize=8)
def stop_words(extra: tuple[str, ...] = ()) -> frozenset:
    """English stop words, paper boilerplate and any ``extra`` words (lower-case)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return (frozenset(ENGLISH_STOP_WORDS) - NOT_STOP) | BOILERPLATE | {w.lower() for w in extra}


class PhraseAnalyzer:
    """Turns a text into candidate topic phrases (feature keys), for ``CountVectorizer(analyzer=...)``.

    A key is the lower-case, singular, de-hyphenated form of a phrase, so that spelling variants
    count as one feature. ``surfaces=True`` yields ``(key, written form)`` pairs instead.
    """

    def __init__(self, ngram_range=(1, 3), stop=frozenset()):
        self.ngram_range = ngram_range
        self.stop = stop
        self._tokens: dict[str, tuple[str, tuple[str, ...]]] = {}  # token → (kind, key words)

    def _token(self, token: str):
        low = token.lower()
        if low in CONNECTORS:
            info = ("connector", (low,))
        elif _BREAK.fullmatch(token) or low in self.stop or len(low) < 2 or low.endswith(("-based", "-art")):
            info = ("break", ())
        elif _NUMBERLIKE.match(low) and not _DIMENSION.match(low):
            info = ("break", ())
        else:
            info = ("word", tuple(singular(part) for part in low.split("-") if part))
        self._tokens[token] = info
        return info

    def phrases(self, text: str, surfaces: bool = False):
        lo, hi = self.ngram_range
        tokens = TOKEN.findall(_LATEX.sub(" . ", _URL.sub(" . ", text)))
        known = self._tokens.get
        info = [known(t) or self._token(t) for t in tokens]
        n = len(tokens)
        for i in range(n):
            kind, words = info[i]
            if kind != "word":
                continue
            if lo == 1 and not (len(words) == 1 and words[0] in GENERIC):
                yield (" ".join(words), tokens[i]) if surfaces else " ".join(words)
            for j in range(i + 1, min(i + hi, n)):
                kind_j, words_j = info[j]
                if kind_j == "break":
                    break
                words += words_j
                if len(set(words)) < len(words):
                    break  # "language to language": longer phrases repeat too
                if kind_j == "word" and j - i + 1 >= lo:
                    key = " ".join(words)
                    yield (key, " ".join(tokens[i : j + 1])) if surfaces else key

    def __call__(self, text: str) -> list[str]:
        return list(self.phrases(text))


def count_matrix(docs, analyzer: PhraseAnalyzer, min_df: int = 1, vocab_docs=None):
    """Documents × phrases count matrix and the phrase keys.

    ``vocab_docs`` (indices) restricts vocabulary building to a subset, which bounds memory on very
    large corpora; every document is then counted against that vocabulary.
    """
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=analyzer, min_df=min_df, dtype="int32")
    try:
        if vocab_docs is None:
            counts = vectorizer.fit_transform(docs)
        else:
            vectorizer.fit([docs[i] for i in vocab_docs])
            counts = vectorizer.transform(docs)
    except ValueError:  # no phrase in any document (or none frequent enough)
        return sp.csr_matrix((len(docs), 0), dtype="int32"), np.array([], dtype=object)
    return counts.tocsr(), vectorizer.get_feature_names_out()


def class_tfidf(class_counts):
    """BERTopic's c-TF-IDF with ``reduce_frequent_words``: sqrt(L1 tf) · log(1 + A / f)."""
    import numpy as np
    from sklearn.preprocessing import normalize

    class_counts = class_counts.astype("float64")
    if class_counts.shape[1] == 0:  # no phrase survived (e.g. the whole vocabulary is one stop word)
        return class_counts.tocsr()
    freq = np.asarray(class_counts.sum(axis=0)).ravel()
    avg_words = float(np.asarray(class_counts.sum(axis=1)).mean())
    idf = np.log(1.0 + avg_words / np.maximum(freq, 1.0))
    tf = normalize(class_counts, norm="l1", axis=1)
    tf.data = np.sqrt(tf.data)
    return tf.multiply(idf).tocsr()


# A phrase one longer phrase accounts for this share of is a fragment of it.
FRAGMENT_RATIO = 0.8
# Labels tried in turn when each is a fragment of a phrase another label (or a group's topic) has.
FRAGMENT_TRIES = 3


def fragments(vocab, totals, ratio: float = FRAGMENT_RATIO):
    """Mask of phrases that are mostly part of one longer phrase ("large language" inside "large
    language models", "reinforcement" inside "reinforcement learning", "answering" inside
    "question answering"): when one extension accounts for ``ratio`` of a phrase's occurrences, the
    phrase is a fragment and the extension is the term."""
    import numpy as np

    right: dict[str, int] = {}
    left: dict[str, int] = {}
    for key, total in zip(vocab, totals, strict=True):
        words = key.split()
        if len(words) < 2:
            continue
        head = words[:-1] if words[-2] not in CONNECTORS else words[:-2]
        tail = words[1:] if words[1] not in CONNECTORS else words[2:]
        for part, side in ((" ".join(head), right), (" ".join(tail), left)):
            if side.get(part, 0) < total:
                side[part] = total
    longest = np.array([max(right.get(k, 0), left.get(k, 0)) for k in vocab], dtype=np.float64)
    return longest >= ratio * np.maximum(np.asarray(totals, dtype=np.float64), 1.0)


def topic_keywords(counts, vocab, labels, topic_ids, *, top_n: int = 10, candidates: int = 30, exclude=None):
    """Top c-TF-IDF phrases per topic.

    Returns ``{topic: [(key, score, doc_freq_in_topic), ...]}`` with up to ``candidates`` entries
    (the first ``top_n`` are the topic's keywords; the rest are label candidates). Unassigned papers
    (-1) form their own class for the IDF, as in BERTopic, but get no keywords. ``exclude`` is a
    boolean mask of phrases that may not be keywords (fragments).
    """
    import numpy as np
    import scipy.sparse as sp

    labels = np.asarray(labels)
    unassigned = labels == UNASSIGNED_TOPIC
    classes = list(topic_ids) + ([UNASSIGNED_TOPIC] if unassigned.any() else [])
    row_of = {t: i for i, t in enumerate(classes)}
    rows = np.array([row_of.get(int(t), -1) for t in labels])  # -1: a label outside every class
    keep = rows >= 0
    indicator = sp.csr_matrix(
        (np.ones(keep.sum()), (rows[keep], np.flatnonzero(keep))), shape=(len(classes), len(labels))
    )
    scores = class_tfidf(indicator @ counts)
    presence = counts.copy()
    presence.data[:] = 1
    doc_freq = (indicator @ presence).tocsr()
    result = {}
    for t in topic_ids:
        r = row_of[t]
        row = scores.getrow(r)
        idx, val = row.indices, row.data
        if exclude is not None:
            ok = ~exclude[idx]
            idx, val = idx[ok], val[ok]
        order = np.lexsort((idx, -val))[: max(candidates, top_n)]
        df_row = doc_freq.getrow(r).toarray().ravel()
        result[t] = [(str(vocab[idx[k]]), float(val[k]), int(df_row[idx[k]])) for k in order]
    return result


def surface_forms(docs, keys, analyzer: PhraseAnalyzer) -> dict[str, Counter]:
    """How each phrase key is written in ``docs``: ``{key: Counter(written form → count)}``."""
    wanted = set(keys)
    found: dict[str, Counter] = {k: Counter() for k in wanted}
    for doc in docs:
        for key, surface in analyzer.phrases(doc, surfaces=True):
            if key in wanted:
                found[key][surface] += 1
    return found


def display_keyword(key: str, forms: Counter) -> str:
    """The most frequent written form, lower-cased ("language models")."""
    if not forms:
        return key
    return _most_common(forms).lower()


def display_label(key: str, forms: Counter) -> str:
    """Title-style label keeping acronyms and inner capitals ("Mixture of Experts", "LLMs", "MoE")."""
    written = _most_common(forms) if forms else key
    variants: dict[str, Counter] = {}
    for form, n in forms.items():
        for word in form.split():
            variants.setdefault(word.lower(), Counter())[word] += n
    out = []
    for word in written.split():
        if word.lower() in CONNECTORS:
            out.append(word.lower())
            continue
        best = _most_common(variants.get(word.lower(), Counter({word: 1})))
        if any(c.isupper() for c in best[1:]):
            out.append(best)  # acronym or inner capital: as the authors write it
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in best.split("-")))
    return " ".join(out)


def _most_common(counter: Counter) -> str:
    # Ties broken alphabetically so labels never depend on document order.
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def choose_label(
    candidates,
    *,
    extensions=None,
    min_doc_freq: int = 2,
    phrase_ratio: float = 0.4,
    extension_ratio: float = 0.5,
    exclude=(),
    multiword: bool = False,
    modifiers=(),
):
    """Pick a topic's label key from its ranked ``(key, score, doc_freq)`` candidates.

    1. Start from the best-scoring phrase found in at least ``min_doc_freq`` of the topic's papers.
    2. Prefer a longer candidate containing it (e.g. "machine unlearning" over "unlearning") when
       that phrase scores at least ``phrase_ratio`` × the shorter one.
    3. Complete a phrase that mostly occurs inside a longer one in this topic ("architecture search"
       → "neural architecture search"): ``extensions(key)`` gives the phrase's count in the topic
       and ``[(longer key, count), ...]``; the most frequent longer phrase is taken when it accounts
       for at least ``extension_ratio`` of the occurrences.

    Keys in ``exclude`` (labels already taken) are skipped; ``multiword`` starts from the best phrase
    of two or more words when there is one (for broad groups, whose best single words are vague).
    ``modifiers`` (words that mostly modify others, e.g. "diffusion", "adversarial") never label a
    topic alone; when one is the topic's best word, its most frequent longer phrase in the topic
    ("diffusion models") is the starting point instead of the next word. Returns None when nothing
    is usable.
    """
    blocked = set(exclude) | set(modifiers)
    usable = [(k, s) for k, s, df in candidates if df >= min_doc_freq and k not in blocked]
    if not usable:
        usable = [(k, s) for k, s, _ in candidates if k not in blocked]
    if multiword and any(" " in k for k, _ in usable):
        usable = [(k, s) for k, s in usable if " " in k]
    if not usable:
        return None
    key, score = usable[0]
    lead = next(((k, s) for k, s, df in candidates if df >= min_doc_freq and k not in exclude), None)
    if lead and lead[0] in modifiers and extensions is not None:
        phrases = [(k, c) for k, c in extensions(lead[0])[1] if k not in blocked and _extends(k, lead[0])]
        if phrases:
            key, score = max(phrases, key=lambda kc: (kc[1], kc[0]))[0], lead[1]
    while True:
        longer = [(k, s) for k, s in usable if _extends(k, key) and s >= phrase_ratio * score]
        if not longer:
            break
        key, score = max(longer, key=lambda ks: ks[1])
    return complete_phrase(key, extensions, exclude=exclude, ratio=extension_ratio)


def complete_phrase(key, extensions, *, exclude=(), ratio: float = 0.5):
    """``key`` completed to the longer phrase it mostly occurs in within a class: while one
    strictly longer phrase containing it (not in ``exclude``; ``extensions(key)``: ``(own count,
    [(longer key, count), ...])``) accounts for ``ratio`` of its occurrences and goes on after it
    ("3d point" -> "3d point cloud": its last word was not the head), or for ``FRAGMENT_RATIO`` and
    only adds words before it ("rank matrix" -> "low rank matrix"; "machine translation", half the
    time "neural machine translation", is a term of its own), that phrase is taken."""
    while extensions is not None:
        own, longer = extensions(key)
        # only strictly longer phrases that contain the key: the loop always ends
        longer = [
            (k, c)
            for k, c in longer
            if k not in exclude
            and _extends(k, key)
            and c >= (ratio if _goes_on(k, key) else FRAGMENT_RATIO) * own
        ]
        if not longer or own <= 0:
            break
        key = max(longer, key=lambda kc: (kc[1], kc[0]))[0]
    return key


def _goes_on(phrase: str, key: str) -> bool:
    """Whether ``phrase`` starts with ``key`` (words follow it), rather than adding words before it."""
    return phrase.split()[: len(key.split())] == key.split()


def _extends(phrase: str, key: str) -> bool:
    """Whether ``phrase`` has more words than ``key`` and contains it ("neural architecture search"
    extends "architecture search")."""
    words, part = phrase.split(), key.split()
    return len(words) > len(part) and _contains(words, part)


def _contains(words, part) -> bool:
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


_COMPOUND = re.compile(r"\b([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)\b(?:\s+([A-Za-z][A-Za-z-]*))?")


def hyphenated_modifiers(docs, vocabulary, ratio: float = 0.6) -> set:
    """Hyphenated compounds usually followed by another word ("plug-and-play", "off-the-shelf",
    "high-level", "parameter-efficient"): adjectives that make poor labels on their own. Phrase
    counting cannot see this when the next word is boilerplate ("plug-and-play module")."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    total: Counter = Counter()
    followed: Counter = Counter()
    for doc in docs:
        for match in _COMPOUND.finditer(doc):
            key = " ".join(singular(part) for part in match.group(1).lower().split("-") if part)
            if key not in vocabulary:
                continue
            total[key] += 1
            nxt = match.group(2)
            if nxt and nxt.lower() not in ENGLISH_STOP_WORDS:
                followed[key] += 1
    return {k for k, n in total.items() if n >= 2 and followed[k] >= ratio * n}


class TopicNamer:
    """Keywords and labels for any grouping of one corpus (topics, or their parents).

    ``fit(docs)`` counts candidate phrases once; ``name(labels)`` can then be called for several
    groupings of the same documents.
    """

    # Written forms of a topic's phrases are read from at most this many of its papers.
    SURFACE_DOCS = 100

    def __init__(
        self,
        *,
        ngram_range=(1, 3),
        stop_words=None,
        top_n_words=10,
        min_df=2,
        vocab_sample=None,
        random_state=0,
    ):
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.top_n_words = top_n_words
        self.min_df = min_df
        self.vocab_sample = vocab_sample
        self.random_state = random_state

    def fit(self, docs):
        import numpy as np

        self.docs_ = list(docs)
        self.analyzer_ = PhraseAnalyzer(tuple(self.ngram_range), stop_words(tuple(self.stop_words or ())))
        vocab_docs = None
        if self.vocab_sample is not None and len(self.docs_) > self.vocab_sample:
            rng = np.random.default_rng(self.random_state)
            vocab_docs = np.sort(rng.choice(len(self.docs_), self.vocab_sample, replace=False))
        min_df = min(self.min_df, max(1, len(self.docs_) // 10))
        self.counts_, self.vocab_ = count_matrix(
            self.docs_, self.analyzer_, min_df=min_df, vocab_docs=vocab_docs
        )
        self.column_ = {k: i for i, k in enumerate(self.vocab_)}
        self.fragments_ = fragments(self.vocab_, np.asarray(self.counts_.sum(axis=0)).ravel())
        # phrase column → columns of the one-word-longer phrases that contain it
        # and the phrases usually followed by another word ("3d", "adversarial", "3d object"): modifiers,
        # which make poor labels on their own
        totals = np.asarray(self.counts_.sum(axis=0)).ravel()
        followed = np.zeros(len(self.vocab_))
        self.longer_: dict[int, list[int]] = {}
        for col, key in enumerate(self.vocab_):
            words = key.split()
            if len(words) < 2:
                continue
            head = " ".join(words[:-1] if words[-2] not in CONNECTORS else words[:-2])
            tail = " ".join(words[1:] if words[1] not in CONNECTORS else words[2:])
            if head in self.column_:
                followed[self.column_[head]] += totals[col]
            for part in {head, tail}:
                if part in self.column_:
                    self.longer_.setdefault(self.column_[part], []).append(col)
        modifiers = {str(k) for k in self.vocab_[followed >= MODIFIER_RATIO * np.maximum(totals, 1)]}
        # the longest phrases cannot be looked up with one more word: judge them by their last words
        # ("multimodal large language" ends like "large language", a modifier)
        longest = self.ngram_range[1]
        for key in self.vocab_:
            words = key.split()
            if len(words) >= longest and " ".join(words[1:]) in modifiers:
                modifiers.add(str(key))
        self.modifiers_ = modifiers | hyphenated_modifiers(self.docs_, self.column_)
        return self

    def name(self, labels, topic_ids=None, *, multiword: bool = False):
        """``{topic: (keywords, label)}`` for the groups in ``labels`` (-1 = none); see :meth:`describe`."""
        described = self.describe(labels, topic_ids, multiword=multiword)
        return {t: (d.keywords, d.label) for t, d in described.items()}

    def describe(
        self,
        labels,
        topic_ids=None,
        *,
        multiword: bool = False,
        exclude=(),
        related=None,
        evidence=True,
        within=None,
    ):
        """``{topic: TopicName}``: keywords with their c-TF-IDF weights, the label and its evidence.

        Labels are unique: a topic whose best phrase is already another (larger, earlier) topic's
        label, or is in ``exclude`` (phrase keys or labels, e.g. the topics' when naming their
        groups), gets another. ``related`` maps a topic id to labels it must not restate (a group's
        own topics: no label whose content words contain, or are contained in, theirs).
        ``multiword`` asks for labels of two or more words (groups); ``within`` (topic per paper)
        asks for a label used across several of a group's topics. With ``evidence`` the label is
        chosen by :func:`landscape.model.label_choice.choose` (support, precision and lift of every
        candidate phrase); without, it is :func:`choose_label`'s phrase.
        """
        import numpy as np

        from landscape.model.label_choice import CandidateEvidence, Choice, choose, fallback, label_score
        from landscape.model.label_evidence import content_words

        labels = np.asarray(labels)
        if topic_ids is None:
            topic_ids = sorted(int(t) for t in np.unique(labels) if t != UNASSIGNED_TOPIC)
        if not len(topic_ids):
            return {}
        ranked = topic_keywords(
            self.counts_, self.vocab_, labels, topic_ids, top_n=self.top_n_words, exclude=self.fragments_
        )
        table = CandidateEvidence(self.word_presence(), labels, topic_ids) if evidence else None
        subjects = self.subjects()
        excluded = {str(e).lower() for e in exclude}
        taken: set[str] = {k for k in excluded if k in self.column_}
        taken_subjects = {subjects.of(e) for e in excluded if content_words(e)}
        shown = set(excluded)
        context = {}
        for t in topic_ids:
            members = np.flatnonzero(labels == t)
            in_topic = np.asarray(self.counts_[members].sum(axis=0)).ravel()

            def extensions(key, in_topic=in_topic):
                col = self.column_[key]
                longer = [c for c in self.longer_.get(col, []) if not self.fragments_[c]]
                return int(in_topic[col]), [(str(self.vocab_[c]), int(in_topic[c])) for c in longer]

            first = choose_label(
                ranked[t],
                extensions=extensions,
                min_doc_freq=min(2, len(members)),
                exclude=(),
                multiword=multiword,
                modifiers=self.modifiers_,
            )
            keys = [k for k, _, _ in ranked[t][: self.top_n_words]]
            pool = [k for k, _, _ in ranked[t]]
            if table is not None:
                pool = self._candidates(members, ([first] if first else []) + pool)
            wanted = sorted(set(pool) | set(keys) | ({first} if first else set()))
            cols = [self.column_[k] for k in wanted]
            # Only papers that contain one of the phrases, and not too many of them.
            has = members[self.counts_[members][:, cols].getnnz(axis=1) > 0][: self.SURFACE_DOCS]
            forms = surface_forms((self.docs_[i] for i in has), wanted, self.analyzer_)
            unseen = [k for k in wanted if not forms[k]]
            if unseen:  # phrases those papers lack ("LLM agent" in a large topic) are read where written
                cols = [self.column_[k] for k in unseen]
                more = members[self.counts_[members][:, cols].getnnz(axis=1) > 0]
                more = np.setdiff1d(more, has)[: self.SURFACE_DOCS]
                forms.update(surface_forms((self.docs_[i] for i in more), unseen, self.analyzer_))
            shown_of = {k: display_label(k, forms[k]) for k in wanted}
            context[t] = (members, extensions, keys, pool, forms, shown_of)

        def show(t, key):
            """Make sure class ``t`` knows how its papers write ``key`` (a phrase its first reading
            did not include)."""
            members, shown_of = context[t][0], context[t][5]
            if key not in shown_of:
                written = surface_forms(
                    (self.docs_[i] for i in members[: self.SURFACE_DOCS]), [key], self.analyzer_
                )
                shown_of[key] = display_label(key, written[key])

        def pick(t, taken, taken_subjects):
            """``(choice, label keys)`` of class ``t``, given the keys and subjects already taken."""
            members, extensions, _, pool, _, shown_of = context[t]
            first = choose_label(
                ranked[t],
                extensions=extensions,
                min_doc_freq=min(2, len(members)),
                exclude=taken,
                multiword=multiword,
                modifiers=self.modifiers_,
            )
            if first is not None:  # another phrase than the first time
                show(t, first)
            choice = None
            if table is not None:
                rules = {
                    "taken": taken | self.modifiers_,
                    "taken_subjects": taken_subjects,
                    "related": (related or {}).get(t, ()),
                    "subjects": subjects,
                }
                # a group label shared by its topics (of two words, else any), else one of two
                # words, else any specific one
                levels = [
                    {"multiword": multiword, "within": within},
                    {"within": within},
                    {"multiword": multiword},
                    {},
                ]
                for _ in range(FRAGMENT_TRIES):
                    found = None
                    for level in levels if within is not None else levels[2:]:
                        found = found or choose(
                            t,
                            pool,
                            shown_of,
                            table,
                            written=self.written_by,
                            # a group is named by what its topics share, not one word
                            alone=self.stands_alone if within is None else None,
                            **rules,
                            **level,
                        )
                    found = found or fallback(t, pool, shown_of, table, first=first, **rules)
                    if found is None:
                        break
                    whole = completed(t, found, rules)
                    choice = whole or found
                    if whole is not None:
                        break
                    # a fragment whose whole phrase is taken ("3D Gaussian" beside "Gaussian
                    # Splatting") names nothing: the next best label
                    rules = {**rules, "taken": rules["taken"] | set(found.keys)}
            return choice, (choice.keys if choice else ((first,) if first else ()))

        def completed(t, choice, rules):
            """``choice`` with each phrase completed as :func:`choose_label` completes its own
            ("3D Point" -> "3D Point Cloud"): a label is not a fragment of the phrase its papers
            write, whatever the words' co-occurrence says. When the whole phrase is another
            label's or names a subject already named (or, for a group, one of its topics'): None
            for a phrase nearly always part of it (``FRAGMENT_RATIO``), else ``choice`` as it is."""
            extensions = context[t][1]
            keys = tuple(complete_phrase(k, extensions) for k in choice.keys)
            subjects = rules["subjects"]
            if keys == choice.keys:
                return choice
            if any(
                k in rules["taken"]
                or subjects.of(k) in rules["taken_subjects"]
                or subjects.restates(k, rules["related"])
                for k in keys
                if k not in choice.keys
            ):
                # a phrase only half the time part of the longer one ("Medical Images", often
                # "medical image segmentation") still names the class
                strong = any(complete_phrase(k, extensions, ratio=FRAGMENT_RATIO) != k for k in choice.keys)
                return None if strong else choice
            for key in keys:
                show(t, key)
            used = np.unique(np.concatenate([table.rows(content_words(k)) for k in keys]))
            support, lift, _ = table.evidence(t, used)
            return Choice(keys, support, lift, label_score(support, lift))

        # Each class's own best name, then one subject per map: of classes whose names name one
        # subject ("VLMs", "Vision-Language Models"), the one with the most papers using its name
        # keeps it (ties: the earlier class) and the others are named again without it.
        own = {t: pick(t, taken, taken_subjects) for t in topic_ids}
        rank = {t: r for r, t in enumerate(topic_ids)}
        claims: dict[frozenset, list] = {}
        for t, (_, parts) in own.items():
            for k in parts:
                used = int(table.counts(content_words(k))[0][table.row_of[t]]) if table is not None else 0
                claims.setdefault(subjects.of(k), []).append((-used, rank[t], t))
        yields = {t for claimants in claims.values() for _, _, t in sorted(claimants)[1:]}
        result = {}
        for t in [t for t in topic_ids if t not in yields] + [t for t in topic_ids if t in yields]:
            choice, parts = own[t]
            free = all(k not in taken and subjects.of(k) not in taken_subjects for k in parts)
            if not free:
                choice, parts = pick(t, taken, taken_subjects)
            _, _, keys, _, forms, shown_of = context[t]
            label = " and ".join(shown_of[k] for k in parts) if parts else f"Topic {t}"
            if label.lower() in shown:
                label = f"{label} ({t})"
            shown.add(label.lower())
            taken.update(parts)
            taken_subjects.update(subjects.of(k) for k in parts)
            weights = {k: s for k, s, _ in ranked[t]}
            result[t] = TopicName(
                keywords=[display_keyword(k, forms[k]) for k in keys],
                weights=[round(float(weights[k]), 6) for k in keys],
                label=label,
                label_keys=tuple(parts),
                support=choice.support if choice else float("nan"),
                lift=choice.lift if choice else float("nan"),
            )
        return {t: result[t] for t in topic_ids}

    def _candidates(self, members, ranked):
        """Label candidates of a topic: its ``ranked`` phrases, then the phrases most of its papers
        use (at least ``CANDIDATE_SHARE`` of them, two papers; phrases of two or more words), neither
        fragments nor modifiers."""
        import numpy as np

        from landscape.model.label_choice import CANDIDATE_SHARE, MAX_CANDIDATES

        sub = self.counts_[members]
        df = np.asarray((sub > 0).sum(axis=0)).ravel()
        floor = max(2, int(np.ceil(CANDIDATE_SHARE * len(members))))
        ok = np.flatnonzero((df >= floor) & ~self.fragments_)
        ok = ok[np.lexsort((ok, -df[ok]))][:MAX_CANDIDATES]
        out = list(dict.fromkeys(ranked))
        seen = set(out)
        # single words only from the ranked phrases: a frequent word is not a characteristic one
        out += [
            str(self.vocab_[c]) for c in ok if " " in str(self.vocab_[c]) and str(self.vocab_[c]) not in seen
        ]
        return [k for k in out if k not in self.modifiers_]

    def subjects(self):
        """When two labels name one subject (:class:`~landscape.model.label_choice.Subjects`), with
        the acronyms as these papers define them."""
        from landscape.model.label_choice import Subjects
        from landscape.model.label_evidence import acronym_expansions

        if not hasattr(self, "subjects_"):
            self.subjects_ = Subjects(acronym_expansions(self.docs_))
        return self.subjects_

    def stands_alone(self, key) -> bool:
        """Whether these papers use the one-word phrase ``key`` as a noun (:func:`stands_alone`)."""
        cache = self.__dict__.setdefault("alone_", {})
        if key not in cache:
            rows = self.word_presence().rows((key,))[:LONE_DOCS]
            cache[key] = stands_alone(key, (self.docs_[i] for i in rows))
        return cache[key]

    def written_by(self, key):
        """Papers (sorted indices) that write the phrase ``key`` itself, its words adjacent."""
        import numpy as np

        if not hasattr(self, "by_phrase_"):
            self.by_phrase_ = self.counts_.tocsc()
        col = self.column_.get(key)
        if col is None:
            return np.zeros(0, dtype=np.int64)
        m = self.by_phrase_
        return np.sort(m.indices[m.indptr[col] : m.indptr[col + 1]]).astype(np.int64)

    def word_presence(self):
        """Which papers contain which words (a :class:`~landscape.model.label_evidence.WordPresence`)."""
        from landscape.model.label_evidence import WordPresence

        if not hasattr(self, "presence_"):
            self.presence_ = WordPresence().fit(self.docs_)
        return self.presence_


@dataclass(frozen=True)
class TopicName:
    """A topic's (or group's) name and the evidence for it.

    ``keywords`` and ``weights``: top c-TF-IDF phrases and their scores; ``label``: the name shown;
    ``label_keys``: the phrase keys it is made of (two for a covering "A and B" label);
    ``support`` and ``lift``: see :mod:`landscape.model.label_evidence` (NaN when not computed).
    """

    keywords: list
    weights: list
    label: str
    label_keys: tuple
    support: float
    lift: float


def name_levels(namer: TopicNamer, labels, groups, *, outside=None, state=None):
    """``(topic names, group names)``: ``{topic: TopicName}`` and ``{group: TopicName}`` for a
    fitted ``namer``, topic per paper ``labels`` (-1 = none) and group per topic ``groups``.

    Topics are named first; a group is then named from all its papers, by a phrase its topics share,
    never with one of its topics' labels or a label restating one of them. ``outside``: an optional
    namer (:mod:`landscape.model.outside_namer`) asked for every topic, then every group; when it
    fails, every name is the offline one. ``state`` (a dict) receives its record.
    """
    import numpy as np

    labels = np.asarray(labels)
    groups = np.asarray(groups)
    n_topics = len(groups)
    doc_group = groups[np.maximum(labels, 0)] if n_topics else labels
    doc_group = np.where(labels != UNASSIGNED_TOPIC, doc_group, UNASSIGNED_TOPIC)
    offline = namer.describe(labels, list(range(n_topics)))
    state = {} if state is None else state

    def group_names(names):
        topic_labels = [names[t].label for t in range(n_topics)]
        topic_keys = [" ".join(names[t].label_keys) for t in range(n_topics)]
        children = {
            int(g): [topic_labels[t] for t in np.flatnonzero(groups == g)] for g in set(groups.tolist())
        }
        described = namer.describe(
            doc_group,
            sorted(children),
            multiword=True,
            exclude=topic_labels + topic_keys,
            related=children,
            within=labels,
        )
        return described, children

    if outside is None:
        return offline, group_names(offline)[0]
    from landscape.model.outside_namer import describe_namer, finish, rename

    state["namer"] = describe_namer(outside)
    common = {"docs": namer.docs_, "presence": namer.word_presence(), "state": state}
    taken = {offline[t].label.lower() for t in offline}
    names = rename(offline, outside, classes=labels, level="topic", taken=taken, **common)
    groups_named, children = group_names(names if not state.get("failed") else offline)
    if not state.get("failed"):
        taken |= {g.label.lower() for g in groups_named.values()}
        renamed = rename(
            groups_named, outside, classes=doc_group, level="group", taken=taken, children=children, **common
        )
        if not state.get("failed"):
            finish(state)
            return names, renamed
        groups_named = group_names(offline)[0]
    state["renamed"] = 0
    return offline, groups_named
