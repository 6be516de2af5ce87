"""Word rules shared by topic naming and label evidence: plurals, connectors, content stop words,
generic words and terms of art."""

from __future__ import annotations

import re
from functools import lru_cache

# Words (hyphenated compounds kept whole) and the punctuation that phrases may not cross.
TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*|[.,;:!?()\[\]{}\"“”‘’|/]|\s[-–—]+\s")

# Words allowed inside (never at the edge of) a phrase.
CONNECTORS = frozenset({"of"})

# Words ending in "s" that are not plurals.
_NOT_PLURAL = frozenset(
    """
    news lens series species physics mathematics robotics analytics semantics statistics dynamics
    graphics kinematics linguistics ethics economics genetics genomics diabetes bias gas atlas
    chaos corpus focus consensus status virus bus radius basis thesis hypothesis axis analysis
    synthesis diagnosis prognosis class process access success loss less
    """.split()
)

# Content words in scikit-learn's English stop-word list ("computer vision", "recommender system").
NOT_STOP = frozenset(
    "computer system interest fire detail side back top bottom front full part move found thin thick".split()
)


def singular(word: str) -> str:
    """A cheap singular form, only used to merge variants ("models" → "model")."""
    if len(word) <= 3 or word in _NOT_PLURAL or word.endswith(("ss", "us", "is", "ics")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


# Too generic to be a topic word on their own in an ML corpus, fine inside phrases.
GENERIC = frozenset(
    """
    model models modeling modelling learning learn learns learned network networks neural data
    training train trained dataset datasets benchmark benchmarks system systems algorithm
    algorithms deep machine information feature features representation representations
    application applications accuracy quality error errors input inputs output outputs
    metric metrics process processing analysis analyses design baseline baselines parameter parameters
    set sets function functions structure structures level levels type types form forms
    state states space spaces value values time times image images text texts language languages
    domain domains knowledge content context sample samples example examples
    """.split()
)

# Rare in general English but used by every part of an ML corpus: generic there, however specific
# they look ("Embeddings" was one of issue 14's meaningless names).
FIELD_WORDS = frozenset(
    """
    embedding embeddings pretraining finetuning hyperparameter hyperparameters classifier
    classifiers generalization regularization optimization inference architecture architectures
    """.split()
)
# A word rarer than this in general English (wordfreq's Zipf scale: 3 = once per million words)
# is a term of art ("Unlearning" 2.1, "Quantization" 2.5, "Summarization" 2.0, "Segmentation"
# 3.2), not an ordinary word ("Noise" 4.6, "Agents" 4.6, "Attack" 5.1, "Distribution" 4.6,
# "Target" 4.8, "Gender" 4.6, "Object" 4.6). At 4.1 ("Navigation" 4.0 a term) the strict support
# median rose 0.02-0.05 on dev sets but "Graph", "Detection", "Nodes" and "Insufficient" named topics.
TERM_ZIPF = 3.5


@lru_cache(maxsize=4096)
def is_term(word: str) -> bool:
    """Whether one lower-case word (singular or plural) is a term of art: rare in general English
    (:data:`TERM_ZIPF`, wordfreq's English frequencies) and neither generic in an ML corpus
    (:data:`GENERIC`, :data:`FIELD_WORDS`) nor a number."""
    from wordfreq import zipf_frequency

    word = word.strip().lower()
    forms = {word, singular(word)}
    if not word.isalpha() or forms & (GENERIC | FIELD_WORDS):
        return False
    return max(zipf_frequency(f, "en") for f in forms) < TERM_ZIPF


# A word standing alone as a label is a noun as its papers use it. One followed by another content
# word in LONE_FOLLOWED of its uses modifies a noun (adjectives: "Multimodal" 0.91, "Federated"
# 0.86; "Gradient" 0.85, of "gradient descent"); one followed by a determiner in LONE_DETERMINER
# of them is a verb ("Mitigating the", "Leveraging a": 0.33-0.39; nouns such as "Unlearning",
# "Segmentation", "Grounding" at most 0.03). Measured on 5,000 dev papers; judged on at most
# LONE_DOCS of the papers using the word.
LONE_FOLLOWED = 0.75
LONE_DETERMINER = 0.15
LONE_DOCS = 300
DETERMINERS = frozenset("the a an this these those their its our such".split())


def stands_alone(word: str, docs) -> bool:
    """Whether ``docs`` use the word ``word`` (lower-case, singular) as a noun: neither mostly
    followed by another content word (an adjective) nor often by a determiner (a verb); see
    :data:`LONE_FOLLOWED`. A word they never use is not judged a noun."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    uses = followed = determined = 0
    for doc in docs:
        tokens = [t.lower() for t in TOKEN.findall(doc)]
        for i, token in enumerate(tokens):
            if singular(token) != word:
                continue
            uses += 1
            nxt = tokens[i + 1] if i + 1 < len(tokens) else "."
            followed += nxt[0].isalpha() and nxt not in ENGLISH_STOP_WORDS
            determined += nxt in DETERMINERS
    return uses > 0 and followed < LONE_FOLLOWED * uses and determined < LONE_DETERMINER * uses
