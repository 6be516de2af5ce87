"""Text cleaning: whitespace, HTML entities and tags, readable LaTeX, URLs, normalised title keys.

The corpus keeps what the authors wrote (``$...$`` math, URLs); only presentation noise is removed.
``strip_urls`` is applied later, to the text used for topic words only.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

from landscape.corpus.ids import TITLE_ID_PREFIX

# Unicode spaces written out as characters so the same pattern works in Python ``re`` and in the
# RE2 engine pyarrow uses for vectorised pandas string methods (RE2's \s is ASCII only).
_SPACE_CHARS = "\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # used inside [...] only
_WHITESPACE = "[\t\n\r\f\v " + _SPACE_CHARS + "]+"
# Only the whitespace that needs changing (runs of spaces, any other space character): replacing
# every single space by itself would make the vectorised pass several times slower.
_WHITESPACE_TO_FIX = "  +|[\t\n\r\f\v" + _SPACE_CHARS + "][\t\n\r\f\v " + _SPACE_CHARS + "]*"
# Invisible characters that only break words apart (zero-width space/joiners, soft hyphen, BOM) and
# control characters other than whitespace.
_INVISIBLE = "[\u00ad\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0e-\x1f\x7f]"

# Simple markup seen in abstracts scraped from web pages and publisher metadata (JATS in Crossref).
# Only known tag names, so that math such as ``a <b and c> d`` is left alone.
_TAG = re.compile(
    r"</?(a|p|i|b|u|s|em|strong|sub|sup|br|hr|div|span|code|tt|small|big|font|li|ul|ol|h[1-6]"
    r"|blockquote|abbr|cite|jats:[a-z\-]+|mml:[a-z]+)"
    r"(?:\s+[\w:\-]+\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>]+))*\s*/?>",
    re.IGNORECASE,
)

# Math is kept exactly as written: $$...$$, $...$, \(...\), \[...\] (an escaped \$ is not math).
# (\$ is matched too, only to be skipped: every branch starts with a literal, which keeps it fast.)
_MATH = re.compile(r"\$\$.+?\$\$|\\\$|\$(?:\\.|[^$\\])+\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)

_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
}
# \'e, \'{e}, {\'e}, \"{\i}, \c c, \v{s} ... A letter accent (\u, \v, ...) must not run into a word
# (\url, \vec). The braced form {\'e} is a separate pattern so that both start with a literal,
# which keeps the search fast on long abstracts.
_ACCENT_BODY = (
    r"\\(?:([`'^\"~=.])|([uvHckr])(?![A-Za-z]))\s*"
    r"(?:\{\s*(\\[ij]|[A-Za-z])\s*\}|(\\[ij](?![A-Za-z])|[A-Za-z]))"
)
_ACCENT_BRACED = re.compile(r"\{" + _ACCENT_BODY + r"\}")
_ACCENT_RE = re.compile(_ACCENT_BODY)
_LETTER_BODY = r"\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L|i|j)(?![A-Za-z])"
_LETTER_BRACED = re.compile(r"\{" + _LETTER_BODY + r"(?:\{\})?\}")
_LETTER_RE = re.compile(_LETTER_BODY + r"(?:\{\}| )?")
_ESCAPED = re.compile(r"\\([&%$_#{}])")
# Formatting commands whose argument is the text: \emph{x} -> x.
_FORMAT_RE = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|textup|textsl|textnormal|underline|mbox|text|url"
    r"|uppercase|lowercase)\s*\{([^{}]*)\}"
)
_HREF_RE = re.compile(r"\\href\s*\{[^{}]*\}\s*\{([^{}]*)\}")
_BRACES = re.compile(r"(?<!\\)[{}]")
_COMMAND_ARG = re.compile(r"\\[A-Za-z]+\s*\{[^{}]*\}")

_URL = re.compile(
    r"\b(?:https?://|ftp://|www\.)[^\s<>\"'\])]+"
    r"|\b(?:[\w\-]+\.)+(?:com|org|net|io|ai|edu|gov|dev|me|cc)/[^\s<>\"'\])]*",
    re.IGNORECASE,
)
_MD_LINK = re.compile(r"\[([^\]\n]{1,300})\]\(\s*[^)\s]+\s*\)")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|<\s*>")


# Anything _latex_outside_math would change; most backslashes in abstracts are math, left alone.
_ANY_LATEX = re.compile(
    r"\\(?:[`'^\"~=.&%$_#{}]|[uvHckr](?![A-Za-z])|(?:ss|aa|AA|ae|AE|oe|OE|[oOlLij])(?![A-Za-z])"
    r"|emph|text|underline|mbox|url|href|uppercase|lowercase)"
)


def _latex_outside_math(text: str, strip_braces: bool) -> str:
    if not strip_braces and not _ANY_LATEX.search(text):
        return text
    text = _HREF_RE.sub(r"\1", text)
    for _ in range(3):  # nested formatting such as \emph{\textbf{x}}
        new = _FORMAT_RE.sub(r"\1", text)
        if new == text:
            break
        text = new

    def accent(match: re.Match) -> str:
        mark = _ACCENTS[match.group(1) or match.group(2)]
        base = match.group(3) or match.group(4)
        base = {"\\i": "i", "\\j": "j"}.get(base, base)
        return unicodedata.normalize("NFC", base + mark)

    def letter(match: re.Match) -> str:
        return _LETTERS[match.group(1)]

    text = _ACCENT_RE.sub(accent, _ACCENT_BRACED.sub(accent, text))
    text = _LETTER_RE.sub(letter, _LETTER_BRACED.sub(letter, text))
    if strip_braces:
        # BibTeX protects capitals with braces ({GPT}); they carry no meaning for a reader.
        # ... but the argument braces of a command left as written (\vec{x}) stay.
        kept = _COMMAND_ARG.findall(text)
        text = _BRACES.sub("", _COMMAND_ARG.sub("\ue000", text))
        for command in kept:
            text = text.replace("\ue000", command, 1)
    return _ESCAPED.sub(r"\1", text)


def latex_to_text(text: str, *, strip_braces: bool = False) -> str:
    """Make LaTeX markup readable outside math: accents to Unicode, ``\\emph{x}`` to ``x``, ``\\%`` to ``%``.

    ``$...$`` and other math is kept exactly as written. ``strip_braces`` also removes the protective
    braces BibTeX uses (``{GPT}-4`` -> ``GPT-4``).
    """
    if "\\" not in text and not (strip_braces and ("{" in text or "}" in text)):
        return text
    out, last = [], 0
    for match in _MATH.finditer(text):
        if match.group(0) == "\\$":
            continue  # an escaped dollar is text
        out.append(_latex_outside_math(text[last : match.start()], strip_braces))
        out.append(match.group(0))
        last = match.end()
    out.append(_latex_outside_math(text[last:], strip_braces))
    return "".join(out)


# Block tags separate words; inline ones (H<sub>2</sub>O) do not.
_BLOCK_TAGS = {"p", "br", "hr", "div", "li", "ul", "ol", "blockquote", "jats:p", "jats:sec", "jats:title"}


def _tag_replacement(match: re.Match) -> str:
    name = match.group(1).lower()
    return " " if name in _BLOCK_TAGS or name[:1] == "h" and name[1:].isdigit() else ""


def _unescape_and_untag(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(_tag_replacement, text)
    return latex_to_text(text)


_WHITESPACE_RE = re.compile(_WHITESPACE)
_INVISIBLE_RE = re.compile(_INVISIBLE)


def clean_text(text) -> str:
    """Clean one title or abstract: HTML entities and simple tags, readable LaTeX, NFC, single spaces.

    ``None`` and NaN become ``""``.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    text = _unescape_and_untag(str(text))
    text = _INVISIBLE_RE.sub("", text)
    text = " ".join(text.split())  # str.split() knows every Unicode space
    return text if text.isascii() else unicodedata.normalize("NFC", text)


