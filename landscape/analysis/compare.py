"""What changed: topics that appeared, grew, shrank, went or merged, between two periods of one
landscape or between two landscapes (before and after ``landscape update``).

Two periods (:func:`compare_periods`)
    Each period is a run of bins (``"2019..2021"``, or one bin ``"2024"``); a topic's share of each
    period's papers is compared by the log odds ratio after / before with its Wald interval (0.5
    added to every cell when a count is 0, the Haldane-Anscombe correction). Status: ``appeared``
    (no papers before, at least ``MIN_PAPERS`` after), ``gone`` (the reverse), ``grew`` / ``shrank``
    (the interval excludes 0, the odds change by at least ``MIN_CHANGE``, and the shares moved that
    way), ``steady`` otherwise, ``too little data`` under ``MIN_PAPERS`` papers in both.

Two landscapes (:func:`compare_landscapes`)
    Topics are matched by id (``update`` keeps ids stable) and papers by ``id``. A topic of the
    earlier landscape whose papers mostly (over half of those still present) sit in another topic
    now has ``merged`` into it; otherwise its paper count decides: ``appeared`` (a new id),
    ``gone``, ``grew`` / ``shrank`` (by ``MIN_CHANGE`` and at least ``MIN_PAPERS`` papers),
    ``steady``.
"""

from __future__ import annotations

import math

from landscape.analysis.shares import UNASSIGNED_KEYS, check_option, empty_frame, share_matrix, topic_shares
from landscape.analysis.trends import DEFAULT_FREQ, DEFAULT_LEVEL, MIN_CHANGE, MIN_PAPERS
from landscape.errors import LandscapeError

STATUSES = ("appeared", "grew", "merged", "shrank", "gone", "steady", "too little data")
COMPARE_COLUMNS = [
    "key",
    "label",
    "status",
    "papers_before",
    "papers_after",
    "share_before",
    "share_after",
    "change",
    "change_low",
    "change_high",
    "into",
    "into_label",
]


