"""Trends: growth verdicts, bursts and the emerging and fading lists, one definition each.

Every function takes a saved landscape (anything with ``.documents`` and ``.topics``) or its
documents table directly, and returns a tidy pandas DataFrame. Bins, shares, partial and thin bins
are defined in :mod:`landscape.analysis.shares`; this module re-exports its functions.

Defaults
    :mod:`landscape.analysis.trend_defaults` holds the defaults of the API, the CLI
    (``landscape trends``) and the trends notebook (whose ``window = None`` means
    ``DEFAULT_WINDOW``): year bins, a window of 5 bins, 10 rows.

Growth
    Per key over the last ``window`` complete bins (partial bins are left out unless
    ``include_partial``): a binomial GLM (logit link, statsmodels) of count out of total with the
    bin index as regressor, so the slope is the change in log-odds of the share per bin, with its
    Wald interval from the model. Bins with no papers at all carry no information and are left out
    of the fit. ``fitted_first``/``fitted_last`` are the fitted shares at the window's first and
    last bins with papers, ``share_first``/``share_last`` the observed ones: what a reader checks a
    verdict against. ``dispersion="pearson"`` gives a quasi-binomial fit instead (scale = Pearson
    chi2 / residual df, never below 1, Student's t interval) for long windows where bins vary more
    than binomial sampling allows; with few bins its scale estimate is very noisy, so it is not the
    default. When a key has a zero count or is every paper in some bin, the logit MLE can run off
    to infinity (separation), so 0.5 is added to the successes and failures of every bin (the
    Haldane-Anscombe correction) and the ``note`` column says so.

Verdicts (:func:`verdict`, the one rule; ``reason`` says why in words)
    - ``too little data``: fewer than ``MIN_BINS`` (3) bins with papers in the window, fewer than
      ``MIN_PAPERS`` (10) papers of the key in the window, or a fit that fails;
    - ``stable``: the slope's interval includes 0, or the fitted odds change by less than
      ``MIN_CHANGE`` (25%) across the window (large corpora make tiny changes significant);
    - ``emerging`` / ``fading``: the whole interval is above / below 0, the change is large enough,
      and the observed share at the window's end is above / below the share at its start;
    - ``mixed``: the fitted trend is clear but the end-point shares moved the other way (or not at
      all): a verdict never contradicts the shares shown beside it.

Bursts
    Kleinberg's two-state automaton (:mod:`landscape.analysis.bursts`) on each key's count out of
    every bin's total, relative to the key's own baseline (its median share over the bins), with
    parameters ``s`` and ``gamma``. A run covering more than ``MAX_BURST_SPAN`` (60%) of the bins
    is a ``level`` (the topic sat above its usual share for most of the range), not a ``burst``.
    ``share`` is the key's share inside the run, ``baseline`` its usual share, ``ratio`` the two's
    quotient.

Ranking score and the emerging and fading lists
    ``score = growth + burst + novelty``, each component scaled by its spread across the ranked
    keys (divided by the standard deviation, clipped to +-3) so that 0 means "nothing": a flat
    share, no recent burst, as recent as the corpus. ``growth`` is the window slope; ``burst`` the
    summed strength of the bursts reaching into the last ``recent`` complete bins; ``novelty``
    log2 of the key's fraction of papers in those bins over the corpus' fraction (floored at 1/8).
    Unassigned papers and keys without eligible papers are not ranked. The emerging list holds the
    keys whose verdict is ``emerging``, highest score first; the fading list those whose verdict is
    ``fading``, lowest score first. Every consumer (JSON, CLI text, notebook tables and charts)
    shows these lists, in this order.
"""

from __future__ import annotations

import math
import numbers
import warnings

