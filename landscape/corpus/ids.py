"""Corpus identity: arXiv identifiers (new and old style), their normal form and the month they encode.

One owner for every rule about arXiv ids: readers, ingest and the fetchers all use these.
"""

from __future__ import annotations

import datetime as dt
import re

# new style (April 2007 on): YYMM.NNNN or YYMM.NNNNN, optional version
# old style: archive[.SUBJ]/YYMMNNN, e.g. cs/0501001, math.AG/0601001, hep-th/9901001
_ARXIV_NEW = r"(\d{2})(\d{2})\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/(\d{2})(\d{2})\d{3}"
# (case-insensitive prefix written inline, so pyarrow's RE2 engine can run the vectorised extract)
_ARXIV_PREFIX = r"(?i:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)?"
ARXIV_ID = re.compile(rf"\s*{_ARXIV_PREFIX}(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?(?:\.pdf)?/?\s*")
# an arXiv id mentioned inside other text ("arXiv preprint arXiv:2205.11916", "arXiv:1706.03762 [cs]")
ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv[:./]\s*|arxiv\.org/(?:abs|pdf)/)(?P<id>\d{{4}}\.\d{{4,5}}|{_ARXIV_OLD})", re.IGNORECASE
)


def normalise_arxiv_id(value) -> str:
    """The bare arXiv id without version (``2205.11916``, ``cs/0501001``), or ``""`` if not an arXiv id.

    Accepts ``2205.11916v2``, ``arXiv:2205.11916``, ``https://arxiv.org/abs/2205.11916`` and old-style
    ids. A bare id is only accepted when it encodes a real month.
    """
    if value is None or not isinstance(value, str):
        return ""
    match = ARXIV_ID.fullmatch(value)
    if not match:
        return ""
    arxiv_id = match["id"]
    return arxiv_id if arxiv_month(arxiv_id) is not None else ""


def arxiv_month(arxiv_id) -> dt.datetime | None:
    """The month of first submission an arXiv id encodes (``2205.11916`` -> 2022-05-01), else None."""
    if not isinstance(arxiv_id, str):
        return None
    match = ARXIV_ID.fullmatch(arxiv_id)
    if not match:
        return None
    groups = match.groups()  # id, new-style (yy, mm), old-style (yy, mm)
    yy, mm = (int(groups[1]), int(groups[2])) if groups[1] is not None else (int(groups[3]), int(groups[4]))
    if not 1 <= mm <= 12:
        return None
    if match["id"][0].isdigit():  # new style began in April 2007
        year = 2000 + yy
        if (year, mm) < (2007, 4):
            return None
    else:  # old style ran from August 1991 to March 2007
        year = 1900 + yy if yy >= 91 else 2000 + yy
        if (year, mm) < (1991, 8) or (year, mm) > (2007, 3):
            return None
    return dt.datetime(year, mm, 1)


_ARXIV_EXTRACT = (
    rf"^\s*{_ARXIV_PREFIX}(?P<id>(?P<nyy>\d{{2}})(?P<nmm>\d{{2}})\.\d{{4,5}}"
    r"|[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/(?P<oyy>\d{2})(?P<omm>\d{2})\d{3})(?:v\d+)?(?:\.pdf)?/?\s*$"
)


def arxiv_ids(values):
    """Vectorised :func:`normalise_arxiv_id` for a pandas Series (``""`` where not an arXiv id)."""
    import numpy as np
    import pandas as pd

    s = values.fillna("").astype(str)
    result = pd.Series("", index=values.index, dtype=object)
    maybe = s.str.contains(r"\d{4}", regex=True).to_numpy(dtype=bool)  # cheap filter first
    if not maybe.any():
        return result.astype(str)
    # pyarrow's RE2 kernel directly: pandas' str.extract runs Python's re row by row
    import pyarrow as pa
    import pyarrow.compute as pc

    matched = pc.extract_regex(pa.array(s[maybe], type=pa.large_string()), _ARXIV_EXTRACT)
    matched = matched.combine_chunks() if isinstance(matched, pa.ChunkedArray) else matched
    parts = pd.DataFrame(
        {name: matched.field(name).to_pandas() for name in ("id", "nyy", "nmm", "oyy", "omm")}
    )
    parts = parts.where(pd.Series(matched.is_valid().to_numpy(zero_copy_only=False)), None)
    parts = parts.replace("", None)  # RE2 gives "" for a group that did not take part
    new = parts["nyy"].notna().to_numpy()
    yy = np.where(new, parts["nyy"].fillna("0"), parts["oyy"].fillna("0")).astype(int)
    mm = np.where(new, parts["nmm"].fillna("0"), parts["omm"].fillna("0")).astype(int)
    year = np.where(new, 2000 + yy, np.where(yy >= 91, 1900 + yy, 2000 + yy))
    ym = year * 100 + mm
    valid = parts["id"].notna().to_numpy() & (mm >= 1) & (mm <= 12)
    valid &= np.where(new, ym >= 200704, (ym >= 199108) & (ym <= 200703))
    ids = parts["id"].where(valid, "").fillna("")
    result[maybe] = ids.to_numpy(dtype=object)
    return result.astype(str)


def arxiv_months(ids):
    """The submission months of a Series of bare arXiv ids, as ``datetime64[ns]`` (NaT where none)."""
    import pandas as pd

    codes, uniques = pd.factorize(ids.fillna("").astype(str))
    table = [arxiv_month(u) if u else None for u in uniques]
    return pd.Series(pd.to_datetime([table[c] for c in codes]), index=ids.index).astype("datetime64[ns]")


# Ids made from a title when the input has none (``title:<hash>``, see ``text.title_id``): not
# evidence that two rows are different papers.
TITLE_ID_PREFIX = "title:"


def is_made_up_id(value) -> bool:
    """Whether an id was made from the title rather than given by the input or a service."""
    return str(value).startswith(TITLE_ID_PREFIX)
