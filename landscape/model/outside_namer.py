"""Optional namers outside the offline rules: a Python callable, or an OpenAI-compatible chat server.

A namer gets a topic's (or group's) :class:`TopicEvidence` and returns a name. Offline naming runs
first and stays the default; a namer's name replaces the offline one only when it passes the same
checks (:func:`clean_name`: one line of plain text, no markup, not empty, not too long; no plain
one-word name; unique on the map; a group's never one of its topics'), and its support and lift are
recomputed for it, so the stored evidence always describes the label shown. A namer that fails
(raises, times out, answers badly) is not called again for the rest of the landscape: the offline
names stay, with one warning. Paper text and a namer's answer are untrusted: names are plain text,
and reports escape them like any other text.

:class:`ChatNamer` asks an OpenAI-compatible ``/v1/chat/completions`` endpoint (llama.cpp's
``llama-server``, Ollama, vLLM, ...): ``landscape build ... --namer-url http://127.0.0.1:8080/v1``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from landscape.errors import LandscapeError

# A name longer than this is a sentence, not a label.
MAX_NAME_CHARS = 80
MAX_NAME_WORDS = 10
# Titles shown to a namer per topic.
NAMER_TITLES = 8
# Seconds a chat server may take to answer one request.
CHAT_TIMEOUT = 30.0

_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKDOWN = re.compile(r"[*`\"]")
_WRAP = " \t\"'`*_#>.:;,-–—"


class NamerWarning(UserWarning):
    """A namer failed or gave unusable names: the offline names were kept."""


@dataclass(frozen=True)
class TopicEvidence:
    """What a namer sees of one topic or group (all of it untrusted text from papers)."""

    id: int
    level: str  # "topic" or "group"
    label: str  # the offline label
    keywords: list
    weights: list
    support: float
    lift: float
    size: int
    titles: list = field(default_factory=list)
    children: list = field(default_factory=list)  # a group's topic labels


def clean_name(text) -> str | None:
    """A namer's answer as one line of plain text, or None when nothing usable is left: the first
    non-empty line, markup tags, control characters and wrapping quotes or markdown removed."""
    if not isinstance(text, str):
        return None
    text = _TAG.sub(" ", text)
    line = next((x for x in text.splitlines() if x.strip(_WRAP)), "")
    if ":" in line and line.split(":", 1)[0].strip().lower() in {"name", "label", "topic", "title"}:
        line = line.split(":", 1)[1]
    line = _CONTROL.sub(" ", _MARKDOWN.sub("", line)).replace("<", " ").replace(">", " ")
    line = " ".join(line.split()).strip(_WRAP)
    if not line or not any(c.isalpha() for c in line):
        return None
    if len(line) > MAX_NAME_CHARS or len(line.split()) > MAX_NAME_WORDS:
        return None
    return line


def describe_namer(namer) -> str | None:
    """How a namer is recorded in ``landscape.json`` (never with credentials)."""
    if namer is None:
        return None
    if isinstance(namer, ChatNamer):
        return f"chat:{namer.endpoint} model={namer.model}"
    return f"callable:{getattr(namer, '__qualname__', type(namer).__name__)}"


def resolve_namer(namer):
    """A callable namer from ``namer``: None, a callable, or an http(s) URL of a chat server."""
    if namer is None or callable(namer):
        return namer
    if isinstance(namer, str) and namer.startswith(("http://", "https://")):
        return ChatNamer(namer)
    raise LandscapeError(f"namer must be a callable or an http(s) URL of a chat server, got {namer!r}")


class ChatNamer:
    """Names a topic by asking an OpenAI-compatible chat-completions server.

    ``url``: the server's base URL (``http://127.0.0.1:8080/v1``) or its full
    ``.../chat/completions`` endpoint; ``model``: the model name the server expects (llama.cpp takes
    any); ``timeout``: seconds per request; ``api_key``: sent as a bearer token when given.
    """

    SYSTEM = (
        "You name clusters of research papers for a map of a field. Reply with the name only: "
        "2 to 6 words, the terms the papers themselves use, in their casing (GAN, LoRA, "
        "Mixture-of-Experts). If the papers mix subjects, name them all briefly (A and B)."
    )

    def __init__(self, url: str, *, model: str = "default", timeout: float = CHAT_TIMEOUT, api_key=None):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise LandscapeError(f"--namer-url must be an http(s) URL, got {url!r}")
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.timeout = float(timeout)
        self.api_key = api_key

    def prompt(self, evidence: TopicEvidence) -> str:
        lines = [
            f"Key phrases: {', '.join(evidence.keywords)}",
            f"Current name: {evidence.label}",
            f"{evidence.size} papers, for example:",
            *(f"- {t}" for t in evidence.titles),
        ]
        if evidence.children:
            lines.insert(0, "This is a group of topics: " + "; ".join(evidence.children))
            lines.append("Name what these topics share, not one of them.")
        return "\n".join(lines)

    def __call__(self, evidence: TopicEvidence) -> str:
        import requests

        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": self.SYSTEM},
                {"role": "user", "content": self.prompt(evidence)},
            ],
            "temperature": 0,
            "max_tokens": 32,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = requests.post(self.endpoint, json=body, headers=headers, timeout=self.timeout)
        response.raise_for_status()
        try:
            return response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LandscapeError(f"{self.endpoint} answered without choices[0].message.content") from exc


def rename(names, outside, *, classes, docs, presence, level, taken, children=None, state=None):
    """Names from ``outside`` for ``names`` (``{id: TopicName}``), checked and with their evidence.

    ``classes``: class (topic or group) per paper; ``docs``: the papers' texts (title first);
    ``presence``: the corpus's :class:`~landscape.model.label_evidence.WordPresence`; ``taken``:
    lower-case labels no name may repeat (updated); ``children``: ``{group: [topic labels]}``;
    ``state``: a dict shared across calls (``failed``: why the namer stopped; ``renamed``,
    ``kept``: counts). Returns a new ``{id: TopicName}``.
    """
    import dataclasses

    import numpy as np

    from landscape.model.label_choice import is_lone_term, is_plain_word
    from landscape.model.label_evidence import COVER_JOIN, content_words, support_and_lift
    from landscape.model.words import LONE_DOCS, singular, stands_alone

    def _noun(word):  # a term of art names a class alone only as a noun ("Multimodal" does not)
        word = singular(word)
        return stands_alone(word, (docs[i] for i in presence.rows((word,))[:LONE_DOCS]))

    state = {} if state is None else state
    state.setdefault("renamed", 0)
    state.setdefault("kept", 0)
    classes = np.asarray(classes)
    out = dict(names)
    for cls, name in names.items():
        if state.get("failed"):
            break
        members = np.flatnonzero(classes == cls)
        evidence = TopicEvidence(
            id=int(cls),
            level=level,
            label=name.label,
            keywords=list(name.keywords),
            weights=list(name.weights),
            support=float(name.support),
            lift=float(name.lift),
            size=len(members),
            titles=[_title(docs[i]) for i in members[:NAMER_TITLES]],
            children=list((children or {}).get(cls, [])),
        )
        try:
            answer = outside(evidence)
        except Exception as exc:  # a namer is outside code: any failure falls back to offline names
            state["failed"] = f"{type(exc).__name__}: {exc}"[:300]
            warnings.warn(
                f"the namer failed ({state['failed']}); keeping the offline names", NamerWarning, stacklevel=3
            )
            break
        label = clean_name(answer)
        own = {c.lower() for c in (children or {}).get(cls, [])}
        if (
            label is None
            or label.lower() in (taken - {name.label.lower()}) | own
            or is_plain_word(label.lower(), label)
            or (is_lone_term(label.lower(), label) and not _noun(label.lower()))
        ):
            state["kept"] += 1
            continue
        parts = [p for p in label.split(COVER_JOIN) if content_words(p)]
        if not parts:
            state["kept"] += 1
            continue
        used = presence.uses_any([content_words(p) for p in parts])
        support, lift = support_and_lift(used, members)
        taken.discard(name.label.lower())
        taken.add(label.lower())
        keys = tuple(" ".join(content_words(p)) for p in parts)
        out[cls] = dataclasses.replace(name, label=label, label_keys=keys, support=support, lift=lift)
        state["renamed"] += 1
    return out


def _title(doc: str) -> str:
    """A paper's title: its text up to the first ". " (texts are "title. abstract")."""
    return doc.split(". ", 1)[0][:200]


def finish(state) -> dict:
    """The record of a namer's run (``landscape.json``), with one warning for unusable names."""
    if state.get("kept") and not state.get("failed") and not state.get("warned"):
        state["warned"] = True
        warnings.warn(
            f"the namer gave {state['kept']} unusable name(s) (empty, duplicate, markup, one plain word): "
            "kept the offline ones",
            NamerWarning,
            stacklevel=3,
        )
    return {k: state.get(k) for k in ("namer", "renamed", "kept", "failed")}