from landscape.analysis.bursts import find_bursts, is_level, median_baseline
from landscape.analysis.shares import (  # noqa: F401  (re-exported: the trends API)
    BY,
    DEFAULT_LEVEL,
    FREQS,
    PARTIAL_COVERAGE,
    SHARE_COLUMNS,
    THIN_BIN,
    UNASSIGNED_KEYS,
    binned_documents,
    check_int,
    check_option,
    empty_frame,
    share_matrix,
    tables,
    time_bins,
    topic_shares,
    wilson_interval,
)
from landscape.analysis.trend_defaults import (  # noqa: F401  (re-exported)
    DEFAULT_FREQ,
    DEFAULT_GAMMA,
    DEFAULT_S,
    DEFAULT_TOP,
    DEFAULT_WINDOW,
)
from landscape.errors import LandscapeError

MIN_PAPERS = 10
MIN_BINS = 3
MIN_CHANGE = 0.25
DISPERSIONS = ("binomial", "pearson")
VERDICTS = ("emerging", "fading", "mixed", "stable", "too little data")
BURST_KINDS = ("burst", "level")
# novelty below 1/8 of the corpus' recency counts as 1/8: log2 floor of -3
_NOVELTY_FLOOR = 1 / 8

GROWTH_COLUMNS = [
    "key",
    "label",
    "window_start",
    "window_end",
    "n_bins",
    "papers",
    "share_first",
    "share_last",
    "fitted_first",
    "fitted_last",
    "slope",
    "slope_low",
    "slope_high",
    "odds_ratio",
    "p_value",
    "dispersion",
    "verdict",
    "reason",
    "note",
]
BURST_COLUMNS = [
    "key",
    "label",
    "kind",
    "start",
    "end",
    "bin_start",
    "bin_end",
    "n_bins",
    "strength",
    "papers",
    "share",
    "baseline",
    "ratio",
    "ongoing",
]
RANKING_COLUMNS = [
    "rank",
    "key",
    "label",
    "score",
    "growth_score",
    "burst_score",
    "novelty_score",
    "verdict",
    "reason",
    "window_start",
    "window_end",
    "share_first",
    "share_last",
    "fitted_first",
    "fitted_last",
    "slope",
    "slope_low",
    "slope_high",
    "burst_strength",
    "burst_start",
    "burst_end",
    "recent_papers",
    "papers",
    "novelty",
]


def _window(window) -> int:
    """``None`` means the library default: the one place the window default lives."""
    return DEFAULT_WINDOW if window is None else check_int("window", window, 2)


def _freq(freq) -> str:
    freq = DEFAULT_FREQ if freq is None else freq
    check_option("freq", freq, FREQS)
    return freq