# ASCII rows without these characters only need their whitespace fixed, which is vectorised.
_NEEDS_PYTHON = "[&<\\\\\x00-\x08\x0b\x0e-\x1f\x7f]"


def clean_series(series):
    """Vectorised :func:`clean_text` for a pandas Series (same result, much faster on large corpora).

    Rows that are plain ASCII without entities, tags or backslashes get a vectorised whitespace fix;
    the others (usually a small share) go through :func:`clean_text`, merged back in one step.
    """
    s = series.fillna("").astype(str)
    needs_python = s.str.contains(_NEEDS_PYTHON, regex=True) | ~s.str.isascii()
    fast = s.str.replace(_WHITESPACE_TO_FIX, " ", regex=True).str.strip()
    if needs_python.any():
        fast = fast.mask(needs_python, s[needs_python].map(clean_text))
    return fast


def squash_whitespace(series):
    """Collapse whitespace in a metadata column (authors, categories, url) without touching its text."""
    s = series.fillna("").astype(str)
    return s.str.replace(_WHITESPACE_TO_FIX, " ", regex=True).str.strip()


def strip_urls(text: str) -> str:
    """Remove URLs (and the link part of markdown links) from text used for topic words.

    The corpus keeps the URLs; this is only for keyword extraction, where ``github.com`` and ``https``
    would otherwise become topic words.
    """
    if not text:
        return ""
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _EMPTY_BRACKETS.sub(" ", text)
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    return _WHITESPACE_RE.sub(" ", text).strip()


_NOT_KEY = re.compile(r"[^a-z0-9]+")


def normalise_title(title) -> str:
    """Duplicate-detection key of a title: accents removed, lower-case, only ``[a-z0-9]`` kept.

    ``"Attention Is All You Need!"`` and ``"attention is all you need"`` get the same key.
    """
    if title is None or (isinstance(title, float) and title != title):
        return ""
    title = str(title)
    if title.isascii():
        return _NOT_KEY.sub("", title.lower())
    decomposed = unicodedata.normalize("NFKD", title)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_KEY.sub("", without_marks.lower())


def title_keys(series):
    """Vectorised :func:`normalise_title` for a pandas Series."""
    s = series.fillna("").astype(str)
    ascii_rows = s.map(str.isascii).astype(bool)
    keys = s.str.lower().str.replace("[^a-z0-9]+", "", regex=True)
    if not ascii_rows.all():
        keys[~ascii_rows] = s[~ascii_rows].map(normalise_title)
    return keys


def title_id(title: str) -> str:
    """A stable id made from a title: ``title:<sha1(normalised title)[:12]>``.

    Titles without Latin letters or digits (an empty key) are hashed as written, lower-cased.
    """
    key = normalise_title(title) or unicodedata.normalize("NFC", str(title)).strip().lower()
    return TITLE_ID_PREFIX + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
