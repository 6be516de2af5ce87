"""Word rules shared by topic naming and label evidence: plurals, connectors, content stop words."""

from __future__ import annotations

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