# ---- growth ---------------------------------------------------------------------------------------
def fit_growth(count, total, level: float = DEFAULT_LEVEL, dispersion: str = "binomial") -> dict:
    """Binomial GLM (logit link) of ``count`` out of ``total`` against the bin index 0..k-1.

    Bins with ``total`` 0 carry no information and are left out of the fit (their index is kept).
    Returns ``slope`` (log-odds per bin), ``slope_low``, ``slope_high``, ``p_value``,
    ``dispersion`` (the scale used), ``fitted_first``/``fitted_last`` (fitted shares at the first
    and last bins with papers) and ``note``; slope NaN when the fit is impossible.
    """
    import numpy as np

    check_option("dispersion", dispersion, DISPERSIONS)
    sm = _statsmodels()
    c = np.asarray(count, dtype=float)
    n = np.asarray(total, dtype=float)
    t = np.arange(c.size, dtype=float)
    used = n > 0
    c, n, t = c[used], n[used], t[used]
    failed = dict(
        slope=math.nan,
        slope_low=math.nan,
        slope_high=math.nan,
        p_value=math.nan,
        dispersion=math.nan,
        fitted_first=math.nan,
        fitted_last=math.nan,
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
            intercept, slope, p_value = (
                float(result.params[0]),
                float(result.params[1]),
                float(result.pvalues[1]),
            )
    except (ValueError, np.linalg.LinAlgError) as exc:  # statsmodels' fitting failures
        return dict(failed, note=f"fit failed: {exc}")
    if not all(math.isfinite(v) for v in (slope, low, high)):
        return dict(failed, note="fit failed: non-finite estimate")

    def fitted(x):
        return 1 / (1 + math.exp(-(intercept + slope * x)))

    return dict(
        slope=slope,
        slope_low=float(low),
        slope_high=float(high),
        p_value=p_value,
        dispersion=scale,
        fitted_first=fitted(t[0]),
        fitted_last=fitted(t[-1]),
        note=note,
    )


def _statsmodels():
    from landscape.errors import require

    require("statsmodels", package="statsmodels")
    import statsmodels.api as sm

    return sm


def verdict(
    fit: dict,
    n_bins: int,
    papers: int,
    span: int,
    share_first: float,
    share_last: float,
    min_bins: int = MIN_BINS,
    min_papers: int = MIN_PAPERS,
    min_change: float = MIN_CHANGE,
) -> tuple[str, str]:
    """``(verdict, reason)`` of one key's window fit: the one verdict rule (module docstring).

    ``span`` is the number of bins between the window's first and last bins with papers.
    """
    if n_bins < min_bins:
        return "too little data", f"{n_bins} bins with papers in the window, {min_bins} needed"
    if papers < min_papers:
        return "too little data", f"{papers} papers in the window, {min_papers} needed"
    if not math.isfinite(fit["slope"]):
        return "too little data", fit.get("note") or "the fit failed"
    if fit["slope_low"] <= 0 <= fit["slope_high"]:
        return "stable", "the interval of the fitted change includes 0"
    change = math.exp(abs(fit["slope"]) * max(span, 1)) - 1
    if change < min_change:
        return "stable", f"the fitted odds change by {change:.0%} across the window, under {min_change:.0%}"
    rising = fit["slope_low"] > 0
    moved = share_last - share_first
    if (moved <= 0) if rising else (moved >= 0):
        way = "rises" if rising else "falls"
        went = "did not move" if moved == 0 else ("fell" if moved < 0 else "rose")
        return "mixed", (
            f"the fitted share {way} but the share {went} between the window's end bins "
            f"({share_first:.1%} to {share_last:.1%})"
        )
    return ("emerging", "") if rising else ("fading", "")


def window_bins(bins, window, include_partial: bool = False) -> tuple[int, int]:
    """``(start, stop)`` indices of the growth window: the last ``window`` bins, partial bins at
    either end left out unless ``include_partial``."""

    lo, hi = 0, len(bins)
    if not include_partial and "partial" in bins.columns:
        partial = bins["partial"].to_numpy(dtype=bool)
        while lo < hi and partial[lo]:
            lo += 1
        while hi > lo and partial[hi - 1]:
            hi -= 1
        if hi == lo:  # every bin is partial (a one-bin corpus): use what there is
            lo, hi = 0, len(bins)
    return max(lo, hi - _window(window)), hi


def growth_from_shares(
    shares,
    window: int | None = None,
    level: float = DEFAULT_LEVEL,
    min_papers: int = MIN_PAPERS,
    min_bins: int = MIN_BINS,
    min_change: float = MIN_CHANGE,
    dispersion: str = "binomial",
    include_partial: bool = False,
):
    """:func:`growth` on a frame from :func:`topic_shares` (saves recounting)."""
    import numpy as np
    import pandas as pd

    window = _window(window)
    check_int("min_bins", min_bins, 2)
    if not (isinstance(min_change, numbers.Real) and min_change >= 0):
        raise LandscapeError(f"min_change must be a number >= 0; got {min_change!r}")
    check_option("dispersion", dispersion, DISPERSIONS)
    attrs = {k: shares.attrs.get(k) for k in ("freq", "by", "excluded_precision", "undated")}
    if shares.empty:
        return empty_frame(GROWTH_COLUMNS, window=window, **attrs)
    bins, keys, labels, counts, totals = share_matrix(shares)
    start, stop = window_bins(bins, window, include_partial)
    counts, totals = counts[start:stop], totals[start:stop]
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
            fit = dict(fit_growth([], [], level, dispersion), note="")
        share = np.divide(c[with_papers], totals[with_papers]) if n_bins else np.array([math.nan])
        first, last = float(share[0]), float(share[-1])
        what, why = verdict(fit, n_bins, papers, span, first, last, min_bins, min_papers, min_change)
        rows.append(
            dict(
                key=key,
                label=labels[key],
                window_start=bins["bin"].iloc[start],
                window_end=bins["bin"].iloc[stop - 1],
                n_bins=n_bins,
                papers=papers,
                share_first=first,
                share_last=last,
                odds_ratio=math.exp(fit["slope"]) if math.isfinite(fit["slope"]) else math.nan,
                verdict=what,
                reason=why,
                **fit,
            )
        )
    frame = pd.DataFrame(rows)[GROWTH_COLUMNS]
    frame.attrs.update(window=window, level=level, min_papers=min_papers, min_bins=min_bins, **attrs)
    return frame


def growth(
    data,
    freq: str | None = None,
    window: int | None = None,
    by: str = "topic",
    level: float = DEFAULT_LEVEL,
    min_papers: int = MIN_PAPERS,
    min_bins: int = MIN_BINS,
    min_change: float = MIN_CHANGE,
    dispersion: str = "binomial",
    include_partial: bool = False,
):
    """Growth of every topic (or area) over the last ``window`` complete bins, with a verdict.

    Columns: ``key, label, window_start, window_end, n_bins, papers, share_first, share_last,
    fitted_first, fitted_last, slope, slope_low, slope_high, odds_ratio, p_value, dispersion,
    verdict, reason, note``. The slope is the change in log-odds of the key's share per bin
    (``odds_ratio`` = exp(slope)); see the module docstring for the model and the verdict rule.
    """
    shares = topic_shares(data, _freq(freq), by, level)
    return growth_from_shares(
        shares, window, level, min_papers, min_bins, min_change, dispersion, include_partial
    )


# ---- bursts ---------------------------------------------------------------------------------------
def bursts_from_shares(shares, s: float = DEFAULT_S, gamma: float = DEFAULT_GAMMA):
    """:func:`bursts` on a frame from :func:`topic_shares`."""
    import pandas as pd

    from landscape.analysis.bursts import _check_params

    _check_params(s, gamma)
    attrs = {k: shares.attrs.get(k) for k in ("freq", "by", "excluded_precision", "undated")}
    if shares.empty:
        return empty_frame(BURST_COLUMNS, s=s, gamma=gamma, **attrs)
    bins, keys, labels, counts, totals = share_matrix(shares)
    rows = []
    for j, key in enumerate(keys):
        c = counts[:, j]
        p0 = median_baseline(c, totals)
        baseline = p0 if p0 is not None else (c.sum() / totals.sum() if totals.sum() else 0.0)
        for burst in find_bursts(c, totals, s, gamma, p0):
            inside = slice(burst.start, burst.end + 1)
            share = float(c[inside].sum() / totals[inside].sum())
            rows.append(
                dict(
                    key=key,
                    label=labels[key],
                    kind="level" if is_level(burst, len(bins)) else "burst",
                    start=bins["bin"].iloc[burst.start],
                    end=bins["bin"].iloc[burst.end],
                    bin_start=bins["bin_start"].iloc[burst.start],
                    bin_end=bins["bin_end"].iloc[burst.end],
                    n_bins=burst.end - burst.start + 1,
                    strength=burst.weight,
                    papers=int(c[inside].sum()),
                    share=share,
                    baseline=float(baseline),
                    ratio=share / baseline if baseline > 0 else math.inf,
                    ongoing=burst.end == len(bins) - 1,
                )
            )
    if not rows:
        return empty_frame(BURST_COLUMNS, s=s, gamma=gamma, n_bins=len(bins), **attrs)
    frame = pd.DataFrame(rows)[BURST_COLUMNS]
    frame.attrs.update(s=s, gamma=gamma, n_bins=len(bins), keys=keys, **attrs)
    return frame


def bursts(
    data, freq: str | None = None, by: str = "topic", s: float = DEFAULT_S, gamma: float = DEFAULT_GAMMA
):
    """Kleinberg burst intervals of every topic (or area), in key then time order.

    Columns: ``key, label, kind`` (``burst``, or ``level`` for a run over more than 60% of the
    bins), ``start, end`` (bin labels, inclusive), ``bin_start, bin_end`` (the interval's time span,
    end exclusive), ``n_bins``, ``strength`` (the burst weight), ``papers`` (the key's papers inside
    the run), ``share`` (its share inside), ``baseline`` (its usual share), ``ratio``, ``ongoing``
    (the run reaches the last bin).
    """
    return bursts_from_shares(topic_shares(data, _freq(freq), by), s, gamma)


def only(frame, kind: str):
    """The runs of one ``kind`` (``burst`` or ``level``) of a :func:`bursts` frame, attrs kept."""
    check_option("kind", kind, BURST_KINDS)
    out = frame[frame["kind"] == kind].reset_index(drop=True) if not frame.empty else frame.copy()
    out.attrs.update(frame.attrs)
    return out


# ---- ranking, emerging and fading lists -----------------------------------------------------------
def _scaled(values):
    """Values divided by their spread (standard deviation), clipped to +-3; 0 stays 0, NaN is 0."""
    import numpy as np

    x = np.asarray(values, dtype=float)
    finite = np.isfinite(x)
    out = np.zeros_like(x)
    if finite.sum() >= 2:
        sd = x[finite].std()
        if sd > 0:
            out[finite] = np.clip(x[finite] / sd, -3, 3)
    return out


def ranking_from_frames(shares, growth_frame, burst_frame, recent: int | None = None):
    """Every assigned key with papers and its ranking score (module docstring), best first."""
    import numpy as np
    import pandas as pd

    window = growth_frame.attrs.get("window") or DEFAULT_WINDOW
    recent = max(1, window // 2) if recent is None else check_int("recent", recent, 1)
    attrs = {k: shares.attrs.get(k) for k in ("freq", "by", "excluded_precision", "undated")}
    if shares.empty or growth_frame.empty:
        return empty_frame(RANKING_COLUMNS, recent=recent, window=window, **attrs)
    bins, keys, labels, counts, totals = share_matrix(shares)
    stop = int(bins.index[bins["bin"] == growth_frame["window_end"].iloc[0]][0]) + 1
    first_recent = max(0, stop - recent)
    corpus_recent = totals[first_recent:stop].sum() / totals[:stop].sum()
    fits = growth_frame.set_index("key")
    position = {b: i for i, b in enumerate(bins["bin"])}
    if not burst_frame.empty:
        burst_frame = only(burst_frame, "burst")
    rows = []
    for j, key in enumerate(keys):
        papers = int(counts[:stop, j].sum())
        if key in UNASSIGNED_KEYS or papers == 0:
            continue
        recent_papers = int(counts[first_recent:stop, j].sum())
        fit = fits.loc[key]
        mine = burst_frame[burst_frame["key"] == key] if not burst_frame.empty else burst_frame
        if not mine.empty:  # a burst counts when it reaches into the recent bins
            mine = mine[mine["end"].map(position).to_numpy() >= first_recent]
        strongest = mine.loc[mine["strength"].idxmax()] if not mine.empty else None
        novelty = (recent_papers / papers) / corpus_recent if corpus_recent > 0 else math.nan
        rows.append(
            dict(
                key=key,
                label=labels[key],
                **{c: fit[c] for c in RANKING_COLUMNS if c in GROWTH_COLUMNS and c not in ("key", "label")},
                burst_strength=float(mine["strength"].sum()) if not mine.empty else 0.0,
                burst_start=strongest["start"] if strongest is not None else None,
                burst_end=strongest["end"] if strongest is not None else None,
                recent_papers=recent_papers,
                novelty=novelty,
            )
        )
    if not rows:
        return empty_frame(RANKING_COLUMNS, recent=recent, window=window, **attrs)
    frame = pd.DataFrame(rows)
    frame["growth_score"] = _scaled(frame["slope"])
    frame["burst_score"] = _scaled(frame["burst_strength"])
    frame["novelty_score"] = _scaled(
        np.log2(np.maximum(frame["novelty"].to_numpy(dtype=float), _NOVELTY_FLOOR))
    )
    frame["score"] = frame["growth_score"] + frame["burst_score"] + frame["novelty_score"]
    frame = frame.sort_values(["score", "papers"], ascending=[False, False], kind="stable").reset_index(
        drop=True
    )
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame = frame[RANKING_COLUMNS]
    frame.attrs.update(recent=recent, recent_start=bins["bin"].iloc[first_recent], window=window, **attrs)
    return frame


def emerging_list(ranking, top: int | None = None):
    """The keys whose verdict is ``emerging``, highest ranking score first (never unassigned)."""
    return _listed(ranking, "emerging", top)


def fading_list(ranking, top: int | None = None):
    """The keys whose verdict is ``fading``, lowest ranking score first (never unassigned)."""
    return _listed(ranking, "fading", top)


def _listed(ranking, what: str, top):
    rows = ranking[(ranking["verdict"] == what) & ~ranking["key"].isin(UNASSIGNED_KEYS)]
    rows = rows.sort_values("score", ascending=what == "fading", kind="stable").reset_index(drop=True)
    if top is not None:
        rows = rows.head(check_int("top", top, 1))
    rows.attrs.update(ranking.attrs, verdict=what)
    return rows


def ranking(
    data,
    freq: str | None = None,
    window: int | None = None,
    by: str = "topic",
    recent: int | None = None,
    s: float = DEFAULT_S,
    gamma: float = DEFAULT_GAMMA,
    level: float = DEFAULT_LEVEL,
    include_partial: bool = False,
):
    """Every topic (or area) with its ranking score, best first. Columns: ``RANKING_COLUMNS``."""
    shares = topic_shares(data, _freq(freq), by, level)
    growth_frame = growth_from_shares(shares, window, level, include_partial=include_partial)
    return ranking_from_frames(shares, growth_frame, bursts_from_shares(shares, s, gamma), recent)


def emerging_topics(
    data, freq: str | None = None, window: int | None = None, by: str = "topic", top=None, **kw
):
    """The emerging list (:func:`emerging_list`) of a landscape; ``kw`` as for :func:`ranking`."""
    return emerging_list(ranking(data, freq, window, by, **kw), top)


def fading_topics(
    data, freq: str | None = None, window: int | None = None, by: str = "topic", top=None, **kw
):
    """The fading list (:func:`fading_list`) of a landscape; ``kw`` as for :func:`ranking`."""
    return fading_list(ranking(data, freq, window, by, **kw), top)


# ---- summary --------------------------------------------------------------------------------------
def plural(n: int, word: str) -> str:
    """``"1 paper"``, ``"2 papers"``: counts in words for notes, captions and tables."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def trend_summary(
    data,
    freq: str | None = None,
    window: int | None = None,
    s: float = DEFAULT_S,
    gamma: float = DEFAULT_GAMMA,
    level: float = DEFAULT_LEVEL,
    recent: int | None = None,
    source: str | None = None,
    include_partial: bool = False,
):
    """Everything the trends notebook and the CLI show, as a dict.

    Keys: ``info`` (one row: freq, window, bins, window bins, partial and thin bins, papers, what
    was left out, source, and ``notes`` and ``warnings``: sentences, one a line), ``shares``,
    ``growth``, ``ranking``, ``emerging``, ``fading``, ``bursts``, ``levels``, the same per research
    area with an ``area_`` prefix (empty when the documents have no ``area``), and
    ``composition`` (sources and date precisions per bin). With ``source``, only that source's
    papers are counted (:func:`landscape.analysis.composition.within_source`). Raises
    ``LandscapeError`` when no paper can be placed in a ``freq`` bin; a corpus with fewer than 3
    bins gives a note and "too little data".
    """
    import pandas as pd

    from landscape.analysis.composition import composition, composition_warnings, within_source

    freq, window = _freq(freq), _window(window)
    if source is not None:
        data = within_source(data, source)
    docs, _, _ = tables(data)
    out = {}
    for prefix, by in (("", "topic"), ("area_", "area")):
        if by == "area" and "area" not in docs.columns:
            for name, columns in (
                ("shares", SHARE_COLUMNS),
                ("growth", GROWTH_COLUMNS),
                ("ranking", RANKING_COLUMNS),
                ("emerging", RANKING_COLUMNS),
                ("fading", RANKING_COLUMNS),
                ("bursts", BURST_COLUMNS),
                ("levels", BURST_COLUMNS),
            ):
                out[prefix + name] = empty_frame(columns, by=by, freq=freq)
            continue
        shares = topic_shares(data, freq, by, level)
        if shares.empty:
            a = shares.attrs
            raise LandscapeError(
                f"no papers can be placed in {freq} bins: {len(docs)} papers, {a['undated']} without a date, "
                f"{a['excluded_precision']} dated less precisely than a {freq}"
                + (" (try --freq year)" if freq != "year" and a["excluded_precision"] else "")
            )
        growth_frame = growth_from_shares(shares, window, level, include_partial=include_partial)
        runs = bursts_from_shares(shares, s, gamma)
        ranked = ranking_from_frames(shares, growth_frame, runs, recent)
        out[prefix + "shares"] = shares
        out[prefix + "growth"] = growth_frame
        out[prefix + "ranking"] = ranked
        out[prefix + "emerging"] = emerging_list(ranked)
        out[prefix + "fading"] = fading_list(ranked)
        out[prefix + "bursts"] = only(runs, "burst") if not runs.empty else runs
        out[prefix + "levels"] = only(runs, "level") if not runs.empty else runs
    shares = out["shares"]
    a = shares.attrs
    bins = shares["bin"].drop_duplicates().tolist()
    out["composition"] = composition(data, freq)
    notes = []
    if a["n_bins"] < MIN_BINS:
        notes.append(
            f"only {plural(a['n_bins'], freq + ' bin')} ({', '.join(bins)}): growth and "
            f"bursts need at least {MIN_BINS} bins with papers"
        )
    if a["partial_bins"]:
        n = len(a["partial_bins"])
        notes.append(
            f"partial bin{'s' * (n > 1)} {', '.join(a['partial_bins'])} (the corpus covers under "
            f"{PARTIAL_COVERAGE:.0%} of {'them' if n > 1 else 'it'})"
            + ("" if include_partial else ": left out of the growth verdicts")
        )
    if a["thin_bins"]:
        notes.append(f"thin bins (under {THIN_BIN} papers): {', '.join(a['thin_bins'])}")
    if a["excluded_precision"]:
        notes.append(
            f"{plural(a['excluded_precision'], 'paper')} dated less precisely than a {freq} left out"
        )
    if a["undated"]:
        notes.append(f"{plural(a['undated'], 'paper')} without a date left out")
    growth_frame = out["growth"]
    out["info"] = pd.DataFrame(
        [
            dict(
                freq=freq,
                window=window,
                n_bins=a["n_bins"],
                first_bin=bins[0],
                last_bin=bins[-1],
                window_start=growth_frame["window_start"].iloc[0],
                window_end=growth_frame["window_end"].iloc[0],
                partial_bins=", ".join(a["partial_bins"]),
                thin_bins=", ".join(a["thin_bins"]),
                n_papers=a["n_papers"],
                excluded_precision=a["excluded_precision"],
                undated=a["undated"],
                source=source or "",
                s=s,
                gamma=gamma,
                notes="\n".join(notes),
                warnings="\n".join(composition_warnings(out["composition"])),
            )
        ]
    )
    return out
