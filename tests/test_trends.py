"""Trends: bins, shares, Wilson intervals, growth verdicts, bursts, emerging topics and the CLI."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from landscape.analysis import trends
from landscape.analysis.trend_defaults import DEFAULT_FREQ, DEFAULT_TOP, DEFAULT_WINDOW
from landscape.errors import LandscapeError
from landscape.present import trend_text

LABELS = {0: "rising topic", 1: "flat topic", 2: "falling topic", 3: "new topic", -1: None}
AREAS = {0: "vision", 1: "vision", 2: "language", 3: "language", -1: "unassigned"}


def _docs(counts: dict[int, dict[int, int]], precision="day", seed=0) -> pd.DataFrame:
    """Documents from ``{year: {topic: count}}``, dated at random days of their year."""
    rng = np.random.default_rng(seed)
    rows = []
    for year, per_topic in counts.items():
        for topic, n in per_topic.items():
            for i in range(n):
                date = pd.Timestamp(year, 1, 1) + pd.Timedelta(days=int(rng.integers(0, 365)))
                rows.append(
                    dict(
                        id=f"{year}-{topic}-{i}",
                        date=date,
                        date_precision=precision,
                        topic=topic,
                        topic_label=LABELS[topic],
                        area=AREAS[topic],
                    )
                )
    return pd.DataFrame(rows)


def _trend_counts(seed=1, total=2000, years=range(2015, 2025)):
    """Topic 0 rises from 4% to 16%, topic 1 stays at 10%, topic 2 falls 16% -> 4%; rest unassigned."""
    rng = np.random.default_rng(seed)
    counts = {}
    for i, year in enumerate(years):
        frac = i / (len(years) - 1)
        p = [0.04 + 0.12 * frac, 0.10, 0.16 - 0.12 * frac]
        p.append(1 - sum(p))
        c = rng.multinomial(total, p)
        counts[year] = {0: int(c[0]), 1: int(c[1]), 2: int(c[2]), -1: int(c[3])}
    return counts


@pytest.fixture(scope="module")
def trend_docs():
    return _docs(_trend_counts())


# ---- Wilson --------------------------------------------------------------------------------------
def test_wilson_interval_matches_hand_computed_values():
    # 12 of 100, z = 1.959964: centre 0.139207 / 1.038415 = 0.134058, half-width 0.064064
    low, high = trends.wilson_interval(12, 100)
    assert low == pytest.approx(0.069994, abs=1e-5)
    assert high == pytest.approx(0.198122, abs=1e-5)
    # 0 of 10: [0, z^2 / (n + z^2)]; 10 of 10: [n / (n + z^2), 1]
    assert trends.wilson_interval(0, 10) == pytest.approx((0.0, 3.841459 / 13.841459), abs=1e-6)
    assert trends.wilson_interval(10, 10) == pytest.approx((10 / 13.841459, 1.0), abs=1e-6)
    # a 90% interval is narrower; an empty bin has none
    low90, high90 = trends.wilson_interval(12, 100, level=0.90)
    assert low < low90 < 0.12 < high90 < high
    assert all(math.isnan(v) for v in trends.wilson_interval(0, 0))


def test_wilson_interval_agrees_with_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    counts, totals = np.array([0, 3, 17, 250, 999]), np.array([5, 40, 17, 1000, 1000])
    low, high = trends.wilson_interval(counts, totals)
    ref_low, ref_high = proportion_confint(counts, totals, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-9)
    np.testing.assert_allclose(high, ref_high, atol=1e-9)


def test_wilson_level_is_checked():
    with pytest.raises(LandscapeError, match="level"):
        trends.wilson_interval(1, 2, level=95)


# ---- bins and shares -----------------------------------------------------------------------------
def test_empty_years_are_zero_bins_with_explicit_edges():
    docs = _docs({2019: {0: 3, -1: 1}, 2020: {0: 1, 1: 1}, 2022: {1: 2}})
    shares = trends.topic_shares(docs, "year")
    assert shares["bin"].unique().tolist() == ["2019", "2020", "2021", "2022"]
    empty = shares[shares["bin"] == "2021"]
    assert (empty["count"] == 0).all() and (empty["total"] == 0).all() and empty["share"].isna().all()
    assert empty["bin_start"].iloc[0] == pd.Timestamp("2021-01-01")
    assert empty["bin_end"].iloc[0] == pd.Timestamp("2022-01-01")
    row = shares[(shares["bin"] == "2019") & (shares["key"] == 0)].iloc[0]
    assert (row["count"], row["total"], row["share"]) == (3, 4, 0.75)
    assert row["label"] == "rising topic"
    assert (row["share_low"], row["share_high"]) == pytest.approx(trends.wilson_interval(3, 4))


def test_quarter_and_month_bin_labels_and_edges():
    docs = pd.DataFrame(
        {
            "id": ["a", "b"],
            "date": pd.to_datetime(["2020-02-10", "2020-11-30"]),
            "date_precision": ["day", "month"],
            "topic": [0, 0],
        }
    )
    quarters = trends.topic_shares(docs, "quarter")
    assert quarters["bin"].tolist() == ["2020Q1", "2020Q2", "2020Q3", "2020Q4"]
    assert quarters["bin_end"].iloc[-1] == pd.Timestamp("2021-01-01")
    months = trends.topic_shares(docs, "month")
    assert months["bin"].iloc[0] == "2020-02" and months["bin"].iloc[-1] == "2020-11"
    assert len(months) == 10 and months["count"].sum() == 2


def test_unassigned_papers_count_in_the_denominator(trend_docs):
    shares = trends.topic_shares(trend_docs, "year")
    per_bin = shares.groupby("bin")["share"].sum()
    np.testing.assert_allclose(per_bin.to_numpy(), 1.0)
    assert (shares["total"] == 2000).all()
    assert set(shares["key"]) == {-1, 0, 1, 2}
    assert shares.loc[shares["key"] == -1, "label"].iloc[0] == "unassigned"


def test_year_precision_papers_stay_out_of_quarter_and_month_bins():
    docs = pd.concat(
        [
            _docs({2020: {0: 10, 1: 5}}, precision="day"),
            _docs({2020: {0: 4}}, precision="month"),
            _docs({2020: {1: 7}, 2021: {1: 3}}, precision="year"),
        ],
        ignore_index=True,
    )
    docs.loc[len(docs)] = dict(
        id="nodate", date=pd.NaT, date_precision=None, topic=0, topic_label="rising topic"
    )
    year = trends.topic_shares(docs, "year")
    assert year["count"].sum() == 29 and year.attrs["excluded_precision"] == 0 and year.attrs["undated"] == 1
    for freq in ("quarter", "month"):
        fine = trends.topic_shares(docs, freq)
        assert fine["count"].sum() == 19  # day and month precision only
        assert fine.attrs["excluded_precision"] == 10 and fine.attrs["undated"] == 1
        assert fine["bin"].iloc[-1].startswith("2020")  # the 2021 papers are year-only


def test_a_date_without_precision_is_trusted_only_to_the_year():
    docs = pd.DataFrame(
        {
            "id": ["a", "b"],
            "date": pd.to_datetime(["2020-05-01", "2020-06-01"]),
            "date_precision": [None, "day"],
            "topic": [0, 0],
        }
    )
    assert trends.topic_shares(docs, "month").attrs["excluded_precision"] == 1
    assert trends.topic_shares(docs, "year")["count"].sum() == 2
    # no precision column at all: dates are taken as exact
    assert trends.topic_shares(docs.drop(columns="date_precision"), "month")["count"].sum() == 2


def test_bad_dates_and_precisions_name_the_row_and_field():
    docs = pd.DataFrame(
        {"id": ["a", "b"], "date": ["2020-01-01", "soon"], "date_precision": "day", "topic": 0}
    )
    with pytest.raises(LandscapeError, match=r"row 2, field 'date'.*soon"):
        trends.topic_shares(docs)
    docs = pd.DataFrame(
        {
            "id": ["a", "b"],
            "date": pd.to_datetime(["2020-01-01"] * 2),
            "date_precision": ["day", "week"],
            "topic": 0,
        }
    )
    with pytest.raises(LandscapeError, match=r"row 2, field 'date_precision'.*week"):
        trends.topic_shares(docs)


def test_options_are_checked():
    docs = _docs({2020: {0: 1}})
    with pytest.raises(LandscapeError, match="freq must be one of month, quarter, year"):
        trends.topic_shares(docs, "week")
    with pytest.raises(LandscapeError, match="by must be one of"):
        trends.topic_shares(docs, by="author")
    with pytest.raises(LandscapeError, match="window"):
        trends.growth(docs, window=1)
    with pytest.raises(LandscapeError, match="field 'area' is missing"):
        trends.topic_shares(docs.drop(columns="area"), by="area")


def test_area_shares_and_topic_table_labels(trend_docs):
    topics = pd.DataFrame(
        {"topic": [0, 1, 2, 7], "label": ["Rising", "Flat", "Falling", "Tiny"], "area": "x"}
    )
    land = SimpleNamespace(documents=trend_docs, topics=topics)
    shares = trends.topic_shares(land, "year")
    assert dict(zip(shares["key"], shares["label"], strict=True))[0] == "Rising"
    assert (shares.loc[shares["key"] == 7, "count"] == 0).all()  # a topic with no dated papers is still there
    areas = trends.topic_shares(land, "year", by="area")
    assert areas["key"].unique().tolist() == ["language", "vision", "x", "unassigned"]
    vision = areas[(areas["key"] == "vision") & (areas["bin"] == "2015")].iloc[0]
    topic_rows = shares[(shares["bin"] == "2015") & shares["key"].isin([0, 1])]
    assert vision["count"] == topic_rows["count"].sum()


# ---- growth --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dispersion", ["pearson", "binomial"])
def test_growth_verdicts_match_rising_flat_and_falling_series(trend_docs, dispersion):
    result = trends.growth(trend_docs, "year", window=5, dispersion=dispersion).set_index("key")
    assert result.loc[0, "verdict"] == "emerging" and result.loc[0, "slope_low"] > 0
    assert (
        result.loc[1, "verdict"] == "stable" and result.loc[1, "slope_low"] < 0 < result.loc[1, "slope_high"]
    )
    assert result.loc[2, "verdict"] == "fading" and result.loc[2, "slope_high"] < 0
    assert result.loc[0, "window_start"] == "2020" and result.loc[0, "window_end"] == "2024"
    assert result.loc[0, "n_bins"] == 5
    # the rising share goes 9.3% -> 16% over 4 bins: about +0.16 log-odds per bin
    assert result.loc[0, "slope"] == pytest.approx(0.16, abs=0.05)
    assert result.loc[0, "odds_ratio"] == pytest.approx(math.exp(result.loc[0, "slope"]))


def test_growth_uses_a_binomial_glm():
    import statsmodels.api as sm

    counts, totals = np.array([30, 45, 41, 60, 75]), np.array([1000, 1100, 900, 1000, 1050])
    fit = trends.fit_growth(counts, totals, dispersion="binomial")
    exog = sm.add_constant(np.arange(5.0))
    ref = sm.GLM(np.column_stack([counts, totals - counts]), exog, family=sm.families.Binomial()).fit()
    assert fit["slope"] == pytest.approx(ref.params[1])
    assert (fit["slope_low"], fit["slope_high"]) == pytest.approx(tuple(ref.conf_int(0.05)[1]))
    assert fit["dispersion"] == 1.0 and fit["note"] == ""


def test_overdispersed_series_get_wider_intervals():
    # shares jump between bins far more than binomial sampling allows
    counts, totals = np.array([100, 220, 90, 260, 150, 240]), np.full(6, 1500)
    plain = trends.fit_growth(counts, totals, dispersion="binomial")
    quasi = trends.fit_growth(counts, totals, dispersion="pearson")
    assert quasi["dispersion"] > 5
    assert quasi["slope"] == pytest.approx(plain["slope"])
    assert quasi["slope_high"] - quasi["slope_low"] > 3 * (plain["slope_high"] - plain["slope_low"])


def test_separation_is_handled_and_reported():
    # a topic that appears only in the last bin, and one that vanished: the plain MLE runs off
    docs = _docs({y: {-1: 300, 1: 30} for y in range(2018, 2023)})
    docs = pd.concat([docs, _docs({2022: {3: 60}}), _docs({2018: {2: 40}, 2019: {2: 30}}, seed=3)])
    result = trends.growth(docs, "year", window=5).set_index("key")
    assert result.loc[3, "verdict"] == "emerging" and "0.5 added" in result.loc[3, "note"]
    assert result.loc[2, "verdict"] == "fading" and "0.5 added" in result.loc[2, "note"]
    assert np.isfinite(result[["slope", "slope_low", "slope_high"]].to_numpy(dtype=float)).all()


def test_too_little_data():
    docs = _docs({2020: {0: 3, 1: 50}, 2021: {0: 2, 1: 50}, 2022: {0: 4, 1: 50}})
    result = trends.growth(docs, "year", window=5).set_index("key")
    assert result.loc[0, "verdict"] == "too little data"  # 9 papers < min_papers
    assert math.isnan(result.loc[0, "slope"])
    two_bins = trends.growth(_docs({2020: {0: 40, 1: 50}, 2021: {0: 60, 1: 50}}), "year")
    assert (two_bins["verdict"] == "too little data").all()


def test_tiny_significant_changes_are_stable():
    # 10.0% -> 10.4% over 4 bins on a huge corpus: significant, but not a trend worth naming
    counts = {
        y: {0: (c := int(200_000 * (0.100 + 0.001 * i))), -1: 200_000 - c}
        for i, y in enumerate(range(2020, 2025))
    }
    shares = trends.topic_shares(_counts_frame(counts), "year")
    result = trends.growth_from_shares(shares, window=5, dispersion="binomial").set_index("key")
    assert result.loc[0, "slope_low"] > 0
    assert result.loc[0, "verdict"] == "stable"


def _counts_frame(counts):
    """A documents frame built straight from counts (one row per paper, dated by year only)."""
    topics, dates = [], []
    for year, per_topic in counts.items():
        for topic, n in per_topic.items():
            topics.append(np.full(n, topic))
            dates.append(np.full(n, np.datetime64(f"{year}-01-01")))
    topics, dates = np.concatenate(topics), np.concatenate(dates)
    return pd.DataFrame(
        {"id": np.arange(topics.size).astype(str), "date": dates, "date_precision": "year", "topic": topics}
    )


# ---- bursts and emerging -------------------------------------------------------------------------
def test_planted_topic_burst_is_found_at_its_years():
    rng = np.random.default_rng(4)
    counts = {}
    for year in range(2010, 2025):
        p = 0.2 if year in (2016, 2017, 2018) else 0.05
        hit = int(rng.binomial(400, p))
        counts[year] = {0: hit, 1: int(rng.binomial(400 - hit, 0.1)), -1: 0}
        counts[year][-1] = 400 - hit - counts[year][1]
    result = trends.bursts(_counts_frame(counts), "year")
    mine = result[result["key"] == 0]
    assert mine[["start", "end"]].values.tolist() == [["2016", "2018"]]
    assert mine["bin_start"].iloc[0] == pd.Timestamp("2016-01-01")
    assert mine["bin_end"].iloc[0] == pd.Timestamp("2019-01-01")
    assert mine["n_bins"].iloc[0] == 3 and not mine["ongoing"].iloc[0]
    assert result[result["key"] == 1].empty  # the flat topic has none


def _new_topic_docs():
    counts = _trend_counts(total=2000)
    rng = np.random.default_rng(9)
    for year in (2022, 2023, 2024):  # a new topic that takes off in the last three years
        new = int(rng.binomial(2000, {2022: 0.02, 2023: 0.06, 2024: 0.12}[year]))
        counts[year][3] = new
        counts[year][-1] -= new
    return _counts_frame(counts)


def test_ranking_puts_the_new_rising_topic_first_and_lists_hold_only_their_verdict():
    docs = _new_topic_docs()
    ranked = trends.ranking(docs, "year", window=5)
    assert ranked["key"].tolist()[:2] == [3, 0]
    assert -1 not in ranked["key"].tolist()
    assert ranked["key"].tolist()[-1] == 2  # the falling topic ranks last
    top = ranked.iloc[0]
    assert top["rank"] == 1 and top["verdict"] == "emerging"
    assert top["burst_strength"] > 0 and top["burst_end"] == "2024"
    assert top["novelty"] > 2  # all its papers are recent
    assert top["score"] == pytest.approx(top["growth_score"] + top["burst_score"] + top["novelty_score"])
    # a component is 0 when there is nothing: no burst means no burst part (not a shared negative one)
    assert (ranked.loc[ranked["burst_strength"] == 0, "burst_score"] == 0).all()
    emerging = trends.emerging_topics(docs, "year", window=5)
    assert emerging["key"].tolist() == [3, 0] and (emerging["verdict"] == "emerging").all()
    assert trends.emerging_topics(docs, top=1)["key"].tolist() == [3]
    fading = trends.fading_topics(docs, "year", window=5)
    assert fading["key"].tolist() == [2] and (fading["verdict"] == "fading").all()
    # the flat topic is ranked but listed nowhere
    assert 1 in ranked["key"].tolist() and 1 not in emerging["key"].tolist() + fading["key"].tolist()


def test_unassigned_is_never_listed_even_when_it_moves():
    counts = {y: {-1: 100 + 150 * i, 1: 300} for i, y in enumerate(range(2018, 2024))}
    docs = _docs(counts)
    docs["area"] = docs["area"].fillna("unassigned")
    summary = trends.trend_summary(docs, "year")
    growth = summary["growth"].set_index("key")
    assert growth.loc[-1, "verdict"] == "emerging"  # it is measured ...
    for name in ("emerging", "fading", "area_emerging", "area_fading"):
        assert not summary[name]["key"].isin([-1, "unassigned"]).any()  # ... but never listed
    assert summary["fading"]["key"].tolist() == [1]


def test_verdict_rule_never_contradicts_the_end_point_shares():
    fit = dict(slope=-0.2, slope_low=-0.3, slope_high=-0.1, note="")
    # the report's case: "fading" while the share went 2.7% -> 3.2%
    verdict, reason = trends.verdict(fit, 5, 500, 4, 0.027, 0.032)
    assert verdict == "mixed" and "2.7% to 3.2%" in reason and "falls" in reason
    assert trends.verdict(fit, 5, 500, 4, 0.05, 0.02) == ("fading", "")
    rising = dict(fit, slope=0.2, slope_low=0.1, slope_high=0.3)
    assert trends.verdict(rising, 5, 500, 4, 0.02, 0.02)[0] == "mixed"
    assert trends.verdict(rising, 5, 500, 4, 0.0, 0.005) == ("emerging", "")
    assert trends.verdict(rising, 2, 500, 4, 0.0, 0.005)[0] == "too little data"
    assert trends.verdict(dict(fit, slope_high=0.1), 5, 500, 4, 0.05, 0.02)[0] == "stable"
    # end to end: a share that sinks through the window but ends above its start
    shares = [0.027, 0.06, 0.04, 0.02, 0.032]
    counts = {2018 + i: {0: int(10_000 * p), -1: 10_000 - int(10_000 * p)} for i, p in enumerate(shares)}
    row = trends.growth(_counts_frame(counts), "year", window=5).set_index("key").loc[0]
    assert row["slope_high"] < 0 and row["verdict"] == "mixed"
    assert (row["share_first"], row["share_last"]) == pytest.approx((0.027, 0.032))
    assert row["fitted_first"] > row["fitted_last"]


def _assert_consistent(growth):
    emerging, fading = growth[growth["verdict"] == "emerging"], growth[growth["verdict"] == "fading"]
    assert (emerging["share_last"] > emerging["share_first"]).all()
    assert (emerging["slope_low"] > 0).all() and (emerging["fitted_last"] > emerging["fitted_first"]).all()
    assert (fading["share_last"] < fading["share_first"]).all()
    assert (fading["slope_high"] < 0).all() and (fading["fitted_last"] < fading["fitted_first"]).all()


def test_area_trends(trend_docs):
    result = trends.growth(trend_docs, "year", by="area").set_index("key")
    # vision = rising + flat topics, language = falling topic
    assert result.loc["vision", "verdict"] == "emerging"
    assert result.loc["language", "verdict"] == "fading"


# ---- empty and single-bin corpora ------------------------------------------------------------------
def test_empty_corpus_gives_empty_frames_and_a_clear_error():
    docs = _docs({2020: {0: 5}}, precision="year")
    shares = trends.topic_shares(docs, "quarter")
    assert shares.empty and list(shares.columns) == trends.SHARE_COLUMNS
    assert shares.attrs["excluded_precision"] == 5
    assert trends.growth(docs, "quarter").empty
    assert trends.bursts(docs, "quarter").empty
    assert trends.emerging_topics(docs, "quarter").empty
    with pytest.raises(
        LandscapeError, match=r"no papers can be placed in quarter bins.*5 dated less.*--freq year"
    ):
        trends.trend_summary(docs, "quarter")
    nothing = pd.DataFrame({"id": [], "date": pd.to_datetime([]), "date_precision": [], "topic": []})
    with pytest.raises(LandscapeError, match="0 papers"):
        trends.trend_summary(nothing)


def test_single_bin_corpus_gives_a_note_and_no_verdicts():
    summary = trends.trend_summary(_docs({2021: {0: 50, 1: 30, -1: 20}}), "year")
    info = summary["info"].iloc[0]
    assert info["n_bins"] == 1 and "only 1 year bin (2021)" in info["notes"]
    assert (summary["growth"]["verdict"] == "too little data").all()
    assert summary["bursts"].empty
    assert "only 1 year bin (2021)" in trend_text.format_summary(summary)


def test_trend_summary_collects_everything(trend_docs):
    summary = trends.trend_summary(trend_docs, "year", window=4)
    assert {"info", "shares", "growth", "bursts", "emerging", "area_shares", "area_growth"} <= set(summary)
    info = summary["info"].iloc[0]
    assert (info["first_bin"], info["last_bin"], info["window_start"]) == ("2015", "2024", "2021")
    assert info["n_papers"] == 20_000
    records = trend_text.summary_records(summary, top=3)
    json.dumps(records)  # JSON-safe
    assert records["topics"]["emerging"][0]["topic"] == 0
    assert records["topics"]["fading"][0]["topic"] == 2
    assert len(records["topics"]["growth"]) == 4


# ---- CLI ------------------------------------------------------------------------------------------
def _save_landscape(tmp_path, docs):
    from landscape.store import Landscape

    keys = sorted(k for k in docs["topic"].unique() if k != -1)
    topics = pd.DataFrame(
        {
            "topic": keys,
            "label": [LABELS[k] for k in keys],
            "size": [int((docs["topic"] == k).sum()) for k in keys],
            "keywords": [[LABELS[k].split()[0]] for k in keys],
            "area": [AREAS[k] for k in keys],
            "group": 0,
        }
    )
    docs = docs.assign(title="a paper", x=0.0, y=0.0)
    Landscape(docs, topics, {"counts": {"papers": len(docs)}}).save(tmp_path / "land")
    return tmp_path / "land"


def test_cli_prints_emerging_fading_and_bursts(tmp_path, capsys, trend_docs):
    from landscape.cli import main

    docs = trend_docs.copy()
    docs.loc[docs["topic"] == 0, "topic_label"] = (
        "rising\x1b[31m topic"  # control characters never reach a terminal
    )
    land = _save_landscape(tmp_path, docs)
    assert main(["trends", str(land), "--window", "5", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "20,000 papers in 10 yearly bins (2015 to 2024); growth window 2020 to 2024" in out
    assert "Emerging topics" in out and "Fading topics" in out and "Strongest bursts" in out
    assert "falling topic" in out and "research areas" in out
    assert "\x1b" not in out


def test_cli_json(tmp_path, capsys, trend_docs):
    from landscape.cli import main

    land = _save_landscape(tmp_path, trend_docs)
    assert main(["trends", str(land), "--json", "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["freq"] == "year" and data["bins"]["count"] == 10
    rising = next(r for r in data["topics"]["growth"] if r["topic"] == 0)
    assert rising["verdict"] == "emerging" and rising["label"] == "rising topic"
    assert rising["interval"][0] > 0 and rising["slope"] > rising["interval"][0]
    assert data["topics"]["fading"][0]["topic"] == 2
    burst = data["topics"]["bursts"][0]
    assert (burst["topic"], burst["end"], burst["ongoing"]) == (0, "2024", True) and burst["strength"] > 10
    assert data["areas"]["growth"]


def test_cli_errors_are_clear(tmp_path, capsys):
    from landscape.cli import main

    land = _save_landscape(tmp_path, _docs({2020: {0: 20, 1: 10}}, precision="year"))
    assert main(["trends", str(land), "--freq", "month"]) == 2
    assert "no papers can be placed in month bins" in capsys.readouterr().err
    assert main(["trends", str(land), "--freq", "weekly"]) == 2
    assert "freq must be one of" in capsys.readouterr().err
    assert main(["trends", str(tmp_path / "missing")]) == 2
    assert "not a landscape directory" in capsys.readouterr().err
    assert main(["trends", str(land)]) == 0
    assert "only 1 year bin" in capsys.readouterr().out


# ---- partial and thin bins -------------------------------------------------------------------------
def test_a_corpus_ending_in_february_has_a_partial_last_bin_left_out_of_verdicts(trend_docs):
    late = _docs({2025: {0: 10, 2: 40, -1: 50}}, seed=5)
    late["date"] = pd.Timestamp("2025-02-01") + pd.to_timedelta(np.arange(len(late)) % 20, unit="D")
    docs = pd.concat([trend_docs, late], ignore_index=True)
    shares = trends.topic_shares(docs, "year")
    assert shares.attrs["partial_bins"] == ["2025"] and shares.attrs["thin_bins"] == []
    assert (
        shares.loc[shares["bin"] == "2025", "partial"].all()
        and not shares.loc[shares["bin"] == "2024", "partial"].any()
    )
    growth = trends.growth(docs, "year", window=5).set_index("key")
    assert (growth.loc[0, "window_start"], growth.loc[0, "window_end"]) == ("2020", "2024")
    assert growth.loc[0, "verdict"] == "emerging"  # the odd partial bin does not pull it down
    included = trends.growth(docs, "year", window=5, include_partial=True).set_index("key")
    assert included.loc[0, "window_end"] == "2025"
    summary = trends.trend_summary(docs)
    assert "partial bin 2025" in summary["info"]["notes"].iloc[0]
    # month-precision dates cover their month: a corpus through December is complete
    dec = docs.assign(date_precision="month")
    dec = dec[dec["date"] < "2025-01-01"]
    dec.loc[dec.index[-1], "date"] = pd.Timestamp("2024-12-01")
    assert trends.topic_shares(dec, "year").attrs["partial_bins"] == []


def test_thin_bins_are_marked():
    docs = _docs({2019: {0: 5, 1: 5}, 2020: {0: 40, 1: 40}, 2021: {0: 50, 1: 50}})
    shares = trends.topic_shares(docs, "year")
    assert shares.attrs["thin_bins"] == ["2019"]
    assert shares.loc[shares["bin"] == "2019", "thin"].all()


# ---- bursts: own baseline, levels ------------------------------------------------------------------
def test_a_topic_that_grows_and_stays_is_a_level_not_a_burst():
    rng = np.random.default_rng(2)
    years = range(2015, 2026)
    counts = {}
    for i, year in enumerate(years):  # 1% in 2015-2016, then 10% for nine years (the "CLIP 2016-2024" case)
        hit = int(rng.binomial(2000, 0.01 if i < 2 else 0.10))
        spike = int(rng.binomial(2000, 0.15 if year in (2020, 2021) else 0.05))
        counts[year] = {0: hit, 1: spike, -1: 2000 - hit - spike}
    runs = trends.bursts(_counts_frame(counts), "year")
    # against the corpus-wide rate R / D the step is one nine-year run: a level, not a burst
    from landscape.analysis.bursts import find_bursts, is_level

    # (a corpus with big early bins, where the topic is rare, and small late ones, where it is common)
    totals = np.array([20_000] * 3 + [500] * 8)
    c = (totals * np.array([0.01] * 3 + [0.08] * 8)).astype(int)
    [run] = find_bursts(c, totals)
    assert (run.start, run.end) == (3, 10) and is_level(run, c.size)
    assert find_bursts(c, totals, p0=0.08) == []
    # against its own usual share (the median, 10%) the grown topic has no burst at all
    assert runs[runs["key"] == 0].empty
    spike = runs[runs["key"] == 1]
    assert spike[["kind", "start", "end"]].values.tolist() == [["burst", "2020", "2021"]]
    assert spike["baseline"].iloc[0] == pytest.approx(0.05, abs=0.01)  # its own usual share
    assert spike["ratio"].iloc[0] == pytest.approx(3, abs=0.5)
    summary = trends.trend_summary(_counts_frame(counts))
    assert 0 not in summary["bursts"]["key"].tolist() + summary["levels"]["key"].tolist()
    assert (summary["bursts"]["n_bins"] <= 0.6 * 11).all()


# ---- composition ----------------------------------------------------------------------------------
def _two_source_docs():
    """Source a until 2019, source b from 2020 on; topic 0 is 30% of a and 5% of b."""
    rows = []
    for year in range(2016, 2024):
        source = "a:dump" if year < 2020 else "b+a:dump" if year == 2020 else "b"
        for i in range(200):
            topic = 0 if i < (60 if source.startswith("a") else 10) else 1
            rows.append(
                dict(
                    id=f"{year}-{i}",
                    date=pd.Timestamp(year, 1, 1) + pd.Timedelta(days=i * 364 // 199),
                    date_precision="day",
                    topic=topic,
                    topic_label=LABELS[topic],
                    area=AREAS[topic],
                    source=source,
                )
            )
    return pd.DataFrame(rows)


def test_composition_warning_when_sources_change_and_shares_within_one_source():
    from landscape.analysis.composition import composition, composition_warnings, within_source

    docs = _two_source_docs()
    frame = composition(docs, "year")
    assert set(frame["what"]) == {"source", "date_precision"}
    [warning] = composition_warnings(frame)
    assert "source a:dump is 0% of 2020 but 100% of 2016" in warning and "--source" in warning
    summary = trends.trend_summary(docs)
    assert "source a:dump" in summary["info"]["warnings"].iloc[0]
    assert (
        summary["growth"].set_index("key").loc[0, "verdict"] == "fading"
    )  # a change of source, not of field
    within = trends.trend_summary(docs, source="b")
    assert within["info"]["n_papers"].iloc[0] == 4 * 200 and within["info"]["warnings"].iloc[0] == ""
    assert within["growth"].set_index("key").loc[0, "verdict"] == "stable"
    assert len(within_source(docs, "a")) == 5 * 200  # a:dump, including the merged b+a:dump records
    with pytest.raises(LandscapeError, match="no paper has source 'c'; sources: a:dump, b"):
        within_source(docs, "c")
    assert composition_warnings(composition(within_source(docs, "b"))) == []


# ---- what changed ---------------------------------------------------------------------------------
def test_compare_periods_names_what_appeared_grew_and_shrank():
    from landscape.analysis.compare import compare_periods

    frame = compare_periods(_new_topic_docs(), "2015..2017", "2022..2024")
    status = dict(zip(frame["key"], frame["status"], strict=True))
    assert status == {3: "appeared", 0: "grew", 2: "shrank", 1: "steady"}
    assert frame["key"].tolist()[:3] == [3, 0, 2]
    grew = frame.set_index("key").loc[0]
    assert grew["change_low"] > 0 and grew["share_after"] > grew["share_before"]
    assert (frame.attrs["before"], frame.attrs["after"]) == ("2015..2017", "2022..2024")
    with pytest.raises(LandscapeError, match="no bin '2030'"):
        compare_periods(_new_topic_docs(), "2015", "2030")


def test_compare_landscapes_finds_merged_and_new_topics():
    from landscape.analysis.compare import compare_landscapes

    docs = _docs({2020: {0: 40, 1: 30, 2: 20, -1: 10}})
    topics = pd.DataFrame({"topic": [0, 1, 2], "label": ["zero", "one", "two"]})
    before = SimpleNamespace(documents=docs, topics=topics, name="before")
    later = docs.copy()
    later.loc[later["topic"] == 2, "topic"] = 1  # topic 2 merged into 1
    extra = _docs({2021: {3: 25, 0: 30}}, seed=4)
    later = pd.concat([later, extra], ignore_index=True)
    after = SimpleNamespace(
        documents=later,
        topics=pd.DataFrame({"topic": [0, 1, 3], "label": ["zero", "one", "three"]}),
        name="after",
    )
    frame = compare_landscapes(before, after).set_index("key")
    assert (
        frame.loc[2, "status"] == "merged"
        and frame.loc[2, "into"] == 1
        and frame.loc[2, "into_label"] == "one"
    )
    assert frame.loc[3, "status"] == "appeared" and frame.loc[3, "papers_after"] == 25
    assert frame.loc[0, "status"] == "grew" and (
        frame.loc[0, "papers_before"],
        frame.loc[0, "papers_after"],
    ) == (40, 70)
    assert frame.loc[1, "status"] == "grew"
    text = trend_text.format_compare(compare_landscapes(before, after))
    assert "2: two" in text and "merged into 1: one" in text and "20 → 0" in text


# ---- one story: JSON, CLI text, report tables and charts agree ---------------------------------------
def _text_keys(text: str, heading: str) -> list:
    """Topic ids of the table under ``heading`` in the CLI text, in order."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    keys = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        found = (
            re.match(r"^\s+(?:\d+\s+)?(-?\d+): ", line)
            if heading[0] in "EF"
            else re.match(r"^\s+(-?\d+): ", line)
        )
        if found:
            keys.append(int(found.group(1)))
    return keys


