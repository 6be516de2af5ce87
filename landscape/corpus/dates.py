"""Dates with a precision (day / month / year), and the month an arXiv id encodes.

A date known only to the month or year is stored as the first day of that month or year together
with its precision, so that trends can be computed at the right resolution. Nothing is guessed: a
value that is not one of the accepted forms is "unreadable" and the caller rejects the row.

Accepted forms: ``2023``, ``2023-05``, ``2023/05``, ``2023-05-17``, ISO date-times
(``2023-05-17T12:00:00Z``), RFC 2822 (``Mon, 2 Apr 2007 19:18:42 GMT``), ``May 2023``,
``17 May 2023``, ``May 17, 2023``, ``2023 May``, and date/datetime objects.
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from typing import NamedTuple

from landscape.schema import DATE_PRECISIONS

# Finer is higher: day 3, month 2, year 1, no date 0 (the one ranking of schema.DATE_PRECISIONS).
PRECISION_RANK = {None: 0, **{p: len(DATE_PRECISIONS) - i for i, p in enumerate(DATE_PRECISIONS)}}

# Dates a paper can have: none before 1900 (also keeps every date inside pandas' nanosecond range,
# which would otherwise wrap 2500-01-01 round to 1915) and none more than a year ahead of today.
EARLIEST_DATE = dt.datetime(1900, 1, 1)
FUTURE_TOLERANCE = dt.timedelta(days=365)


def latest_date() -> dt.datetime:
    """The latest date a paper may carry: today plus ``FUTURE_TOLERANCE``."""
    return dt.datetime.now() + FUTURE_TOLERANCE


def in_range(date: dt.datetime) -> bool:
    """Whether ``date`` lies between ``EARLIEST_DATE`` and :func:`latest_date`."""
    return EARLIEST_DATE <= date <= latest_date()


_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_MISSING = {"", "nan", "nat", "none", "null", "n/a", "na", "-"}

_YEAR = re.compile(r"(\d{4})(?:\.0)?")
_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ISO_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ]\d{1,2}:\d{2}.*")
_MONTH_YEAR = re.compile(rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+)?{_MONTH},?\s+(\d{{4}})", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.IGNORECASE)
_YEAR_MONTH_NAME = re.compile(rf"(\d{{4}})\s+{_MONTH}(?:\s+(\d{{1,2}}))?", re.IGNORECASE)
_MIN_YEAR, _MAX_YEAR = 1000, 2999


def _make(year, month=1, day=1):
    year, month, day = int(year), int(month), int(day)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValueError(f"year {year} out of range")
    return dt.datetime(year, month, day)  # raises ValueError for 2023-02-30


def _parse_string(text: str) -> tuple[dt.datetime | None, str | None]:
    if text.lower() in _MISSING:
        return None, None
    if m := _YEAR.fullmatch(text):
        return _make(m[1]), "year"
    if m := _YEAR_MONTH.fullmatch(text):
        return _make(m[1], m[2]), "month"
    if m := _YEAR_MONTH_DAY.fullmatch(text):
        return _make(m[1], m[2], m[3]), "day"
    if m := _ISO_DATETIME.fullmatch(text):
        # the calendar day as written (a time zone would only move it when converted, which we don't)
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))  # validates the time part
        return _make(m[1], m[2], m[3]), "day"
    if m := _MONTH_YEAR.fullmatch(text):
        month = _MONTHS[m[2].lower()]
        return (_make(m[3], month, m[1]), "day") if m[1] else (_make(m[3], month), "month")
    if m := _MONTH_DAY_YEAR.fullmatch(text):
        return _make(m[3], _MONTHS[m[1].lower()], m[2]), "day"
    if m := _YEAR_MONTH_NAME.fullmatch(text):
        month = _MONTHS[m[2].lower()]
        return (_make(m[1], month, m[3]), "day") if m[3] else (_make(m[1], month), "month")
    if "," in text or ":" in text:
        try:
            parsed = parsedate_to_datetime(text)  # RFC 2822, as in arXiv metadata
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return _make(parsed.year, parsed.month, parsed.day), "day"
    raise ValueError(f"unreadable date {text!r}")


def parse_date(value) -> tuple[dt.datetime | None, str | None]:
    """Parse one date value into ``(datetime at midnight, precision)``.

    Returns ``(None, None)`` for a missing value (None, NaN, NaT, ``""``) and raises ``ValueError``
    for a value that is present but not a readable date.
    """
    if value is None:
        return None, None
    if isinstance(value, float):
        if value != value:
            return None, None
        if value.is_integer():  # a year column read as float because of missing values
            return _make(int(value)), "year"
        raise ValueError(f"unreadable date {value!r}")
    if isinstance(value, bool):
        raise ValueError(f"unreadable date {value!r}")
    if isinstance(value, int):
        return _make(value), "year"
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        if value != value:  # NaT
            return None, None
        return dt.datetime(value.year, value.month, value.day), "day"
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), "day"
    if type(value).__name__ in ("datetime64", "NaTType"):
        import pandas as pd

        return parse_date(pd.Timestamp(value))
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return parse_date(value.item())
    return _parse_string(" ".join(str(value).split()))


_MONTH_WORD = re.compile(r"[A-Za-z]+|\d+")


def month_number(text) -> int | None:
    """The first month named or numbered in ``text`` (``"jun"``, ``"June"``, ``"6"``, ``"June-July"``)."""
    for token in _MONTH_WORD.findall(str(text or "")):
        if token.isdigit():
            return int(token) if 1 <= int(token) <= 12 else None
        if token.lower() in _MONTHS:
            return _MONTHS[token.lower()]
    return None


def truncate(date: dt.datetime, precision: str | None) -> dt.datetime:
    """The first day of the month or year of ``date`` for month/year precision."""
    if precision == "year":
        return date.replace(month=1, day=1)
    if precision == "month":
        return date.replace(day=1)
    return date


class ParsedDates(NamedTuple):
    """What :func:`parse_dates` gives, one Series each, on the input's index."""

    dates: object  # datetime64[ns], NaT when missing, unreadable or out of range
    precision: object  # "day" / "month" / "year", None when there is no date
    unreadable: object  # bool: present but not a readable date
    out_of_range: object  # bool: readable but before EARLIEST_DATE or after latest_date()


