"""Trends as a reader sees them: report tables, the text ``landscape trends`` prints and its JSON.

Every table here is built from the lists of :mod:`landscape.analysis.trends` (the emerging and
fading lists, bursts, levels, the growth table, a comparison) and nothing else, so the CLI text, the
JSON and the notebook show the same items in the same order. Tables are DataFrames of display
strings with human column names: shares as percentages, fitted changes as
``+0.38 [0.31, 0.45] per year``, counts with their noun in the singular or plural. The CLI prints
them as text; the notebook renders them as escaped HTML (:func:`table_html`).
"""

from __future__ import annotations

import math

from landscape.analysis.trends import DEFAULT_TOP, UNASSIGNED_KEYS, check_int, plural

_WORD = {"year": "yearly", "quarter": "quarterly", "month": "monthly"}
_WHAT = {"topic": ("topic", "topics", "Topic"), "area": ("research area", "research areas", "Research area")}


# ---- cells ----------------------------------------------------------------------------------------
def plain(text, width: int | None = 40) -> str:
    """Text safe for a terminal: no control characters, one line, at most ``width`` characters."""
    clean = "".join(ch if ch.isprintable() else " " for ch in str(text)).strip()
    return clean if width is None or len(clean) <= width else clean[: width - 1] + "…"


def name(key, label, width: int | None = None) -> str:
    """``"3: label"`` for a topic, the name itself for a research area or unassigned papers."""
    text = str(label) if isinstance(key, str) or key in UNASSIGNED_KEYS else f"{key}: {label}"
    return plain(text, width)


def percent(value) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.1%}" if value >= 0.001 or value == 0 else f"{value:.2%}"


def shares(first, last) -> str:
    """``"2.7% → 3.2%"``."""
    if not (math.isfinite(first) and math.isfinite(last)):
        return ""
    return f"{percent(first)} → {percent(last)}"


def change(value, low, high, unit: str) -> str:
    """``"+0.38 [0.31, 0.45] per year"``; empty when there is no estimate."""
    if value is None or not math.isfinite(value):
        return ""
    interval = f" [{low:.2f}, {high:.2f}]" if math.isfinite(low) and math.isfinite(high) else ""
    return f"{value:+.2f}{interval} {unit}".rstrip()


def span(start, end) -> str:
    return str(start) if start == end else f"{start}–{end}"


def _freq(summary) -> str:
    return summary["info"].iloc[0]["freq"]


def _what(by: str):
    return _WHAT["area" if by == "area" else "topic"]


def _prefix(by: str) -> str:
    return "area_" if by == "area" else ""


# ---- report tables --------------------------------------------------------------------------------
def verdict_table(rows, freq: str, by: str = "topic", width: int | None = None):
    """The emerging or fading list (or any ranking rows) as a report table, in the list's order."""
    import pandas as pd

    head = _what(by)[2]
    level = rows.attrs.get("level", 0.95)
    out = pd.DataFrame(
        {
            "#": range(1, len(rows) + 1),
            head: [name(k, lab, width) for k, lab in zip(rows["key"], rows["label"], strict=True)],
            "Papers in window": [f"{int(p):,}" for p in rows["papers"]],
            "Share, start → end of window": [
                shares(a, b) for a, b in zip(rows["share_first"], rows["share_last"], strict=True)
            ],
            f"Fitted change (log-odds of the share, {level:.0%} interval)": [
                change(s, lo, hi, f"per {freq}")
                for s, lo, hi in zip(rows["slope"], rows["slope_low"], rows["slope_high"], strict=True)
            ],
            "Recent burst": [
                span(a, b) if isinstance(a, str) else ""
                for a, b in zip(rows["burst_start"], rows["burst_end"], strict=True)
            ],
            "Score": [f"{s:+.2f}" for s in rows["score"]],
        }
    )
    if not out["Recent burst"].any():  # fading topics rarely burst: no empty column
        out = out.drop(columns="Recent burst")
    if not rows.empty:
        window = f"{rows['window_start'].iloc[0]} → {rows['window_end'].iloc[0]}"
        out = out.rename(columns={"Share, start → end of window": f"Share, {window}"})
    return out