def _html_keys(html: str) -> list:
    return [int(k) for k in re.findall(r"<tr><td>(?:\d+</td><td>)?(-?\d+): ", html)]


def _meta_items(fig) -> list:
    return [int(k) for k in fig.layout.meta["items"]]


def assert_one_story(summary, records, text, top=DEFAULT_TOP):
    """The emerging and fading lists and the bursts are the same items in the same order in the JSON,
    the CLI text, the report tables and the report charts; verdicts agree with their shares."""
    from landscape.present import figures

    for what in ("emerging", "fading"):
        listed = trend_text.listed(summary, what, "topic", top)
        expected = listed["key"].tolist()
        assert (listed["verdict"] == what).all() and not listed["key"].isin([-1]).any()
        assert [r["topic"] for r in records["topics"][what]] == expected
        assert _text_keys(text, f"{what.capitalize()} topics") == expected
        assert _html_keys(trend_text.report_table(summary, what, top=top).data) == expected
        assert _meta_items(trend_text.list_panels(summary, what, top=top)) == expected
        assert _meta_items(figures.emerging_figure(listed, top=top)) == expected
    runs = trend_text.listed(summary, "bursts", "topic", top)
    assert [r["topic"] for r in records["topics"]["bursts"]] == runs["key"].tolist()
    assert _text_keys(text, "Strongest bursts of topics") == runs["key"].tolist()
    assert _html_keys(trend_text.report_table(summary, "bursts", top=top).data) == runs["key"].tolist()
    assert _meta_items(figures.burst_timeline(runs, top=top)) == runs["key"].tolist()
    n_bins = summary["info"]["n_bins"].iloc[0]
    for prefix in ("", "area_"):
        _assert_consistent(summary[prefix + "growth"])
        assert (
            (summary[prefix + "bursts"]["n_bins"] <= 0.6 * n_bins).all()
            if len(summary[prefix + "bursts"])
            else True
        )


