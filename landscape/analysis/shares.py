"""Time bins and shares: which papers enter which bin, and each topic's share with its interval.

Time bins
    ``freq`` is ``"month"``, ``"quarter"`` or ``"year"``: calendar pandas Periods (quarters end in
    December). A bin is the half-open interval ``[bin_start, bin_end)``; ``bin`` is its label
    (``"2021-03"``, ``"2021Q1"``, ``"2021"``). Every bin from the first to the last dated paper is
    present; a bin with no papers has count and total 0 (its share is NaN: there is nothing to
    share), it is never dropped.

Date precision
    A paper enters a bin only if its date is at least as precise as the bin: ``day``/``month``
    dates go into month, quarter and year bins; ``year`` dates only into year bins. A paper with a
    date but no precision is treated as ``year`` (the cautious reading); a paper with no date goes
    nowhere. If the documents have no ``date_precision`` column at all, dates are taken as exact
    days. Each result says what it left out in ``frame.attrs``: ``excluded_precision`` (dated
    papers too coarse for the bins) and ``undated``.

Partial and thin bins
    The first and last bins are ``partial`` when the corpus covers less than ``PARTIAL_COVERAGE``
    (90%) of them: a corpus that ends in February fills two months of its last year. A paper
    covers the whole span its precision names (a ``month`` date covers its month). Partial bins are
    shown, marked, and left out of growth verdicts by default (their papers are often a different
    mix: early preprints, one conference). A bin with fewer than ``THIN_BIN`` (30) papers is
    ``thin``: its shares are shown with their wide intervals and marked.

Shares
    ``share = count / total`` where ``total`` is every eligible paper of the bin, *including* the
    unassigned ones (topic -1 / area ``"unassigned"``): not being assigned is a real share of the
    corpus, and leaving it out would make topic shares jump whenever the outlier rate changes.
    ``share_low``/``share_high`` are the Wilson score interval (95% by default).
"""

from __future__ import annotations

import numbers

from landscape.errors import LandscapeError
from landscape.schema import DATE_PRECISIONS, UNASSIGNED, UNASSIGNED_TOPIC

FREQS = {"month": "M", "quarter": "Q", "year": "Y"}
BY = ("topic", "area")
DEFAULT_LEVEL = 0.95
# A first or last bin the corpus covers less than this fraction of is partial.
PARTIAL_COVERAGE = 0.9
# Bins with fewer papers than this are thin: a share of 1 in 29 moves by 3 points.
THIN_BIN = 30
# Keys that stand for "no topic" / "no area": never ranked, never listed as emerging or fading.
UNASSIGNED_KEYS = (UNASSIGNED_TOPIC, UNASSIGNED)

# Coarsest date precision that each bin frequency accepts (index into DATE_PRECISIONS).
_COARSEST = {"month": 1, "quarter": 1, "year": 2}

SHARE_COLUMNS = [
    "bin",
    "bin_start",
    "bin_end",
    "key",
    "label",
    "count",
    "total",
    "share",
    "share_low",
    "share_high",
    "partial",
    "thin",
]