def parse_dates(values) -> ParsedDates:
    """Vectorised :func:`parse_date` for a pandas Series; each distinct value is parsed once.

    Dates outside ``EARLIEST_DATE`` .. :func:`latest_date` are never changed: they become NaT with
    ``out_of_range`` set, so the caller can reject the row.
    """
    import numpy as np
    import pandas as pd

    index = values.index
    if pd.api.types.is_datetime64_any_dtype(values):
        dates = values
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        dates = dates.dt.normalize()  # still in the column's own unit, so nothing overflows yet
        outside = dates.notna() & ((dates < EARLIEST_DATE) | (dates > latest_date()))
        dates = dates.where(~outside).astype("datetime64[ns]")
        precision = pd.Series(np.where(dates.notna(), "day", None), index=index, dtype=object)
        return ParsedDates(dates, precision, pd.Series(False, index=index), outside)

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed_dates, parsed_prec, parsed_bad, parsed_out = [], [], [], []
    for value in uniques:
        try:
            date, prec = parse_date(value)
            bad = False
        except (ValueError, OverflowError):
            date, prec, bad = None, None, True
        out = date is not None and not in_range(date)
        if out:
            date, prec = None, None
        parsed_dates.append(date)
        parsed_prec.append(prec)
        parsed_bad.append(bad)
        parsed_out.append(out)
    # the sentinel -1 (missing) picks the appended "missing" entry
    table_dates = np.array(
        [
            *(np.datetime64(d, "ns") if d else np.datetime64("NaT") for d in parsed_dates),
            np.datetime64("NaT"),
        ],
        dtype="datetime64[ns]",
    )
    table_prec = np.array([*parsed_prec, None], dtype=object)
    table_bad = np.array([*parsed_bad, False], dtype=bool)
    table_out = np.array([*parsed_out, False], dtype=bool)
    return ParsedDates(
        pd.Series(table_dates[codes], index=index),
        pd.Series(table_prec[codes], index=index, dtype=object),
        pd.Series(table_bad[codes], index=index),
        pd.Series(table_out[codes], index=index),
    )


def apply_precision(dates, precision, given):
    """Coarsen parsed dates to a stated precision (a ``date_precision`` column) when it is coarser.

    ``2015-01-01`` stated as ``month`` becomes January 2015 at month precision; a stated precision
    finer than what the value shows (``2015`` stated as ``day``) is not believed. Unknown stated
    values are ignored.
    """
    import numpy as np
    import pandas as pd

    given = given.fillna("").astype(str).str.strip().str.lower()
    rank_parsed = precision.map(PRECISION_RANK).fillna(0).to_numpy()
    rank_given = given.map(lambda p: PRECISION_RANK.get(p, 0) if p else 0).to_numpy()
    coarser = (rank_given > 0) & (rank_given < rank_parsed)
    if not coarser.any():
        return dates, precision
    dates = dates.copy()
    precision = precision.copy()
    to_month = coarser & (given.to_numpy() == "month")
    to_year = coarser & (given.to_numpy() == "year")
    values = dates.to_numpy().copy()
    values[to_month] = values[to_month].astype("datetime64[M]").astype("datetime64[ns]")
    values[to_year] = values[to_year].astype("datetime64[Y]").astype("datetime64[ns]")
    dates = pd.Series(values, index=dates.index)
    precision[to_month] = "month"
    precision[to_year] = "year"
    return dates, pd.Series(np.asarray(precision, dtype=object), index=dates.index, dtype=object)
