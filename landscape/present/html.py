"""HTML in one place: the Jinja environment over the package's templates (autoescaping on for
every template) and the one escaper for text that plotly shows as HTML.

Paper text is untrusted: in templates Jinja escapes it; in figures :func:`plotly_text` does.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"


def safe_url(url) -> str | None:
    """``url`` if it is an http(s) link, else None: a paper's url field is untrusted."""
    text = str(url or "").strip()
    return text if re.match(r"^https?://[^\s\"'<>]+$", text, flags=re.IGNORECASE) else None


def plotly_text(text) -> str:
    """Text safe for plotly's pseudo-HTML (titles, names, labels) and its hover templates.

    ``< > &`` are what the pseudo-HTML reacts to and ``%`` could start a hover placeholder; plotly
    shows ``&quot;`` literally, and quotes are harmless once no tag can open.
    """
    return html.escape(str(text), quote=False).replace("%", "&#37;")


@functools.cache
def template_environment():
    """Jinja environment over ``landscape/present/templates`` with autoescaping on for every template."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )

    @functools.cache
    def raw(name: str):
        # our own script and style files, included verbatim (never paper text)
        return Markup((TEMPLATES / name).read_text(encoding="utf-8"))

    env.globals["raw"] = raw
    return env


def render(template: str, **context) -> str:
    """A package template rendered with ``context`` (every value escaped unless marked safe)."""
    return template_environment().get_template(template).render(**context)
