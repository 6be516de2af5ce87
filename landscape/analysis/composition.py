"""What the corpus is made of, bin by bin: sources and date precisions, and warnings when that mix
shifts (shares then move for reasons that are not the field's).

A corpus stitched from several sources (an arXiv dump for some years, conference lists for others)
changes its topic mix when its sources change. :func:`composition` counts papers per source and per
date precision in every bin; :func:`composition_warnings` names every source or precision whose
share of a bin ranges over more than ``COMPOSITION_SHIFT`` (20 points) across bins with at least
``THIN_BIN`` papers. :func:`within_source` keeps one source's papers, so shares can be read within it.

A paper's sources are its ``source`` value split on ``+`` (merged records, ``arxiv+hf-papers``);
it counts once, under its first source. Precision is read per year bin whatever ``freq`` is,
because that is where ``year`` dates still count.
"""

from __future__ import annotations

from landscape.analysis.shares import FREQS, THIN_BIN, check_option, tables
from landscape.errors import LandscapeError

COMPOSITION_SHIFT = 0.20
COMPOSITION_COLUMNS = ["what", "bin", "value", "count", "total", "share"]


def _first_source(values):
    return values.fillna("").astype(str).str.split("+").str[0].str.strip().replace("", "unknown")


def composition(data, freq: str = "year"):
    """Papers per ``source`` and per ``date_precision`` in each bin.

    Columns ``what`` (``source`` or ``date_precision``), ``bin``, ``value``, ``count``, ``total``,
    ``share`` (of the bin's dated papers). Precision rows use year bins (see the module docstring).
    Empty when the documents have neither column.
    """
    import pandas as pd

    check_option("freq", freq, FREQS)
    docs, _, _ = tables(data)
    if "date" not in docs.columns:
        return pd.DataFrame(columns=COMPOSITION_COLUMNS)
    dates = pd.to_datetime(docs["date"], errors="coerce")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    precision = docs["date_precision"].fillna("year") if "date_precision" in docs.columns else None
    frames = []
    for what, values, bin_freq in (
        ("source", _first_source(docs["source"]) if "source" in docs.columns else None, freq),
        ("date_precision", precision, "year"),
    ):
        if values is None:
            continue
        keep = dates.notna().to_numpy()
        if what == "source" and precision is not None and freq != "year":
            keep &= (precision != "year").to_numpy()  # what can enter finer bins
        bins = dates[keep].dt.to_period(FREQS[bin_freq]).astype(str)
        counts = pd.crosstab(bins.to_numpy(), values[keep].astype(str).to_numpy())
        long = counts.stack().rename("count").reset_index()
        long.columns = ["bin", "value", "count"]
        long["total"] = long["bin"].map(counts.sum(axis=1))
        long["share"] = long["count"] / long["total"]
        long.insert(0, "what", what)
        frames.append(long)
    if not frames:
        return pd.DataFrame(columns=COMPOSITION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[COMPOSITION_COLUMNS]


def composition_warnings(
    frame, threshold: float = COMPOSITION_SHIFT, min_papers: int = THIN_BIN
) -> list[str]:
    """One sentence per source or precision whose share of a bin ranges over more than
    ``threshold`` across the bins with at least ``min_papers`` papers, largest shift first."""
    found = []
    full = frame[frame["total"] >= min_papers]
    for (what, value), rows in full.groupby(["what", "value"], sort=True):
        low, high = rows.loc[rows["share"].idxmin()], rows.loc[rows["share"].idxmax()]
        if high["share"] - low["share"] > threshold:
            name = "source" if what == "source" else "date precision"
            found.append(
                (
                    high["share"] - low["share"],
                    f"{name} {value!s} is {low['share']:.0%} of {low['bin']} but {high['share']:.0%} of "
                    f"{high['bin']}",
                )
            )
    if not found:
        return []
    found.sort(key=lambda item: -item[0])
    sentences = [text for _, text in found]
    return [
        "the corpus' mix changes across bins, so shares move for reasons that are not the field's: "
        + "; ".join(sentences[:3])
        + (f" (and {len(sentences) - 3} more)" if len(sentences) > 3 else "")
        + ("; compare within one source (--source)" if any(s.startswith("source") for s in sentences) else "")
    ]


def within_source(data, source: str):
    """Only the papers of ``source``: a paper matches when one of its ``+``-joined sources equals
    ``source`` or starts with ``source:`` (``arxiv`` matches ``arxiv:dump+hf-papers``)."""
    from types import SimpleNamespace

    docs, topics, where = tables(data)
    if "source" not in docs.columns:
        raise LandscapeError(f"{where}: field 'source' is missing, so papers cannot be told apart by source")
    parts = docs["source"].fillna("").astype(str).str.split("+")
    wanted = str(source).strip()
    keep = parts.map(lambda ps: any(p.strip() == wanted or p.strip().startswith(wanted + ":") for p in ps))
    if not keep.any():
        known = sorted(set(_first_source(docs["source"])))
        raise LandscapeError(
            f"{where}: no paper has source {wanted!r}; sources: {', '.join(known[:10])}"
            + (", …" if len(known) > 10 else "")
        )
    kept = docs[keep.to_numpy()].reset_index(drop=True)
    if topics is None:
        return kept
    return SimpleNamespace(documents=kept, topics=topics, path=getattr(data, "path", None))