def check_option(name: str, value, allowed) -> None:
    if value not in allowed:
        raise LandscapeError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise LandscapeError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def tables(data):
    """(documents, topics or None, where-to-name-in-errors) from a landscape or a documents table."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data, None, "documents"
    if hasattr(data, "documents"):
        path = getattr(data, "path", None)
        where = f"{path}/documents.parquet" if path else "documents"
        return data.documents, getattr(data, "topics", None), where
    raise LandscapeError(f"expected a landscape or its documents DataFrame, got {type(data).__name__}")


def _dates_and_precision(docs, where: str):
    """Dates as naive datetime64 and precision as an index into DATE_PRECISIONS (-1 = no date)."""
    import numpy as np
    import pandas as pd

    if "date" not in docs.columns:
        raise LandscapeError(f"{where}: field 'date' is missing; trends need dated papers")
    raw = docs["date"]
    dates = pd.to_datetime(raw, errors="coerce", utc=isinstance(raw.dtype, pd.DatetimeTZDtype))
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    bad = dates.isna().to_numpy() & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LandscapeError(f"{where}, row {row + 1}, field 'date': not a date: {str(raw.iloc[row])[:40]!r}")
    dated = dates.notna().to_numpy()
    if "date_precision" not in docs.columns:
        rank = np.where(dated, 0, -1)
        return dates, rank
    prec = docs["date_precision"].astype(object)
    lookup = {name: i for i, name in enumerate(DATE_PRECISIONS)}
    stated = prec.notna().to_numpy() & (prec.astype(str).str.strip() != "").to_numpy()
    rank = prec.map(lookup).to_numpy(dtype=float)
    bad = dated & stated & np.isnan(rank)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LandscapeError(
            f"{where}, row {row + 1}, field 'date_precision': {str(prec.iloc[row])[:20]!r} is not one of "
            f"{', '.join(DATE_PRECISIONS)}"
        )
    # a date without a stated precision: trust only its year
    rank = np.where(dated & ~stated, lookup["year"], rank)
    return dates, np.where(dated, rank, -1).astype(int)


def _keys_and_labels(docs, topics, by: str, where: str):
    """The ordered keys (every topic/area of the landscape) and their display labels."""
    import pandas as pd

    if by == "topic":
        if "topic" not in docs.columns:
            raise LandscapeError(f"{where}: field 'topic' is missing")
        values = pd.to_numeric(docs["topic"], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().argmax())
            raise LandscapeError(f"{where}, row {row + 1}, field 'topic': not a topic number")
        values = values.astype(int)
        labels = {UNASSIGNED_TOPIC: UNASSIGNED}
        if "topic_label" in docs.columns:
            first = pd.DataFrame({"k": values, "l": docs["topic_label"]}).dropna().drop_duplicates("k")
            labels.update({int(k): str(v) for k, v in zip(first["k"], first["l"], strict=True)})
        keys = set(values.unique().tolist())
        if topics is not None and "topic" in topics.columns:
            keys |= {int(t) for t in topics["topic"]}
            if "label" in topics.columns:
                labels.update(
                    {
                        int(t): str(v)
                        for t, v in zip(topics["topic"], topics["label"], strict=True)
                        if pd.notna(v)
                    }
                )
        labels[UNASSIGNED_TOPIC] = UNASSIGNED
        ordered = sorted(int(k) for k in keys)
        return values, ordered, {k: labels.get(k, f"topic {k}") for k in ordered}
    if "area" not in docs.columns:
        raise LandscapeError(f"{where}: field 'area' is missing (build the landscape with a taxonomy)")
    values = docs["area"].astype(object).where(docs["area"].notna(), UNASSIGNED).astype(str)
    values = values.where(values.str.strip() != "", UNASSIGNED)
    keys = set(values.unique().tolist())
    if topics is not None and "area" in topics.columns:
        keys |= {str(a) for a in topics["area"].dropna()}
    ordered = sorted(k for k in keys if k != UNASSIGNED)
    if UNASSIGNED in keys:
        ordered.append(UNASSIGNED)
    return values, ordered, {k: k for k in ordered}


def time_bins(first, last, freq: str = "year"):
    """All calendar bins from the bin holding ``first`` to the one holding ``last``.

    Returns a DataFrame ``[bin, bin_start, bin_end]``; ``bin_end`` is the (exclusive) start of the
    next bin.
    """
    import pandas as pd

    check_option("freq", freq, FREQS)
    periods = pd.period_range(pd.Period(first, FREQS[freq]), pd.Period(last, FREQS[freq]), freq=FREQS[freq])
    return pd.DataFrame(
        {
            "bin": [str(p) for p in periods],
            "bin_start": periods.start_time,
            "bin_end": (periods + 1).start_time,
        }
    )


def binned_documents(data, freq: str = "year", by: str = "topic"):
    """The documents that may enter ``freq`` bins, with their ``bin`` (a pandas Period) and ``key``.

    ``attrs`` holds ``freq``, ``by``, ``excluded_precision``, ``undated``, ``keys`` and ``labels``.
    """
    import pandas as pd

    check_option("freq", freq, FREQS)
    check_option("by", by, BY)
    docs, topics, where = tables(data)
    dates, rank = _dates_and_precision(docs, where)
    values, keys, labels = _keys_and_labels(docs, topics, by, where)
    eligible = (rank >= 0) & (rank <= _COARSEST[freq])
    out = pd.DataFrame(
        {
            "id": docs["id"].to_numpy() if "id" in docs.columns else range(len(docs)),
            "date": dates.to_numpy(),
            "key": values.to_numpy(),
            "precision": rank,
        }
    )[eligible].reset_index(drop=True)
    out["bin"] = out["date"].dt.to_period(FREQS[freq])
    out.attrs.update(
        freq=freq,
        by=by,
        excluded_precision=int((rank > _COARSEST[freq]).sum()),
        undated=int((rank < 0).sum()),
        keys=keys,
        labels=labels,
    )
    return out


# ---- shares ---------------------------------------------------------------------------------------
def wilson_interval(count, total, level: float = DEFAULT_LEVEL):
    """Wilson score interval for ``count`` successes out of ``total`` (arrays or numbers).

    NaN where ``total`` is 0.
    """
    from statistics import NormalDist

    import numpy as np

    if not 0 < level < 1:
        raise LandscapeError(f"confidence level must be between 0 and 1; got {level!r}")
    z = NormalDist().inv_cdf(0.5 + level / 2)
    c = np.asarray(count, dtype=float)
    n = np.asarray(total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = c / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def empty_frame(columns, **attrs):
    """An empty frame with ``columns`` and ``attrs``: what every trend function returns for no data."""
    import pandas as pd

    frame = pd.DataFrame({c: [] for c in columns})
    frame.attrs.update(attrs)
    return frame


def _covered_until(binned):
    """The end of the time the papers cover: a ``month`` date covers its whole month."""
    import numpy as np
    import pandas as pd

    dates = binned["date"]
    ends = dates + pd.Timedelta(days=1)
    for rank, freq in ((1, "M"), (2, "Y")):
        mine = binned["precision"].to_numpy() == rank
        if mine.any():
            ends = ends.where(~mine, (dates.dt.to_period(freq) + 1).dt.start_time)
    return dates.min(), ends.max() if len(ends) else np.datetime64("NaT")


def partial_bins(bins, first, until) -> list[bool]:
    """Which of ``bins`` (from :func:`time_bins`) the span ``[first, until)`` covers less than
    ``PARTIAL_COVERAGE`` of; only the first and last bins can be partial."""
    flags = [False] * len(bins)
    if not len(bins):
        return flags
    starts, ends = bins["bin_start"], bins["bin_end"]
    for i in {0, len(bins) - 1}:
        length = ends.iloc[i] - starts.iloc[i]
        covered = min(ends.iloc[i], until) - max(starts.iloc[i], first)
        flags[i] = covered / length < PARTIAL_COVERAGE
    return flags


def topic_shares(data, freq: str = "year", by: str = "topic", level: float = DEFAULT_LEVEL):
    """Count, share and Wilson interval of every topic (or area) in every time bin.

    Columns: ``bin, bin_start, bin_end, key, label, count, total, share, share_low, share_high,
    partial, thin``, one row per (bin, key), bins in time order. ``attrs``: ``freq``, ``by``,
    ``level``, ``n_bins``, ``n_papers`` (placed in bins), ``excluded_precision``, ``undated``,
    ``partial_bins`` and ``thin_bins`` (bin labels). A corpus with no paper that fits the bins gives
    an empty frame with these columns (``n_bins`` 0).
    """
    import numpy as np
    import pandas as pd

    binned = binned_documents(data, freq, by)
    info = dict(
        freq=freq,
        by=by,
        level=level,
        excluded_precision=binned.attrs["excluded_precision"],
        undated=binned.attrs["undated"],
        n_papers=len(binned),
    )
    if binned.empty:
        return empty_frame(SHARE_COLUMNS, n_bins=0, partial_bins=[], thin_bins=[], **info)
    keys, labels = binned.attrs["keys"], binned.attrs["labels"]
    bins = time_bins(binned["date"].min(), binned["date"].max(), freq)
    counts = (
        pd.crosstab(binned["bin"].astype(str), binned["key"])
        .reindex(index=bins["bin"], columns=keys, fill_value=0)
        .to_numpy()
    )
    totals = counts.sum(axis=1)
    partial = np.asarray(partial_bins(bins, *_covered_until(binned)))
    thin = (totals > 0) & (totals < THIN_BIN)
    n_bins, n_keys = counts.shape
    frame = pd.DataFrame(
        {
            "bin": np.repeat(bins["bin"].to_numpy(), n_keys),
            "bin_start": np.repeat(bins["bin_start"].to_numpy(), n_keys),
            "bin_end": np.repeat(bins["bin_end"].to_numpy(), n_keys),
            "key": pd.Series(np.tile(np.asarray(keys, dtype=object), n_bins)).astype(
                "int64" if by == "topic" else "str"
            ),
            "label": np.tile(np.asarray([labels[k] for k in keys], dtype=object), n_bins),
            "count": counts.ravel().astype("int64"),
            "total": np.repeat(totals, n_keys).astype("int64"),
        }
    )
    frame["label"] = frame["label"].astype("str")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["share"] = np.where(frame["total"] > 0, frame["count"] / frame["total"], np.nan)
    frame["share_low"], frame["share_high"] = wilson_interval(frame["count"], frame["total"], level)
    frame["partial"] = np.repeat(partial, n_keys)
    frame["thin"] = np.repeat(thin, n_keys)
    frame.attrs.update(
        n_bins=n_bins,
        partial_bins=bins["bin"][partial].tolist(),
        thin_bins=bins["bin"][thin].tolist(),
        **info,
    )
    return frame


def share_matrix(shares):
    """(bins frame with ``partial``/``thin``, keys, labels, counts[bin, key], totals[bin])."""
    first = shares.drop_duplicates("bin")
    bins = first[["bin", "bin_start", "bin_end", "partial", "thin"]].reset_index(drop=True)
    keys = list(dict.fromkeys(shares["key"].tolist()))
    labels = dict(zip(shares["key"], shares["label"], strict=True))
    counts = shares.pivot(index="bin", columns="key", values="count").reindex(index=bins["bin"], columns=keys)
    totals = first.set_index("bin")["total"].reindex(bins["bin"])
    return bins, keys, labels, counts.to_numpy(dtype=float), totals.to_numpy(dtype=float)