def growth_table(growth, freq: str, by: str = "topic", width: int | None = None):
    """Every key's verdict with what it rests on, in the growth frame's order."""
    import pandas as pd

    level = growth.attrs.get("level", 0.95)
    window = f"{growth['window_start'].iloc[0]} → {growth['window_end'].iloc[0]}" if len(growth) else ""
    return pd.DataFrame(
        {
            _what(by)[2]: [
                name(k, lab, width) for k, lab in zip(growth["key"], growth["label"], strict=True)
            ],
            "Verdict": list(growth["verdict"]),
            "Papers in window": [f"{int(p):,}" for p in growth["papers"]],
            f"Share, {window}": [
                shares(a, b) for a, b in zip(growth["share_first"], growth["share_last"], strict=True)
            ],
            f"Fitted change ({level:.0%} interval)": [
                change(s, lo, hi, f"per {freq}")
                for s, lo, hi in zip(growth["slope"], growth["slope_low"], growth["slope_high"], strict=True)
            ],
            "Why": list(growth["reason"]),
        }
    )


def burst_table(runs, by: str = "topic", width: int | None = None):
    """Bursts (or levels) as a report table, strongest first."""
    import pandas as pd

    return pd.DataFrame(
        {
            _what(by)[2]: [name(k, lab, width) for k, lab in zip(runs["key"], runs["label"], strict=True)],
            "When": [
                span(a, b) + (" (ongoing)" if ongoing else "")
                for a, b, ongoing in zip(runs["start"], runs["end"], runs["ongoing"], strict=True)
            ],
            "Share then vs usual": [
                f"{percent(s)} vs {percent(b)}" + (f" ({r:.1f}×)" if math.isfinite(r) else "")
                for s, b, r in zip(runs["share"], runs["baseline"], runs["ratio"], strict=True)
            ],
            "Papers": [plural(int(p), "paper") for p in runs["papers"]],
            "Strength": [f"{s:.1f}" for s in runs["strength"]],
        }
    )


def strongest(runs, top: int | None = DEFAULT_TOP):
    """Bursts or levels, strongest first (unassigned papers left out): the order every view uses."""
    if runs.empty:
        return runs
    keep = runs[~runs["key"].isin(UNASSIGNED_KEYS)].sort_values("strength", ascending=False, kind="stable")
    return keep.head(top) if top else keep


def compare_table(frame, width: int | None = None):
    """A comparison (:mod:`landscape.analysis.compare`) as a report table, in its order."""
    import pandas as pd

    by = frame.attrs.get("by", "topic")
    into = [
        name(int(i), lab) if isinstance(lab, str) else ""
        for i, lab in zip(frame["into"], frame["into_label"], strict=True)
    ]
    unit = "log ratio of papers" if frame.attrs.get("landscapes") else "log odds ratio, 95% interval"
    return pd.DataFrame(
        {
            _what(by)[2]: [name(k, lab, width) for k, lab in zip(frame["key"], frame["label"], strict=True)],
            "What changed": [
                s + (f" into {t}" if t else "") for s, t in zip(frame["status"], into, strict=True)
            ],
            "Papers, before → after": [
                f"{int(a):,} → {int(b):,}"
                for a, b in zip(frame["papers_before"], frame["papers_after"], strict=True)
            ],
            "Share, before → after": [
                shares(a, b) for a, b in zip(frame["share_before"], frame["share_after"], strict=True)
            ],
            f"Change ({unit})": [
                change(v, lo, hi, "")
                for v, lo, hi in zip(frame["change"], frame["change_low"], frame["change_high"], strict=True)
            ],
        }
    )


def info_table(summary):
    """What the trends are computed on, as two columns of plain sentences."""
    import pandas as pd

    info = summary["info"].iloc[0]
    rows = [("Papers", _overview(info)), ("Growth window", span(info["window_start"], info["window_end"]))]
    if info["source"]:
        rows.append(("Source", f"only papers from {info['source']}"))
    rows += [("Note", n) for n in _split(info["notes"])]
    rows += [("Warning", w) for w in _split(info["warnings"])]
    return pd.DataFrame(rows, columns=["", "Details"])