def test_json_text_and_report_tell_one_story(tmp_path, capsys):
    from landscape.cli import main

    land = _save_landscape(tmp_path, _docs_with_labels(_new_topic_docs()))
    assert main(["trends", str(land), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert main(["trends", str(land)]) == 0
    text = capsys.readouterr().out
    from landscape.store import Landscape

    summary = trends.trend_summary(Landscape.load(land, embeddings=False))
    assert [r["topic"] for r in records["topics"]["emerging"]] == [3, 0]
    assert_one_story(summary, records, text)


def _docs_with_labels(docs):
    docs = docs.copy()
    docs["topic_label"] = docs["topic"].map(lambda t: LABELS.get(int(t)) or "new topic")
    docs["area"] = docs["topic"].map(AREAS)
    return docs


def test_defaults_come_from_one_place(tmp_path, capsys, trend_docs):
    from landscape.cli import main
    from landscape.present.report import notebook_dir, notebook_parameters

    params = notebook_parameters(notebook_dir() / "topic_trends.ipynb")
    assert params["window"] == "None"  # None: the library default
    assert json.loads(params["freq"]) == DEFAULT_FREQ and int(params["top_n"]) == DEFAULT_TOP
    deep = notebook_parameters(notebook_dir() / "topic_deep_dive.ipynb")
    assert json.loads(deep["freq"]) == DEFAULT_FREQ
    land = _save_landscape(tmp_path, trend_docs)
    assert main(["trends", str(land), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records["window"] == DEFAULT_WINDOW and records["freq"] == DEFAULT_FREQ
    assert len(records["topics"]["growth"]) == 4
    summary = trends.trend_summary(trend_docs, window=None)
    assert summary["info"]["window"].iloc[0] == DEFAULT_WINDOW


def test_report_tables_read_like_a_report(trend_docs):
    summary = trends.trend_summary(trend_docs)
    table = trend_text.verdict_table(summary["emerging"], "year")
    assert list(table.columns)[:3] == ["#", "Topic", "Papers in window"]
    row = table.iloc[0]
    assert re.fullmatch(r"\d+\.\d% → \d+\.\d%", row["Share, 2020 → 2024"])
    fitted = row["Fitted change (log-odds of the share, 95% interval)"]
    assert re.fullmatch(r"\+0\.\d\d \[0\.\d\d, 0\.\d\d\] per year", fitted), fitted
    assert trend_text.caption(summary["emerging"].head(1), "emerging") == "1 emerging topic"
    assert trend_text.caption(summary["emerging"].iloc[:0], "fading") == "no fading topics"
    bursts = trend_text.burst_table(summary["bursts"].head(1))
    assert bursts["Papers"].iloc[0].endswith("papers")
    assert trend_text.plain("ab\x1b[31mcdef", 4) == "ab …"  # no control characters, cut to width
    assert trends.plural(1, "burst") == "1 burst" and trends.plural(2, "burst") == "2 bursts"


# ---- the development corpus (a sample; skipped when ../shared is absent) -----------------------------
DEV_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/papers_dev.parquet"


@pytest.mark.devdata
def test_dev_corpus_sample_tells_one_consistent_story():
    """Real shares over time: 6,000 papers, year-stratified, with the primary arXiv category as topic."""
    if not DEV_DATA.exists():
        pytest.skip(f"{DEV_DATA} not found")
    dev = pd.read_parquet(DEV_DATA, columns=["id", "date", "date_precision", "categories", "source"])
    year = dev["date"].str[:4]
    dev = pd.concat([g.sample(min(len(g), 550), random_state=0) for _, g in dev.groupby(year)])
    first = dev["categories"].fillna("").str.split().str[0].fillna("")
    common = first[first != ""].value_counts().index[:12].tolist()
    dev["topic"] = first.map({c: i for i, c in enumerate(common)}).fillna(-1).astype(int)
    dev["topic_label"] = first.where(dev["topic"] >= 0, None)
    dev["area"] = np.where(first.str.startswith("cs."), "computer science", "unassigned")
    dev["date"] = pd.to_datetime(dev["date"])
    summary = trends.trend_summary(dev)
    records = trend_text.summary_records(summary)
    text = trend_text.format_summary(summary)
    assert_one_story(summary, records, text)
    assert summary["info"]["n_bins"].iloc[0] == 11
    # the dev corpus stitches sources: 2020-2024 mostly conference lists, 2025 robotics-heavy arXiv
    assert "source" in summary["info"]["warnings"].iloc[0]
    within = trends.trend_summary(dev, source="arxiv")
    assert 0 < within["info"]["n_papers"].iloc[0] < summary["info"]["n_papers"].iloc[0]
    assert_one_story(within, trend_text.summary_records(within), trend_text.format_summary(within))
    levels = summary["levels"]
    assert levels.empty or (levels["n_bins"] > 0.6 * 11).all()


def report_items(book) -> dict:
    """From an executed trends notebook: the topic ids of each list's table and charts, in order."""
    found = {}
    for cell in book.cells:
        html = "".join(
            out.get("data", {}).get("text/html", "") for out in cell.get("outputs", []) if "data" in out
        )
        listed = re.search(
            r'(report_table|list_panels|emerging_figure|burst_timeline)\(.*?"(\w+)"', cell.source
        )
        if cell.cell_type != "code" or not listed:
            continue
        kind, what = listed.groups()
        if kind == "burst_timeline":
            what = "bursts"
        if kind in ("report_table",):
            found[(what, "table")] = _html_keys(html)
        else:
            meta = re.search(r'"meta":\{"items":\[(.*?)\]\}', html)
            found[(what, kind)] = [int(k) for k in re.findall(r'"(-?\d+)"', meta.group(1))] if meta else None
    return found


def assert_report_agrees(book, records):
    items = report_items(book)
    for what in ("emerging", "fading", "bursts"):
        expected = [r["topic"] for r in records["topics"][what]]
        shown = {k: v for k, v in items.items() if k[0] == what}
        assert shown and all(v == expected for v in shown.values()), (what, expected, shown)


@pytest.mark.slow
def test_bundled_sample_report_agrees_with_the_cli(tmp_path_factory, capsys):
    """`landscape report` on the bundled sample: the trends page shows the CLI's lists, in order."""
    import sys

    import nbformat

    sys.path.insert(0, str(Path(__file__).parent / "data" / "report"))
    from report_fixtures import sample_report

    from landscape.cli import main

    folder = sample_report(tmp_path_factory) / "reports"
    book = nbformat.read(folder / "notebooks" / "topic_trends.ipynb", as_version=4)
    capsys.readouterr()  # the report's own output, when it was built here
    assert main(["trends", str(folder / "landscape"), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records["bins"]["partial"]  # the sample ends in February 2025
    assert_report_agrees(book, records)


def test_cli_compare_and_source(tmp_path, capsys):
    from landscape.cli import main

    docs = _docs_with_labels(_new_topic_docs())
    docs["source"] = np.where(docs.index % 2 == 0, "arxiv:dump", "conf:list")
    land = _save_landscape(tmp_path, docs)
    assert main(["trends", str(land), "--compare", "2015..2017,2022..2024"]) == 0
    out = capsys.readouterr().out
    assert "What changed, 2015..2017 → 2022..2024: 1 appeared, 1 grew, 1 shrank, 1 steady" in out
    assert main(["trends", str(land), "--compare", "2015..2017,2022..2024", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["compare"]
    assert [(i["topic"], i["status"]) for i in data["items"]][:3] == [
        (3, "appeared"),
        (0, "grew"),
        (2, "shrank"),
    ]
    # an earlier landscape: the same papers minus the new topic's
    earlier = _save_landscape(tmp_path / "earlier", docs[docs["topic"] != 3])
    assert main(["trends", str(land), "--compare", str(earlier), "--json"]) == 0
    items = json.loads(capsys.readouterr().out)["compare"]["items"]
    assert items[0]["topic"] == 3 and items[0]["status"] == "appeared"
    assert main(["trends", str(land), "--source", "arxiv", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == "arxiv" and data["papers"] == (len(docs) + 1) // 2
    assert main(["trends", str(land), "--compare", "2015"]) == 2
    assert "--compare expects two periods" in capsys.readouterr().err
    assert main(["trends", str(land), "--source", "zenodo"]) == 2
    assert "no paper has source 'zenodo'" in capsys.readouterr().err
