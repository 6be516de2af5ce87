"""Dates with a precision, and the month an arXiv id encodes."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from landscape.corpus.dates import apply_precision, month_number, parse_date, parse_dates
from landscape.corpus.ids import arxiv_ids, arxiv_month, arxiv_months, normalise_arxiv_id


@pytest.mark.parametrize(
    ("value", "expected", "precision"),
    [
        ("2023", (2023, 1, 1), "year"),
        (" 2023 ", (2023, 1, 1), "year"),
        ("2023-05", (2023, 5, 1), "month"),
        ("2023/5", (2023, 5, 1), "month"),
        ("2023-05-17", (2023, 5, 17), "day"),
        ("2023/05/17", (2023, 5, 17), "day"),
        ("2023-05-17T12:30:00Z", (2023, 5, 17), "day"),
        ("2023-05-17 23:59:59+05:00", (2023, 5, 17), "day"),
        ("Mon, 2 Apr 2007 19:18:42 GMT", (2007, 4, 2), "day"),
        ("May 2023", (2023, 5, 1), "month"),
        ("Sept. 2021", (2021, 9, 1), "month"),
        ("17 May 2023", (2023, 5, 17), "day"),
        ("May 17, 2023", (2023, 5, 17), "day"),
        ("2023 May", (2023, 5, 1), "month"),
        (2023, (2023, 1, 1), "year"),
        (2023.0, (2023, 1, 1), "year"),  # a year column read as float
        (np.int64(2021), (2021, 1, 1), "year"),
        (pd.Timestamp("2020-03-04 10:00"), (2020, 3, 4), "day"),
        (dt.date(2020, 1, 2), (2020, 1, 2), "day"),
        (np.datetime64("2020-01-02"), (2020, 1, 2), "day"),
    ],
)
def test_parse_date_forms_and_precision(value, expected, precision):
    assert parse_date(value) == (dt.datetime(*expected), precision)


@pytest.mark.parametrize("value", [None, "", "  ", float("nan"), "NaN", "null", pd.NaT])
def test_missing_dates(value):
    assert parse_date(value) == (None, None)


@pytest.mark.parametrize(
    "value", ["sometime", "2023-02-30", "2023-13", "23", "May", "20230517", "0000", 2023.5, True, "Q3 2023"]
)
def test_unreadable_dates_raise(value):
    with pytest.raises(ValueError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "arxiv_id", "month"),
    [
        ("2205.11916", "2205.11916", (2022, 5)),
        ("2205.11916v2", "2205.11916", (2022, 5)),
        ("arXiv:2205.11916", "2205.11916", (2022, 5)),
        ("https://arxiv.org/abs/2205.11916v3", "2205.11916", (2022, 5)),
        ("arxiv.org/pdf/2205.11916.pdf", "2205.11916", (2022, 5)),
        ("0704.0001", "0704.0001", (2007, 4)),
        ("cs/0501001", "cs/0501001", (2005, 1)),
        ("math.AG/0601001v3", "math.AG/0601001", (2006, 1)),
        ("hep-th/9108001", "hep-th/9108001", (1991, 8)),
        # not arXiv ids: impossible months, new style before April 2007, old style after March 2007
        ("2213.00001", "", None),
        ("0703.1234", "", None),
        ("cs/0704001", "", None),
        ("doi:10.1000/xyz", "", None),
        ("1234", "", None),
    ],
)
def test_arxiv_ids_and_months(value, arxiv_id, month):
    assert normalise_arxiv_id(value) == arxiv_id
    expected = dt.datetime(*month, 1) if month else None
    assert arxiv_month(arxiv_id) == expected
    assert arxiv_ids(pd.Series([value])).tolist() == [arxiv_id]


def test_arxiv_months_vectorised():
    months = arxiv_months(pd.Series(["2205.11916", "", "cs/0501001"]))
    assert months.dtype == "datetime64[ns]"
    assert months.iloc[0] == pd.Timestamp("2022-05-01")
    assert pd.isna(months.iloc[1])
    assert months.iloc[2] == pd.Timestamp("2005-01-01")


def test_parse_dates_vectorised():
    values = pd.Series(
        ["2023", "2023-05", None, "sometime", "2023-05-17", "2023"], index=[10, 11, 12, 13, 14, 15]
    )
    dates, precision, unreadable, _ = parse_dates(values)
    assert dates.dtype == "datetime64[ns]"
    assert list(dates.index) == list(values.index)
    assert dates.tolist()[:2] == [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-05-01")]
    assert precision.tolist() == ["year", "month", None, None, "day", "year"]
    assert unreadable.tolist() == [False, False, False, True, False, False]


def test_parse_dates_datetime_column_is_day_precision():
    values = pd.Series(pd.to_datetime(["2020-01-02 10:00", None]))
    dates, precision, unreadable, _ = parse_dates(values)
    assert dates.iloc[0] == pd.Timestamp("2020-01-02")
    assert precision.tolist() == ["day", None]
    assert not unreadable.any()


def test_apply_precision_coarsens_but_never_refines():
    dates, precision, _, _ = parse_dates(pd.Series(["2015-01-17", "2015-03-01", "2015", "2015-06-01"]))
    stated = pd.Series(["month", "year", "day", "unknown"])
    dates, precision = apply_precision(dates, precision, stated)
    assert precision.tolist() == ["month", "year", "year", "day"]
    assert dates.tolist() == [
        pd.Timestamp("2015-01-01"),
        pd.Timestamp("2015-01-01"),
        pd.Timestamp("2015-01-01"),
        pd.Timestamp("2015-06-01"),
    ]


def test_month_number():
    assert month_number("jun") == 6
    assert month_number("June-July") == 6
    assert month_number("{11}") == 11
    assert month_number("13") is None
    assert month_number("Spring") is None
    assert month_number(None) is None


def test_dates_outside_the_range_are_flagged_not_wrapped():
    values = pd.Series(["2500-01-01", "1200-05-05", "1899-12-31", "1900-01-01", "2021", None])
    dates, precision, unreadable, out_of_range = parse_dates(values)
    assert out_of_range.tolist() == [True, True, True, False, False, False]
    assert dates.isna().tolist() == [True, True, True, False, False, True]
    assert precision.tolist()[:3] == [None, None, None]
    assert not unreadable.any()
