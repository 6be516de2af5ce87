"""Trends: topic and area shares over time, growth verdicts, bursts and emerging topics.

Every function takes a saved landscape (anything with ``.documents`` and ``.topics``) or its
documents table directly, and returns a tidy pandas DataFrame.

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

Shares
    ``share = count / total`` where ``total`` is every eligible paper of the bin, *including* the
    unassigned ones (topic -1 / area ``"unassigned"``): not being assigned is a real share of the
    corpus, and leaving it out would make topic shares jump whenever the outlier rate changes.
    ``share_low``/``share_high`` are the Wilson score interval (95% by default).

Growth
    Per key over the last ``window`` bins: a binomial GLM (logit link, statsmodels) of count out of
    total with the bin index as regressor, so the slope is the change in log-odds of the share per
    bin, with its Wald interval from the model. Bins with no papers at all carry no information and
    are left out of the fit. Because large corpora make even tiny changes significant, a verdict
    also needs a non-trivial effect (``min_change``). ``dispersion="pearson"`` gives a
    quasi-binomial fit instead (scale = Pearson chi2 / residual df, never below 1, Student's t
    interval) for long windows where bins vary more than binomial sampling allows; with few bins
    its scale estimate is very noisy and a step-shaped series (a topic that appears from nothing)
    inflates it, so it is not the default. When a key has a zero count or is every paper in some
    bin, the logit MLE can run off to infinity (separation), so 0.5 is added to the successes and
    failures of every bin (the Haldane-Anscombe correction) and the ``note`` column says so.
    Verdicts:

    - ``too little data``: fewer than ``min_bins`` (3) bins with papers in the window, fewer than
      ``min_papers`` (10) papers of the key in the window, or a fit that fails;
    - ``emerging``: the whole interval is above 0 *and* the fitted odds grow by a factor of at
      least ``1 + min_change`` (1.25 by default) across the window, so that a significant but
      tiny change stays ``stable``;
    - ``fading``: the whole interval is below 0 and the odds shrink by that factor;
    - ``stable`` otherwise.

Bursts
    Kleinberg's two-state automaton on each key's count out of every bin's total over all bins
    (``landscape.analysis.bursts``), parameters ``s`` and ``gamma``.

Emerging topics
    A ranking of three components, each z-scored across the ranked keys (mean 0, sd 1, clipped to
    +-3; a missing value counts as 0) and summed: ``growth`` (the window slope), ``burst`` (summed
    strength of the bursts that reach into the last ``recent`` bins) and ``novelty`` (the key's
    fraction of papers in the last ``recent`` bins divided by the corpus' fraction in those bins;
    1 = as recent as the corpus). Unassigned papers and keys without eligible papers are not ranked.
"""

from __future__ import annotations

import math
import numbers
import warnings

from landscape.errors import LandscapeError

FREQS = {"month": "M", "quarter": "Q", "year": "Y"}
BY = ("topic", "area")
DISPERSIONS = ("binomial", "pearson")
VERDICTS = ("emerging", "stable", "fading", "too little data")
DATE_PRECISIONS = ("day", "month", "year")

UNASSIGNED_TOPIC = -1
UNASSIGNED_AREA = "unassigned"

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
]
GROWTH_COLUMNS = [
    "key",
    "label",
    "window_start",
    "window_end",
    "n_bins",
    "papers",
    "share_first",
    "share_last",
    "slope",
    "slope_low",
    "slope_high",
    "odds_ratio",
    "p_value",
    "dispersion",
    "verdict",
    "note",
]
BURST_COLUMNS = [
    "key",
    "label",
    "start",
    "end",
    "bin_start",
    "bin_end",
    "n_bins",
    "strength",
    "papers",
    "ongoing",
]
EMERGING_COLUMNS = [
    "rank",
    "key",
    "label",
    "score",
    "growth_z",
    "burst_z",
    "novelty_z",
    "slope",
    "slope_low",
    "slope_high",
    "verdict",
    "burst_strength",
    "burst_start",
    "burst_end",
    "recent_papers",
    "papers",
    "novelty",
]


