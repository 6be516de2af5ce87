"""The topic-quality panel as text: a table for notebooks and the plain-text panel of ``landscape
evaluate``. The numbers come from :mod:`landscape.analysis.evaluate`."""

from __future__ import annotations

from landscape.analysis.evaluate import TOP_N, stored_quality


def _fmt(value, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "size":
        return f"{value:,g}"
    return f"{value:.3f}"


def quality_table(quality) -> object:
    """The quality panel: a DataFrame with ``metric``, ``value`` (number), ``shown`` (text), ``note``.

    ``quality`` is a dict from ``quality_metrics`` or ``evaluate`` (:mod:`landscape.analysis.evaluate`),
    or a ``Landscape`` (its stored ``meta["quality"]``, computed when absent) or a landscape directory.
    """
    import pandas as pd

    if not isinstance(quality, dict):
        quality = stored_quality(quality)
    sizes = quality.get("sizes") or {}
    rows = [
        ("Papers", quality.get("papers"), "int", ""),
        ("Topics", quality.get("topics"), "int", ""),
        ("Unassigned papers", quality.get("outlier_share"), "pct", "topic -1, after outlier reduction"),
    ]
    if quality.get("outlier_share_hdbscan") is not None:
        rows.append(
            ("Unassigned by HDBSCAN", quality["outlier_share_hdbscan"], "pct", "before outlier reduction")
        )
    rows += [
        ("Smallest topic", sizes.get("min"), "int", "papers"),
        ("Median topic", sizes.get("median"), "size", "papers"),
        ("Largest topic", sizes.get("max"), "int", "papers"),
        ("Largest topic share", sizes.get("largest_share"), "pct", "of assigned papers"),
        ("Size Gini", sizes.get("gini"), "num", "0 = equal sizes"),
        (
            "NPMI coherence",
            quality.get("npmi"),
            "num",
            f"top {quality.get('top_n', TOP_N)} keywords, -1..1, higher is better",
        ),
        ("Topic diversity", quality.get("diversity"), "num", "unique share of top words, 0..1"),
    ]
    for level, lab in (("", quality.get("labels")), ("Groups: ", quality.get("group_labels"))):
        if not lab:
            continue
        column = lab.get("column", "labels")
        if level:
            rows.append(("Groups", lab.get("groups"), "int", "clusters of topics"))
        for part, note in (("all", "unassigned as one cluster"), ("assigned", "assigned papers only")):
            scores = lab.get(part) or {}
            for key, name in (
                ("nmi", "NMI"),
                ("ami", "AMI"),
                ("ari", "ARI"),
                ("homogeneity", "Homogeneity"),
                ("completeness", "Completeness"),
            ):
                rows.append(
                    (
                        f"{level}{name} vs {column} ({part})",
                        scores.get(key),
                        "num",
                        f"{note}, n={scores.get('n', 0):,}",
                    )
                )
    stab = quality.get("stability")
    if stab:
        rows.append(("Stability (ARI between seeds)", stab.get("ari"), "num", f"seeds {stab.get('seeds')}"))
    return pd.DataFrame(
        [
            {"metric": m, "value": v, "shown": _fmt(v, k), "note": note}
            for m, v, k, note in rows
            if v is not None or m.startswith(("NPMI", "Topic diversity"))
        ],
        columns=["metric", "value", "shown", "note"],
    )


def format_quality(quality, name: str | None = None) -> str:
    """The quality panel as plain text, for the terminal."""
    table = quality_table(quality)
    width = max(len(m) for m in table["metric"]) if len(table) else 10
    lines = [f"Topic quality of {name}" if name else "Topic quality"]
    for row in table.itertuples(index=False):
        note = f"  ({row.note})" if row.note else ""
        lines.append(f"  {row.metric:<{width}}  {row.shown:>8}{note}")
    absent = quality.get("keywords_not_in_corpus") if isinstance(quality, dict) else 0
    if absent:
        lines.append(f"  note: {absent} keywords never occur in the texts (a tokenisation mismatch?)")
    return "\n".join(lines)
