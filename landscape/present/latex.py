"""LaTeX in paper titles as the plain text a reader expects: ``G$^2$VLM`` -> ``G²VLM``,
``Mobi-$\\pi$`` -> ``Mobi-π``, ``$\\textbf{A}^2$`` -> ``A²``.

Only what looks like LaTeX is touched: ``$...$`` math (super- and subscripts become Unicode where every
character has a Unicode form, macros become their symbols) and backslash macros outside math. A lone
``$`` (``$50,000 prize``) and ``%`` stay as written: pylatexenc would read them as math and comments.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SUP = dict(zip("0123456789+-=()niT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ", strict=True))
_SUB = dict(zip("0123456789+-=()aeoxhklmnpstij", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ", strict=True))
_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$")
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}\\]*)\}|([^\\{}\s]))")
_KEEP_TEXT = ("texttt", "textsf", "textsc", "textrm", "text", "mbox", "mathtt", "mathrm", "mathbf", "mathsf")
_SPECIAL = re.compile(r"([%$&#])")


@lru_cache(maxsize=1)
def _converter():
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    # font macros pylatexenc drops with their text (\texttt{SPIN} gave "") keep it instead
    context = get_default_latex_context_db()
    context.add_context_category(
        "landscape", prepend=True, macros=[MacroTextSpec(m, simplify_repl="%s") for m in _KEEP_TEXT]
    )
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=True)


def _scripts(match: re.Match) -> str:
    table = _SUP if match.group(1) == "^" else _SUB
    inner = match.group(2) if match.group(2) is not None else match.group(3)
    if inner and all(c in table for c in inner):
        return "".join(table[c] for c in inner)
    return match.group(0)


def _macros(text: str) -> str:
    """Backslash macros and braces to text; characters pylatexenc would swallow escaped first."""
    try:
        out = _converter().latex_to_text(_SPECIAL.sub(r"\\\1", text))
    except Exception:  # malformed LaTeX is left as the authors wrote it
        return text
    return out.replace("\u00a0", " ")


def latex_to_text(text) -> str:
    """A title with its LaTeX rendered as plain Unicode text (other text unchanged)."""
    text = "" if text is None else str(text)
    if "$" not in text and "\\" not in text:
        return text
    parts, last = [], 0
    for match in _MATH.finditer(text):
        outside = text[last : match.start()]
        parts.append(_macros(outside) if "\\" in outside else outside)
        math = _SCRIPT.sub(_scripts, match.group(1) or match.group(2))
        parts.append(_macros(math) if ("\\" in math or "{" in math) else math)
        last = match.end()
    rest = text[last:]
    parts.append(_macros(rest) if "\\" in rest else rest)
    return " ".join("".join(parts).split())