# ---- inputs ---------------------------------------------------------------------------------------
def _check_option(name: str, value, allowed) -> None:
    if value not in allowed:
        raise LandscapeError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise LandscapeError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def _tables(data):
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
        labels = {UNASSIGNED_TOPIC: "unassigned"}
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
        labels[UNASSIGNED_TOPIC] = "unassigned"
        ordered = sorted(int(k) for k in keys)
        return values, ordered, {k: labels.get(k, f"topic {k}") for k in ordered}
    if "area" not in docs.columns:
        raise LandscapeError(f"{where}: field 'area' is missing (build the landscape with a taxonomy)")
    values = docs["area"].astype(object).where(docs["area"].notna(), UNASSIGNED_AREA).astype(str)
    values = values.where(values.str.strip() != "", UNASSIGNED_AREA)
    keys = set(values.unique().tolist())
    if topics is not None and "area" in topics.columns:
        keys |= {str(a) for a in topics["area"].dropna()}
    ordered = sorted(k for k in keys if k != UNASSIGNED_AREA)
    if UNASSIGNED_AREA in keys:
        ordered.append(UNASSIGNED_AREA)
    return values, ordered, {k: k for k in ordered}


def time_bins(first, last, freq: str = "year"):
    """All calendar bins from the bin holding ``first`` to the one holding ``last``.

    Returns a DataFrame ``[bin, bin_start, bin_end]``; ``bin_end`` is the (exclusive) start of the
    next bin.
    """
    import pandas as pd

    _check_option("freq", freq, FREQS)
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

    _check_option("freq", freq, FREQS)
    _check_option("by", by, BY)
    docs, topics, where = _tables(data)
    dates, rank = _dates_and_precision(docs, where)
    values, keys, labels = _keys_and_labels(docs, topics, by, where)
    eligible = (rank >= 0) & (rank <= _COARSEST[freq])
    out = pd.DataFrame(
        {
            "id": docs["id"].to_numpy() if "id" in docs.columns else range(len(docs)),
            "date": dates.to_numpy(),
            "key": values.to_numpy(),
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
def wilson_interval(count, total, level: float = 0.95):
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


def _empty(columns, **attrs):
    import pandas as pd

    frame = pd.DataFrame({c: [] for c in columns})
    frame.attrs.update(attrs)
    return frame


def topic_shares(data, freq: str = "year", by: str = "topic", level: float = 0.95):
    """Count, share and Wilson interval of every topic (or area) in every time bin.

    Columns: ``bin, bin_start, bin_end, key, label, count, total, share, share_low, share_high``,
    one row per (bin, key), bins in time order. ``attrs``: ``freq``, ``by``, ``level``,
    ``n_bins``, ``n_papers`` (placed in bins), ``excluded_precision``, ``undated``. A corpus with no
    paper that fits the bins gives an empty frame with these columns (``n_bins`` 0).
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
        return _empty(SHARE_COLUMNS, n_bins=0, **info)
    keys, labels = binned.attrs["keys"], binned.attrs["labels"]
    bins = time_bins(binned["date"].min(), binned["date"].max(), freq)
    counts = (
        pd.crosstab(binned["bin"].astype(str), binned["key"])
        .reindex(index=bins["bin"], columns=keys, fill_value=0)
        .to_numpy()
    )
    totals = counts.sum(axis=1)
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
    frame.attrs.update(n_bins=n_bins, **info)
    return frame


def _matrix(shares):
    """(bins frame, keys, labels, counts[bin, key], totals[bin]) from a shares frame."""
    bins = shares.drop_duplicates("bin")[["bin", "bin_start", "bin_end"]].reset_index(drop=True)
    keys = list(dict.fromkeys(shares["key"].tolist()))
    labels = dict(zip(shares["key"], shares["label"], strict=True))
    counts = shares.pivot(index="bin", columns="key", values="count").reindex(index=bins["bin"], columns=keys)
    totals = shares.drop_duplicates("bin").set_index("bin")["total"].reindex(bins["bin"])
    return bins, keys, labels, counts.to_numpy(dtype=float), totals.to_numpy(dtype=float)


# ---- growth ---------------------------------------------------------------------------------------
def fit_growth(count, total, level: float = 0.95, dispersion: str = "binomial") -> dict:
    """Binomial GLM (logit link) of ``count`` out of ``total`` against the bin index 0..k-1.

    Bins with ``total`` 0 carry no information and are left out of the fit (their index is kept).
    Returns ``slope`` (log-odds per bin), ``slope_low``, ``slope_high``, ``p_value``,
    ``dispersion`` (the scale used) and ``note``; slope NaN when the fit is impossible.
    """
    import numpy as np

    _check_option("dispersion", dispersion, DISPERSIONS)
    sm = _statsmodels()
    c = np.asarray(count, dtype=float)
    n = np.asarray(total, dtype=float)
    t = np.arange(c.size, dtype=float)
    used = n > 0
    c, n, t = c[used], n[used], t[used]
    failed = dict(
        slope=math.nan, slope_low=math.nan, slope_high=math.nan, p_value=math.nan, dispersion=math.nan
    )
    if c.size < 2 or np.unique(t).size < 2:
        return dict(failed, note="fewer than 2 bins with papers")
    note = ""
    success, failure = c, n - c
    if np.any(c == 0) or np.any(c == n):
        success, failure = c + 0.5, n - c + 0.5
        note = "0.5 added to every bin (zero or full counts)"
    endog = np.column_stack([success, failure])
    exog = np.column_stack([np.ones_like(t), t])
    model = sm.GLM(endog, exog, family=sm.families.Binomial())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = model.fit()
            scale = 1.0
            if dispersion == "pearson":
                if result.df_resid < 1:
                    return dict(failed, note="too few bins to estimate the dispersion")
                scale = max(1.0, float(result.pearson_chi2 / result.df_resid))
                result = model.fit(scale=scale, use_t=True)
            low, high = result.conf_int(alpha=1 - level)[1]
            slope, p_value = float(result.params[1]), float(result.pvalues[1])
    except (ValueError, np.linalg.LinAlgError) as exc:  # statsmodels' fitting failures
        return dict(failed, note=f"fit failed: {exc}")
    if not all(math.isfinite(v) for v in (slope, low, high)):
        return dict(failed, note="fit failed: non-finite estimate")
    return dict(
        slope=slope,
        slope_low=float(low),
        slope_high=float(high),
        p_value=p_value,
        dispersion=scale,
        note=note,
    )


def _statsmodels():
    from landscape.errors import require

    require("statsmodels", package="statsmodels")
    import statsmodels.api as sm

    return sm


def _verdict(fit: dict, n_bins: int, papers: int, span: int, min_bins, min_papers, min_change) -> str:
    if n_bins < min_bins or papers < min_papers or not math.isfinite(fit["slope"]):
        return "too little data"
    big_enough = math.exp(abs(fit["slope"]) * max(span, 1)) - 1 >= min_change
    if fit["slope_low"] > 0 and big_enough:
        return "emerging"
    if fit["slope_high"] < 0 and big_enough:
        return "fading"
    return "stable"


def growth_from_shares(
    shares,
    window: int = 5,
    level: float = 0.95,
    min_papers: int = 10,
    min_bins: int = 3,
    min_change: float = 0.25,
    dispersion: str = "binomial",
):
    """:func:`growth` on a frame from :func:`topic_shares` (saves recounting)."""
    import numpy as np
    import pandas as pd

    _check_int("window", window, 2)
    _check_int("min_bins", min_bins, 2)
    if not (isinstance(min_change, numbers.Real) and min_change >= 0):
        raise LandscapeError(f"min_change must be a number >= 0; got {min_change!r}")
    _check_option("dispersion", dispersion, DISPERSIONS)
    attrs = {k: shares.attrs.get(k) for k in ("freq", "by", "excluded_precision", "undated")}
    if shares.empty:
        return _empty(GROWTH_COLUMNS, window=window, **attrs)
    bins, keys, labels, counts, totals = _matrix(shares)
    start = max(0, len(bins) - window)
    counts, totals = counts[start:], totals[start:]
    with_papers = np.flatnonzero(totals > 0)
    n_bins = with_papers.size
    span = int(with_papers[-1] - with_papers[0]) if n_bins else 0
    rows = []
    for j, key in enumerate(keys):
        c = counts[:, j]
        papers = int(c.sum())
        if n_bins >= min_bins and papers >= min_papers:
            fit = fit_growth(c, totals, level, dispersion)
        else:
            fit = dict(slope=math.nan, slope_low=math.nan, slope_high=math.nan, p_value=math.nan)
            fit.update(
                dispersion=math.nan, note=f"needs >= {min_bins} bins with papers and >= {min_papers} papers"
            )
        share = np.divide(c[with_papers], totals[with_papers]) if n_bins else np.array([math.nan])
        rows.append(
            dict(
                key=key,
                label=labels[key],
                window_start=bins["bin"].iloc[start],
                window_end=bins["bin"].iloc[-1],
                n_bins=n_bins,
                papers=papers,
                share_first=float(share[0]),
                share_last=float(share[-1]),
                odds_ratio=math.exp(fit["slope"]) if math.isfinite(fit["slope"]) else math.nan,
                verdict=_verdict(fit, n_bins, papers, span, min_bins, min_papers, min_change),
                **fit,
            )
        )
    frame = pd.DataFrame(rows)[GROWTH_COLUMNS]
    frame.attrs.update(window=window, level=level, min_papers=min_papers, min_bins=min_bins, **attrs)
    return frame


def growth(
    data,
    freq: str = "year",
    window: int = 5,
    by: str = "topic",
    level: float = 0.95,
    min_papers: int = 10,
    min_bins: int = 3,
    min_change: float = 0.25,
    dispersion: str = "binomial",
):
    """Growth of every topic (or area) over the last ``window`` bins, with a verdict.

    Columns: ``key, label, window_start, window_end, n_bins, papers, share_first, share_last,
    slope, slope_low, slope_high, odds_ratio, p_value, dispersion, verdict, note``. The slope is the
    change in log-odds of the key's share per bin (``odds_ratio`` = exp(slope)); see the module
    docstring for the model and the verdict rules.
    """
    shares = topic_shares(data, freq, by, level)
    return growth_from_shares(shares, window, level, min_papers, min_bins, min_change, dispersion)


# ---- bursts ---------------------------------------------------------------------------------------
def bursts_from_shares(shares, s: float = 2.0, gamma: float = 1.0):
    """:func:`bursts` on a frame from :func:`topic_shares`."""
    import pandas as pd

    from landscape.analysis.bursts import _check_params, find_bursts

    _check_params(s, gamma)
    attrs = {k: shares.attrs.get(k) for k in ("freq", "by", "excluded_precision", "undated")}
    if shares.empty:
        return _empty(BURST_COLUMNS, s=s, gamma=gamma, **attrs)
    bins, keys, labels, counts, totals = _matrix(shares)
    rows = []
    for j, key in enumerate(keys):
        for burst in find_bursts(counts[:, j], totals, s, gamma):
            rows.append(
                dict(
                    key=key,
                    label=labels[key],
                    start=bins["bin"].iloc[burst.start],
                    end=bins["bin"].iloc[burst.end],
                    bin_start=bins["bin_start"].iloc[burst.start],
                    bin_end=bins["bin_end"].iloc[burst.end],
                    n_bins=burst.end - burst.start + 1,
                    strength=burst.weight,
                    papers=int(counts[burst.start : burst.end + 1, j].sum()),
                    ongoing=burst.end == len(bins) - 1,
                )
            )
    if not rows:
        return _empty(BURST_COLUMNS, s=s, gamma=gamma, **attrs)
    frame = pd.DataFrame(rows)[BURST_COLUMNS]
    frame.attrs.update(s=s, gamma=gamma, **attrs)
    return frame


def bursts(data, freq: str = "year", by: str = "topic", s: float = 2.0, gamma: float = 1.0):
    """Kleinberg burst intervals of every topic (or area), in key then time order.

    Columns: ``key, label, start, end`` (bin labels, inclusive), ``bin_start, bin_end`` (the
    interval's time span, end exclusive), ``n_bins``, ``strength`` (the burst weight),
    ``papers`` (the key's papers inside the burst), ``ongoing`` (the burst reaches the last bin).
    """
    return bursts_from_shares(topic_shares(data, freq, by), s, gamma)


# ---- emerging topics ------------------------------------------------------------------------------
def _zscore(values):
    import numpy as np

    x = np.asarray(values, dtype=float)
    finite = np.isfinite(x)
    z = np.zeros_like(x)
    if finite.sum() >= 2:
        sd = x[finite].std()
        if sd > 0:
            z[finite] = np.clip((x[finite] - x[finite].mean()) / sd, -3, 3)
    return z


def emerging_from_frames(
    shares, growth_frame, burst_frame, recent: int | None = None, top: int | None = None
):
    """:func:`emerging_topics` from already computed shares, growth and bursts frames."""
    import numpy as np
    import pandas as pd

    window = growth_frame.attrs.get("window") or 5
    recent = max(1, window // 2) if recent is None else _check_int("recent", recent, 1)
    if top is not None:
        _check_int("top", top, 1)
    attrs = {k: shares.attrs.get(k) for k in ("freq", "by", "excluded_precision", "undated")}
    if shares.empty:
        return _empty(EMERGING_COLUMNS, recent=recent, **attrs)
    bins, keys, labels, counts, totals = _matrix(shares)
    recent = min(recent, len(bins))
    first_recent = len(bins) - recent
    corpus_recent = totals[first_recent:].sum() / totals.sum()
    fits = growth_frame.set_index("key")
    rows = []
    for j, key in enumerate(keys):
        papers = int(counts[:, j].sum())
        if key in (UNASSIGNED_TOPIC, UNASSIGNED_AREA) or papers == 0:
            continue
        recent_papers = int(counts[first_recent:, j].sum())
        fit = fits.loc[key] if key in fits.index else None
        mine = burst_frame[burst_frame["key"] == key] if not burst_frame.empty else burst_frame
        if not mine.empty:
            # a burst counts when it reaches into the recent bins
            ends = mine["end"].map({b: i for i, b in enumerate(bins["bin"])})
            mine = mine[ends.to_numpy() >= first_recent]
        strongest = mine.loc[mine["strength"].idxmax()] if not mine.empty else None
        rows.append(
            dict(
                key=key,
                label=labels[key],
                slope=fit["slope"] if fit is not None else math.nan,
                slope_low=fit["slope_low"] if fit is not None else math.nan,
                slope_high=fit["slope_high"] if fit is not None else math.nan,
                verdict=fit["verdict"] if fit is not None else "too little data",
                burst_strength=float(mine["strength"].sum()) if not mine.empty else 0.0,
                burst_start=strongest["start"] if strongest is not None else None,
                burst_end=strongest["end"] if strongest is not None else None,
                recent_papers=recent_papers,
                papers=papers,
                novelty=(recent_papers / papers) / corpus_recent if corpus_recent > 0 else math.nan,
            )
        )
    if not rows:
        return _empty(EMERGING_COLUMNS, recent=recent, **attrs)
    frame = pd.DataFrame(rows)
    frame["growth_z"] = _zscore(frame["slope"])
    frame["burst_z"] = _zscore(frame["burst_strength"])
    frame["novelty_z"] = _zscore(frame["novelty"])
    frame["score"] = frame["growth_z"] + frame["burst_z"] + frame["novelty_z"]
    frame = frame.sort_values(["score", "papers"], ascending=[False, False], kind="stable").reset_index(
        drop=True
    )
    frame["rank"] = np.arange(1, len(frame) + 1)
    if top is not None:
        frame = frame.head(top)
    frame = frame[EMERGING_COLUMNS]
    frame.attrs.update(recent=recent, recent_start=bins["bin"].iloc[first_recent], window=window, **attrs)
    return frame


def emerging_topics(
    data,
    freq: str = "year",
    window: int = 5,
    by: str = "topic",
    recent: int | None = None,
    s: float = 2.0,
    gamma: float = 1.0,
    level: float = 0.95,
    top: int | None = None,
):
    """Topics (or areas) ranked by recent growth, recent bursts and novelty.

    ``score = z(slope) + z(recent burst strength) + z(novelty)`` (see the module docstring);
    ``recent`` defaults to half the window (at least 1 bin). Columns: ``rank, key, label, score,
    growth_z, burst_z, novelty_z, slope, slope_low, slope_high, verdict, burst_strength,
    burst_start, burst_end, recent_papers, papers, novelty``.
    """
    shares = topic_shares(data, freq, by, level)
    growth_frame = growth_from_shares(shares, window, level)
    burst_frame = bursts_from_shares(shares, s, gamma)
    return emerging_from_frames(shares, growth_frame, burst_frame, recent, top)


# ---- summary --------------------------------------------------------------------------------------
def trend_summary(
    data,
    freq: str = "year",
    window: int = 5,
    s: float = 2.0,
    gamma: float = 1.0,
    level: float = 0.95,
    recent: int | None = None,
):
    """Everything the trends notebook and the CLI show, as a dict of DataFrames.

    Keys: ``info`` (one row: freq, window, n_bins, first_bin, last_bin, n_papers,
    excluded_precision, undated, notes), ``shares``, ``growth``, ``bursts``, ``emerging``, and the
    same per research area (``area_shares``, ``area_growth``, ``area_bursts``, ``area_emerging``;
    empty when the documents have no ``area``). Raises ``LandscapeError`` when no paper can be
    placed in a ``freq`` bin; a corpus with fewer than 3 bins gives a note and "too little data".
    """
    import pandas as pd

    _check_option("freq", freq, FREQS)
    _check_int("window", window, 2)
    docs, _, _ = _tables(data)
    out = {}
    for prefix, by in (("", "topic"), ("area_", "area")):
        if by == "area" and "area" not in docs.columns:
            for name, columns in (
                ("shares", SHARE_COLUMNS),
                ("growth", GROWTH_COLUMNS),
                ("bursts", BURST_COLUMNS),
                ("emerging", EMERGING_COLUMNS),
            ):
                out[prefix + name] = _empty(columns, by=by, freq=freq)
            continue
        shares = topic_shares(data, freq, by, level)
        if shares.empty:
            a = shares.attrs
            raise LandscapeError(
                f"no papers can be placed in {freq} bins: {len(docs)} papers, {a['undated']} without a date, "
                f"{a['excluded_precision']} dated less precisely than a {freq}"
                + (" (try --freq year)" if freq != "year" and a["excluded_precision"] else "")
            )
        growth_frame = growth_from_shares(shares, window, level)
        burst_frame = bursts_from_shares(shares, s, gamma)
        out[prefix + "shares"] = shares
        out[prefix + "growth"] = growth_frame
        out[prefix + "bursts"] = burst_frame
        out[prefix + "emerging"] = emerging_from_frames(shares, growth_frame, burst_frame, recent)
    shares = out["shares"]
    a = shares.attrs
    bins = shares["bin"].drop_duplicates().tolist()
    notes = []
    if a["n_bins"] < 3:
        notes.append(
            f"only {a['n_bins']} {freq} bin{'s' if a['n_bins'] != 1 else ''} ({', '.join(bins)}): growth and "
            "bursts need at least 3 bins with papers"
        )
    if a["excluded_precision"]:
        notes.append(f"{a['excluded_precision']} papers dated less precisely than a {freq} are left out")
    if a["undated"]:
        notes.append(f"{a['undated']} papers without a date are left out")
    out["info"] = pd.DataFrame(
        [
            dict(
                freq=freq,
                window=window,
                n_bins=a["n_bins"],
                first_bin=bins[0],
                last_bin=bins[-1],
                window_start=bins[max(0, len(bins) - window)],
                n_papers=a["n_papers"],
                excluded_precision=a["excluded_precision"],
                undated=a["undated"],
                s=s,
                gamma=gamma,
                notes="; ".join(notes),
            )
        ]
    )
    return out


# ---- text and JSON (what `landscape trends` prints) -----------------------------------------------
def _plain(text, width: int = 40) -> str:
    """Label text safe for a terminal: no control characters, one line, at most ``width`` characters."""
    clean = "".join(ch if ch.isprintable() else " " for ch in str(text)).strip()
    return clean if len(clean) <= width else clean[: width - 1] + "…"


def _number(value):
    """JSON-safe scalar: NaN/None -> None, numpy numbers -> Python numbers."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _key_name(by: str) -> str:
    return "topic" if by == "topic" else "area"


def _growth_records(frame, by: str) -> list[dict]:
    return [
        {
            _key_name(by): _number(row.key),
            "label": row.label,
            "verdict": row.verdict,
            "slope": _number(row.slope),
            "interval": [_number(row.slope_low), _number(row.slope_high)],
            "odds_ratio": _number(row.odds_ratio),
            "p_value": _number(row.p_value),
            "papers": _number(row.papers),
            "share_first": _number(row.share_first),
            "share_last": _number(row.share_last),
            "note": row.note,
        }
        for row in frame.itertuples(index=False)
    ]


def _burst_records(frame, by: str) -> list[dict]:
    return [
        {
            _key_name(by): _number(row.key),
            "label": row.label,
            "start": row.start,
            "end": row.end,
            "strength": _number(row.strength),
            "papers": _number(row.papers),
            "ongoing": bool(row.ongoing),
        }
        for row in frame.itertuples(index=False)
    ]


def _emerging_records(frame, by: str) -> list[dict]:
    return [
        {
            "rank": _number(row.rank),
            _key_name(by): _number(row.key),
            "label": row.label,
            "score": _number(row.score),
            "components": {
                "growth_z": _number(row.growth_z),
                "burst_z": _number(row.burst_z),
                "novelty_z": _number(row.novelty_z),
            },
            "verdict": row.verdict,
            "slope": _number(row.slope),
            "interval": [_number(row.slope_low), _number(row.slope_high)],
            "burst_strength": _number(row.burst_strength),
            "burst_start": row.burst_start if isinstance(row.burst_start, str) else None,
            "burst_end": row.burst_end if isinstance(row.burst_end, str) else None,
            "novelty": _number(row.novelty),
            "recent_papers": _number(row.recent_papers),
            "papers": _number(row.papers),
        }
        for row in frame.itertuples(index=False)
    ]


def _fading(growth_frame, top: int):
    fading = growth_frame[
        (growth_frame["verdict"] == "fading") & ~growth_frame["key"].isin([UNASSIGNED_TOPIC, UNASSIGNED_AREA])
    ]
    return fading.sort_values("slope", kind="stable").head(top)


def _strongest(burst_frame, top: int):
    if burst_frame.empty:
        return burst_frame
    keep = burst_frame[~burst_frame["key"].isin([UNASSIGNED_TOPIC, UNASSIGNED_AREA])]
    return keep.sort_values("strength", ascending=False, kind="stable").head(top)


def summary_records(summary: dict, top: int = 10) -> dict:
    """The JSON form of a :func:`trend_summary`: every growth verdict, the top emerging and fading
    keys and the strongest bursts, for topics and for areas. NaN becomes ``null``."""
    _check_int("top", top, 1)
    info = summary["info"].iloc[0]
    out = {
        "freq": info["freq"],
        "window": _number(info["window"]),
        "bins": {
            "first": info["first_bin"],
            "last": info["last_bin"],
            "count": _number(info["n_bins"]),
            "window_start": info["window_start"],
        },
        "papers": _number(info["n_papers"]),
        "excluded_precision": _number(info["excluded_precision"]),
        "undated": _number(info["undated"]),
        "burst_parameters": {"s": _number(info["s"]), "gamma": _number(info["gamma"])},
        "notes": [n for n in str(info["notes"]).split("; ") if n],
    }
    for prefix, by, name in (("", "topic", "topics"), ("area_", "area", "areas")):
        growth_frame, burst_frame = summary[prefix + "growth"], summary[prefix + "bursts"]
        emerging = summary[prefix + "emerging"]
        out[name] = {
            "emerging": _emerging_records(emerging.head(top), by),
            "fading": _growth_records(_fading(growth_frame, top), by) if not growth_frame.empty else [],
            "bursts": _burst_records(_strongest(burst_frame, top), by),
            "growth": _growth_records(growth_frame, by),
        }
    return out


def _interval(low, high) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"[{low:+.2f}, {high:+.2f}]"


def _table(rows: list[dict], empty: str) -> str:
    import pandas as pd

    if not rows:
        return f"  ({empty})"
    frame = pd.DataFrame(rows)
    if "area" in frame.columns:  # an area is its own label
        frame = frame.drop(columns="label")
    text = frame.to_string(index=False)
    return "\n".join("  " + line for line in text.splitlines())


def _emerging_rows(emerging, key: str, level: float, top: int) -> list[dict]:
    return [
        {
            "rank": r.rank,
            key: r.key,
            "label": _plain(r.label),
            "verdict": r.verdict,
            "slope": f"{r.slope:+.2f}" if math.isfinite(r.slope) else "",
            f"{level:.0%} CI": _interval(r.slope_low, r.slope_high),
            "burst": f"{r.burst_strength:.1f}",
            "novelty": f"{r.novelty:.2f}",
            "score": f"{r.score:+.2f}",
        }
        for r in emerging.head(top).itertuples(index=False)
    ]


def _fading_rows(growth_frame, key: str, level: float, top: int) -> list[dict]:
    if growth_frame.empty:
        return []
    return [
        {
            key: r.key,
            "label": _plain(r.label),
            "slope": f"{r.slope:+.2f}",
            f"{level:.0%} CI": _interval(r.slope_low, r.slope_high),
            "share": f"{r.share_first:.1%} -> {r.share_last:.1%}",
            "papers": r.papers,
        }
        for r in _fading(growth_frame, top).itertuples(index=False)
    ]


def _burst_rows(burst_frame, key: str, top: int) -> list[dict]:
    return [
        {
            key: r.key,
            "label": _plain(r.label),
            "start": r.start,
            "end": r.end + (" (ongoing)" if r.ongoing else ""),
            "strength": f"{r.strength:.1f}",
            "papers": r.papers,
        }
        for r in _strongest(burst_frame, top).itertuples(index=False)
    ]


def format_summary(summary: dict, top: int = 10, name: str | None = None) -> str:
    """A readable text report of a :func:`trend_summary`: emerging and fading topics and bursts."""
    _check_int("top", top, 1)
    info = summary["info"].iloc[0]
    word = {"year": "yearly", "quarter": "quarterly", "month": "monthly"}[info["freq"]]
    level = summary["shares"].attrs.get("level", 0.95)
    head = f"{_plain(name, 80)}: " if name else ""
    lines = [
        f"{head}{info['n_papers']:,} papers in {info['n_bins']} {word} bins "
        f"({info['first_bin']} to {info['last_bin']}); "
        f"growth window {info['window_start']} to {info['last_bin']}",
        f"left out: {info['excluded_precision']:,} papers dated less precisely than a {info['freq']}, "
        f"{info['undated']:,} without a date",
    ]
    lines += [f"note: {n}" for n in str(info["notes"]).split("; ") if n and "left out" not in n]
    for prefix, by in (("", "topic"), ("area_", "area")):
        growth_frame = summary[prefix + "growth"]
        if by == "area" and growth_frame.empty:
            continue
        emerging = summary[prefix + "emerging"]
        what, key = ("topics", "topic") if by == "topic" else ("research areas", "area")
        recent = emerging.attrs.get("recent_start", info["last_bin"])
        lines += [
            "",
            f"Emerging {what} (score = z(slope) + z(recent burst strength) + z(novelty); "
            f"recent = from {recent})",
            _table(_emerging_rows(emerging, key, level, top), f"no {what} to rank"),
            "",
            f"Fading {what} (slope = change in log-odds of the share per {info['freq']})",
            _table(_fading_rows(growth_frame, key, level, top), f"no fading {what}"),
            "",
            f"Strongest bursts of {what} (Kleinberg, s={info['s']:g}, gamma={info['gamma']:g})",
            _table(_burst_rows(summary[prefix + "bursts"], key, top), "no bursts found"),
        ]
    return "\n".join(lines)