def _overview(info) -> str:
    bins = plural(int(info["n_bins"]), _WORD[info["freq"]] + " bin")
    return f"{plural(int(info['n_papers']), 'paper')} in {bins} ({info['first_bin']} to {info['last_bin']})"


def _split(text) -> list[str]:
    return [t for t in str(text).split("\n") if t] if isinstance(text, str) else []


def caption(rows, what: str, by: str = "topic") -> str:
    """``"3 emerging topics"``, ``"1 burst"``, ``"no fading research areas"``."""
    one, many, _ = _what(by)
    noun = f"{what} {one}" if what else one
    if len(rows) == 0:
        return f"no {what} {many}".replace("  ", " ")
    return plural(len(rows), noun).replace(f"{one}s", many)


def table_html(frame, caption_text: str):
    """A report table as escaped HTML (the notebooks' table template)."""
    from landscape.present.notebook import frame_table

    return frame_table(frame, caption=caption_text)


# ---- what the notebook shows ----------------------------------------------------------------------
def listed(summary, what: str, by: str = "topic", top: int = DEFAULT_TOP):
    """The first ``top`` rows of a list of a summary (``emerging``, ``fading``, ``bursts``,
    ``levels``): the items every table and chart of that list shows, in their order."""
    check_int("top", top, 1)
    frame = summary[_prefix(by) + what]
    if what in ("bursts", "levels"):
        return strongest(frame, top)
    return frame.head(top)


def report_table(summary, what: str, by: str = "topic", top: int = DEFAULT_TOP):
    """One list of a summary (``emerging``, ``fading``, ``bursts``, ``levels``, or ``growth``: every
    verdict) as an HTML table for the trends notebook."""
    freq = _freq(summary)
    if what == "growth":
        growth = summary[_prefix(by) + "growth"]
        return table_html(growth_table(growth, freq, by), f"Growth verdicts of every {_what(by)[0]}")
    rows = listed(summary, what, by, top)
    if what in ("bursts", "levels"):
        frame = burst_table(rows, by)
        noun = "burst" if what == "bursts" else "level"
        text = plural(len(rows), noun) if len(rows) else f"no {noun}s found"
        text += "" if what == "bursts" else " (above the usual share for most of the range: not a burst)"
        return table_html(frame, text)
    return table_html(
        verdict_table(rows, freq, by), caption(rows, what[:-1] if what.endswith("s") else what, by)
    )


# ---- text (what `landscape trends` prints) ---------------------------------------------------------
def _text(frame, empty: str, width: int = 40) -> str:
    if frame.empty:
        return f"  ({empty})"
    text = frame.to_string(index=False)
    return "\n".join("  " + line.rstrip() for line in text.splitlines())


def format_summary(summary: dict, top: int = DEFAULT_TOP, title: str | None = None) -> str:
    """A readable text report of a trend summary: emerging and fading lists, bursts, warnings."""
    check_int("top", top, 1)
    info = summary["info"].iloc[0]
    freq = info["freq"]
    head = f"{plain(title, 80)}: " if title else ""
    lines = [f"{head}{_overview(info)}; growth window {info['window_start']} to {info['window_end']}"]
    if info["source"]:
        lines.append(f"only papers from source {plain(info['source'], 60)}")
    lines += [f"note: {n}" for n in _split(info["notes"])]
    lines += [f"warning: {w}" for w in _split(info["warnings"])]
    for by in ("topic", "area"):
        growth = summary[_prefix(by) + "growth"]
        if by == "area" and growth.empty:
            continue
        _, many, _ = _what(by)
        ranking = summary[_prefix(by) + "ranking"]
        recent = ranking.attrs.get("recent_start", info["last_bin"])
        emerging, fading = listed(summary, "emerging", by, top), listed(summary, "fading", by, top)
        runs = listed(summary, "bursts", by, top)
        lines += [
            "",
            f"Emerging {many} (score = growth + recent burst + novelty; recent = from {recent})",
            _text(verdict_table(emerging, freq, by, width=40), f"no emerging {many}"),
            "",
            f"Fading {many} (lowest score first)",
            _text(verdict_table(fading, freq, by, width=40), f"no fading {many}"),
            "",
            f"Strongest bursts of {many} (Kleinberg, s={info['s']:g}, gamma={info['gamma']:g}; "
            f"{plural(len(strongest(summary[_prefix(by) + 'bursts'], None)), 'burst')})",
            _text(burst_table(runs, by, width=40), "no bursts found"),
        ]
        mixed = growth[growth["verdict"] == "mixed"]
        if len(mixed):
            lines += ["", f"Mixed {many} (the fitted trend and the end-point shares disagree)"]
            lines += [
                f"  {name(k, lab, 40)}: {r}"
                for k, lab, r in zip(mixed["key"], mixed["label"], mixed["reason"], strict=True)
            ]
    return "\n".join(lines)


