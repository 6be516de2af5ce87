"""Text cleaning: whitespace, HTML, readable LaTeX, URLs for topic words, title keys."""

import pandas as pd
import pytest

from landscape.corpus.text import (
    clean_series,
    clean_text,
    latex_to_text,
    normalise_title,
    strip_urls,
    title_id,
    title_keys,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Deep\tlearning\n\nfor   graphs  ", "Deep learning for graphs"),
        ("non\u00a0breaking\u2009spaces\u3000too", "non breaking spaces too"),
        ("zero\u200bwidth and soft\u00adhyphen", "zerowidth and softhyphen"),
        ("Fast &amp; accurate &lt;3 &quot;really&quot; &#39;yes&#39;", "Fast & accurate <3 \"really\" 'yes'"),
        ("An <i>italic</i> word and H<sub>2</sub>O", "An italic word and H2O"),
        ("<p>First paragraph.</p><p>Second.</p>", "First paragraph. Second."),
        ('A <a href="https://x.org/paper">link</a> here', "A link here"),
        ("<jats:p>Crossref abstract</jats:p>", "Crossref abstract"),
        # comparisons are not tags
        ("we show a<b and c>d for all x", "we show a<b and c>d for all x"),
        ('Caf\\\'{e} na\\"ive {\\"o}', "Café naïve ö"),
        ("the \\emph{key} idea, 50\\% faster", "the key idea, 50% faster"),
        # math is kept exactly as written
        ("loss $\\mathcal{L} = \\|x\\|^2$ with \\'e", "loss $\\mathcal{L} = \\|x\\|^2$ with é"),
        ("e\u0301te\u0301", "été"),  # NFC
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_series_matches_clean_text():
    values = [
        "plain ascii   text\n",
        "Fast &amp; accurate",
        "x\u00a0\u00a0y",
        "Caf\\'e and $\\'e$",
        "e\u0301",
        None,
        "",
        "\ttabs\tand\rreturns ",
        "ctrl\x07char",
    ]
    series = pd.Series(values)
    assert clean_series(series).tolist() == [clean_text(v) for v in values]


def test_latex_to_text_keeps_unknown_commands_and_math():
    assert latex_to_text("\\cite{x} and \\vec{v}") == "\\cite{x} and \\vec{v}"
    assert latex_to_text("\\href{https://a.b}{our code}") == "our code"
    assert latex_to_text("costs \\$5, see $\\alpha$") == "costs $5, see $\\alpha$"
    assert latex_to_text("\\(x_1\\) and \\[y\\]") == "\\(x_1\\) and \\[y\\]"


def test_latex_to_text_bibtex_braces():
    assert latex_to_text('{GPT}-4 on {Z{\\"u}rich} data', strip_braces=True) == "GPT-4 on Zürich data"
    assert latex_to_text("M{\\\"u}ller and Garc{\\'\\i}a", strip_braces=True) == "Müller and García"
    assert (
        latex_to_text('Stra\\ss e, {\\o}rsted, \\AA ngstr\\"om', strip_braces=True)
        == "Straße, ørsted, Ångström"
    )
    # a command's argument braces stay when the command is not one we translate
    assert latex_to_text("a \\vec{x} b", strip_braces=True) == "a \\vec{x} b"


def test_strip_urls_removes_links_but_keeps_words():
    text = (
        "Code is at https://github.com/org/repo. See [our project page](https://proj.io/x) and "
        "www.example.com/data or github.com/a/b (https://z.org)."
    )
    out = strip_urls(text)
    assert "http" not in out and "github" not in out and "www" not in out and ".com" not in out
    assert out.startswith("Code is at")
    assert "our project page" in out
    assert "()" not in out
    assert strip_urls("") == ""
    assert strip_urls("no links here") == "no links here"


def test_normalise_title_key():
    assert normalise_title("Attention Is All You Need!") == "attentionisallyouneed"
    assert normalise_title("attention is all you need") == normalise_title("ATTENTION  is all-you need.")
    assert normalise_title("Über Zürich") == "uberzurich"
    assert normalise_title(None) == ""


def test_title_keys_vectorised_matches():
    titles = ["Attention Is All You Need!", "Über Zürich", "", None, "GPT-4: A Report"]
    assert title_keys(pd.Series(titles)).tolist() == [normalise_title(t) for t in titles]


def test_title_id_is_stable_and_ignores_case_and_punctuation():
    a = title_id("Attention Is All You Need")
    assert a == title_id("attention is all you need!")
    assert a.startswith("title:") and len(a) == len("title:") + 12
    assert a != title_id("Attention Is Not All You Need")
    # titles without Latin letters still get distinct ids
    assert title_id("注意力机制") != title_id("图神经网络")