def parse_periods(text: str) -> tuple[str, str]:
    """``"2019..2021,2022..2024"`` (or ``"2021,2024"``) -> the two period strings."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2 or not all(parts):
        raise LandscapeError(
            f"--compare expects two periods like 2019..2021,2022..2024 (or a landscape folder); got {text!r}"
        )
    return parts[0], parts[1]


def _period(bins, text: str):
    """Indices of the bins a period names (``first..last`` inclusive, or one bin)."""
    first, _, last = str(text).partition("..")
    first, last = first.strip(), (last or first).strip()
    names = bins["bin"].tolist()
    for name in (first, last):
        if name not in names:
            raise LandscapeError(
                f"period {text!r}: no bin {name!r}; bins are {names[0]} to {names[-1]}"
                if names
                else "no bins"
            )
    lo, hi = names.index(first), names.index(last)
    if lo > hi:
        raise LandscapeError(f"period {text!r} ends before it starts")
    return slice(lo, hi + 1)


def _log_odds_ratio(a, n_a, b, n_b, level):
    """log((b / (n_b - b)) / (a / (n_a - a))) with its Wald interval; 0.5 added when a cell is 0."""
    from statistics import NormalDist

    cells = [a, n_a - a, b, n_b - b]
    if min(cells) == 0:
        cells = [c + 0.5 for c in cells]
    a, fa, b, fb = cells
    est = math.log(b / fb) - math.log(a / fa)
    half = NormalDist().inv_cdf(0.5 + level / 2) * math.sqrt(sum(1 / c for c in cells))
    return est, est - half, est + half


def _status(before, after, share_before, share_after, low, high, min_papers, min_change):
    if before == 0 and after >= min_papers:
        return "appeared"
    if after == 0 and before >= min_papers:
        return "gone"
    if max(before, after) < min_papers:
        return "too little data"
    big = math.exp(abs((low + high) / 2)) - 1 >= min_change
    if low > 0 and big and share_after > share_before:
        return "grew"
    if high < 0 and big and share_after < share_before:
        return "shrank"
    return "steady"


def compare_periods(
    data,
    before: str,
    after: str,
    freq: str = DEFAULT_FREQ,
    by: str = "topic",
    level: float = DEFAULT_LEVEL,
    min_papers: int = MIN_PAPERS,
    min_change: float = MIN_CHANGE,
):
    """Every topic (or area) in two periods of one landscape; columns ``COMPARE_COLUMNS``,
    appeared / grew first, then shrank / gone, largest change first (module docstring)."""
    shares = topic_shares(data, freq, by, level)
    if shares.empty:
        raise LandscapeError(f"no papers can be placed in {freq} bins")
    bins, keys, labels, counts, totals = share_matrix(shares)
    one, two = _period(bins, before), _period(bins, after)
    n_one, n_two = totals[one].sum(), totals[two].sum()
    if not (n_one and n_two):
        raise LandscapeError(f"a period without papers: {before} has {int(n_one)}, {after} has {int(n_two)}")
    rows = []
    for j, key in enumerate(keys):
        if key in UNASSIGNED_KEYS:
            continue
        a, b = int(counts[one, j].sum()), int(counts[two, j].sum())
        est, low, high = _log_odds_ratio(a, n_one, b, n_two, level)
        sa, sb = a / n_one, b / n_two
        rows.append(
            dict(
                key=key,
                label=labels[key],
                status=_status(a, b, sa, sb, low, high, min_papers, min_change),
                papers_before=a,
                papers_after=b,
                share_before=sa,
                share_after=sb,
                change=est,
                change_low=low,
                change_high=high,
                into=None,
                into_label=None,
            )
        )
    label = {"before": f"{bins['bin'].iloc[one.start]}..{bins['bin'].iloc[one.stop - 1]}"}
    label["after"] = f"{bins['bin'].iloc[two.start]}..{bins['bin'].iloc[two.stop - 1]}"
    return _ordered(rows, by=by, freq=freq, before=label["before"], after=label["after"], level=level)


def _ordered(rows, **attrs):
    import pandas as pd

    if not rows:
        return empty_frame(COMPARE_COLUMNS, **attrs)
    frame = pd.DataFrame(rows)[COMPARE_COLUMNS]
    order = frame["status"].map({s: i for i, s in enumerate(STATUSES)})
    size = -(frame["papers_after"] - frame["papers_before"]).abs()
    frame = (
        frame.assign(_o=order, _s=size)
        .sort_values(["_o", "_s", "key"], kind="stable")
        .drop(columns=["_o", "_s"])
        .reset_index(drop=True)
    )
    frame.attrs.update(attrs)
    return frame


def compare_landscapes(before, after, min_papers: int = MIN_PAPERS, min_change: float = MIN_CHANGE):
    """Topics of two landscapes of the same field (``before`` and ``after`` an update), matched by
    topic id and paper id; columns ``COMPARE_COLUMNS`` (``change`` is the log ratio of paper counts;
    no interval: the counts are not samples), ordered as :func:`compare_periods`."""
    import pandas as pd

    for land in (before, after):
        if not hasattr(land, "documents") or "topic" not in land.documents.columns:
            raise LandscapeError("compare_landscapes needs two landscapes with a 'topic' column")
    old = before.documents[["id", "topic"]].drop_duplicates("id").set_index("id")["topic"].astype(int)
    new = after.documents[["id", "topic"]].drop_duplicates("id").set_index("id")["topic"].astype(int)
    label = {}
    for land in (before, after):
        label.update(
            {int(t): str(v) for t, v in zip(land.topics["topic"], land.topics["label"], strict=True)}
        )
    size_old, size_new = old.value_counts(), new.value_counts()
    common = old.index.intersection(new.index)
    moved = pd.crosstab(old.loc[common], new.loc[common])
    n_old, n_new = len(old), len(new)
    rows = []
    keys = sorted((set(size_old.index) | set(size_new.index)) - set(UNASSIGNED_KEYS))
    for key in keys:
        a, b = int(size_old.get(key, 0)), int(size_new.get(key, 0))
        into = None
        if key in moved.index and a:
            row = moved.loc[key].drop(labels=list(UNASSIGNED_KEYS), errors="ignore")
            stayed = int(row.get(key, 0))
            if (
                len(row)
                and row.max() * 2 > moved.loc[key].sum()
                and row.idxmax() != key
                and stayed < row.max()
            ):
                into = int(row.idxmax())
        if into is not None:
            status = "merged"
        elif a == 0 and b:
            status = "appeared"
        elif b == 0 and a:
            status = "gone"
        elif max(a, b) < min_papers:
            status = "too little data"
        elif abs(b - a) >= min_papers and b >= a * (1 + min_change):
            status = "grew"
        elif abs(b - a) >= min_papers and b * (1 + min_change) <= a:
            status = "shrank"
        else:
            status = "steady"
        rows.append(
            dict(
                key=key,
                label=label.get(key, f"topic {key}"),
                status=status,
                papers_before=a,
                papers_after=b,
                share_before=a / n_old if n_old else math.nan,
                share_after=b / n_new if n_new else math.nan,
                change=math.log(b / a) if a and b else math.nan,
                change_low=math.nan,
                change_high=math.nan,
                into=into,
                into_label=label.get(into) if into is not None else None,
            )
        )
    names = {"before": getattr(before, "name", "before"), "after": getattr(after, "name", "after")}
    return _ordered(rows, by="topic", landscapes=True, **names)


def compare(data, spec, freq: str = DEFAULT_FREQ, by: str = "topic"):
    """``spec`` is two periods (``"2019..2021,2022..2024"``) or an earlier landscape to compare with."""
    if hasattr(spec, "documents"):
        return compare_landscapes(spec, data)
    check_option("by", by, ("topic", "area"))
    before, after = parse_periods(spec)
    return compare_periods(data, before, after, freq, by)