def format_compare(frame, top: int = DEFAULT_TOP) -> str:
    """A comparison as text: what changed, the changed items first."""
    return f"{_compare_heading(frame)}\n{_text(compare_table(_changed(frame, top), width=40), 'no changes')}"


def _changed(frame, top):
    return frame[~frame["status"].isin(["steady", "too little data"])].head(top)


def _compare_heading(frame) -> str:
    """``"What changed, 2021..2022 → 2023..2024: 1 appeared, 2 grew, 5 steady"``."""
    from landscape.analysis.compare import STATUSES

    counts = frame["status"].value_counts()
    parts = [f"{counts[s]} {s}" for s in STATUSES if s in counts]
    a = frame.attrs
    return f"What changed, {plain(a.get('before'), 60)} → {plain(a.get('after'), 60)}: " + (
        ", ".join(parts) or "nothing to compare"
    )


# ---- JSON -----------------------------------------------------------------------------------------
def number(value):
    """JSON-safe scalar: NaN/None -> None, numpy numbers -> Python numbers."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _listed_records(frame, by: str) -> list[dict]:
    return [
        {
            "rank": i + 1,
            by: number(r.key),
            "label": r.label,
            "verdict": r.verdict,
            "window": [r.window_start, r.window_end],
            "share_first": number(r.share_first),
            "share_last": number(r.share_last),
            "fitted_first": number(r.fitted_first),
            "fitted_last": number(r.fitted_last),
            "slope": number(r.slope),
            "interval": [number(r.slope_low), number(r.slope_high)],
            "score": number(r.score),
            "components": {
                "growth": number(r.growth_score),
                "burst": number(r.burst_score),
                "novelty": number(r.novelty_score),
            },
            "burst": [r.burst_start, r.burst_end] if isinstance(r.burst_start, str) else None,
            "novelty": number(r.novelty),
            "recent_papers": number(r.recent_papers),
            "papers": number(r.papers),
        }
        for i, r in enumerate(frame.itertuples(index=False))
    ]


def _growth_records(frame, by: str) -> list[dict]:
    return [
        {
            by: number(r.key),
            "label": r.label,
            "verdict": r.verdict,
            "reason": r.reason,
            "share_first": number(r.share_first),
            "share_last": number(r.share_last),
            "fitted_first": number(r.fitted_first),
            "fitted_last": number(r.fitted_last),
            "slope": number(r.slope),
            "interval": [number(r.slope_low), number(r.slope_high)],
            "odds_ratio": number(r.odds_ratio),
            "p_value": number(r.p_value),
            "papers": number(r.papers),
            "note": r.note,
        }
        for r in frame.itertuples(index=False)
    ]


def _burst_records(frame, by: str) -> list[dict]:
    return [
        {
            by: number(r.key),
            "label": r.label,
            "kind": r.kind,
            "start": r.start,
            "end": r.end,
            "n_bins": number(r.n_bins),
            "strength": number(r.strength),
            "papers": number(r.papers),
            "share": number(r.share),
            "baseline": number(r.baseline),
            "ongoing": bool(r.ongoing),
        }
        for r in frame.itertuples(index=False)
    ]


def compare_records(frame) -> dict:
    by = frame.attrs.get("by", "topic")
    return {
        "before": frame.attrs.get("before"),
        "after": frame.attrs.get("after"),
        "items": [
            {
                by: number(r.key),
                "label": r.label,
                "status": r.status,
                "papers": [number(r.papers_before), number(r.papers_after)],
                "share": [number(r.share_before), number(r.share_after)],
                "change": number(r.change),
                "interval": [number(r.change_low), number(r.change_high)],
                "into": number(r.into),
            }
            for r in frame.itertuples(index=False)
        ],
    }


def summary_records(summary: dict, top: int = DEFAULT_TOP) -> dict:
    """The JSON form of a trend summary: the emerging and fading lists and the strongest bursts
    (the same items as the text, in the same order), every growth verdict, notes and warnings."""
    check_int("top", top, 1)
    info = summary["info"].iloc[0]
    out = {
        "freq": info["freq"],
        "window": number(info["window"]),
        "bins": {
            "first": info["first_bin"],
            "last": info["last_bin"],
            "count": number(info["n_bins"]),
            "window_start": info["window_start"],
            "window_end": info["window_end"],
            "partial": [b for b in info["partial_bins"].split(", ") if b],
            "thin": [b for b in info["thin_bins"].split(", ") if b],
        },
        "papers": number(info["n_papers"]),
        "excluded_precision": number(info["excluded_precision"]),
        "undated": number(info["undated"]),
        "source": info["source"] or None,
        "burst_parameters": {"s": number(info["s"]), "gamma": number(info["gamma"])},
        "notes": _split(info["notes"]),
        "warnings": _split(info["warnings"]),
    }
    for by, key in (("topic", "topics"), ("area", "areas")):
        out[key] = {
            "emerging": _listed_records(listed(summary, "emerging", by, top), by),
            "fading": _listed_records(listed(summary, "fading", by, top), by),
            "bursts": _burst_records(listed(summary, "bursts", by, top), by),
            "levels": _burst_records(listed(summary, "levels", by, top), by),
            "growth": _growth_records(summary[_prefix(by) + "growth"], by),
        }
    return out


# ---- notebook views -------------------------------------------------------------------------------
def window_of(summary) -> tuple[str, str]:
    """The growth window's first and last bin labels."""
    info = summary["info"].iloc[0]
    return info["window_start"], info["window_end"]


def list_panels(summary, what: str, by: str = "topic", top: int = DEFAULT_TOP):
    """Small multiples (share with its band) of the items of one list, in the list's order."""
    from landscape.present.figures import share_panels

    rows = listed(summary, what, by, top)
    _, many, _ = _what(by)
    title = f"{what.capitalize()} {many}: share per {_freq(summary)} with its 95% interval"
    return share_panels(
        summary[_prefix(by) + "shares"],
        keys=rows["key"].tolist(),
        title=title,
        window=window_of(summary),
        empty=f"no {what} {many}",
    )


def compare_html(land, summary, spec=None, top: int = DEFAULT_TOP):
    """The "what changed" table: two periods (``"2019..2021,2022..2024"``), an earlier landscape
    (a directory), or by default the growth window's first half against its second half."""
    from pathlib import Path

    from landscape.analysis.compare import compare

    if spec is None:
        bins = summary["shares"]["bin"].drop_duplicates().tolist()
        first, last = (bins.index(b) for b in window_of(summary))
        middle = (first + last + 1) // 2
        if middle <= first:
            return table_html(
                compare_table(_no_rows()), "the growth window has a single bin: nothing to compare"
            )
        spec = f"{bins[first]}..{bins[middle - 1]},{bins[middle]}..{bins[last]}"
    elif isinstance(spec, (str, Path)) and Path(spec).is_dir():
        from landscape.store import Landscape

        spec = Landscape.load(spec, embeddings=False)
    frame = compare(land, spec, freq=_freq(summary))
    return table_html(compare_table(_changed(frame, top)), _compare_heading(frame))


def _no_rows():
    from landscape.analysis.compare import COMPARE_COLUMNS
    from landscape.analysis.shares import empty_frame

    return empty_frame(COMPARE_COLUMNS)
