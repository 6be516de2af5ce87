"""Kleinberg's two-state burst automaton for batched counts.

This is the batched ("enumerating bursts") version of Kleinberg (2002, *Bursty and hierarchical
structure in streams*, section 4) that CiteSpace made standard for research fronts. Batch ``t`` holds
``d[t]`` documents of which ``r[t]`` are relevant (papers of one topic among all papers of one time
bin). The automaton has two states:

- state 0 emits relevant documents at the base rate ``p0``: by default ``R / D`` (all relevant over
  all documents), or a baseline the caller gives (trends use each topic's median share, its usual
  level, which a burst does not inflate);
- state 1 (a burst) emits them at ``p1 = min(s * p0, P1_CAP)``.

Fitting batch ``t`` in state ``i`` costs ``sigma_i(t) = -ln[ C(d, r) p_i^r (1 - p_i)^(d - r) ]``.
Moving up from state 0 to state 1 costs ``gamma * ln(n)`` (``n`` = number of batches); moving down or
staying is free. The automaton starts in state 0 before the first batch, so a burst that starts at
the first batch pays the entry cost too. The optimal state sequence (least total cost) is found by
the Viterbi algorithm; ties go to the lower state, so a result is deterministic.

A burst is a maximal run of state 1 with ``start`` and ``end`` batch indices (inclusive) and
``weight = sum over the run of (sigma_0(t) - sigma_1(t))``: how much better the burst state fits the
run than the base state. Batches with ``d[t] = 0`` cost nothing in either state.

How often noise passes for a burst (measured in tests/test_bursts.py on 300 flat binomial series of
20 batches): with about 50 relevant papers per batch and the default ``gamma = 1``, under 1% of
series show a burst; with about 6 per batch, about 12% do, all weak (weight below 7, where a real
burst of the same size weighs several times more); ``gamma = 2`` brings small counts under 1% too.
Read weak bursts of small topics with care, or raise ``gamma``.

A run of state 1 that covers most of the series is not a burst but a level: the topic sat above its
baseline for most of the range (a topic that grew and stayed). :func:`is_level` tells them
apart: a run longer than ``MAX_BURST_SPAN`` (60%) of the batches is a level.

Only numpy and scipy are needed; counts come in as plain sequences.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from landscape.analysis.trend_defaults import DEFAULT_GAMMA, DEFAULT_S
from landscape.errors import LandscapeError

# The burst rate must stay below 1, or a batch with a single non-relevant document would be impossible.
P1_CAP = 0.9999
# A run in the burst state over more than this fraction of the batches is a level, not a burst.
MAX_BURST_SPAN = 0.6


@dataclass(frozen=True)
class Burst:
    """One burst: batches ``start``..``end`` (inclusive, 0-based) and its weight (strength)."""

    start: int
    end: int
    weight: float


def _counts(r, d) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(r, dtype=float).ravel()
    d = np.asarray(d, dtype=float).ravel()
    if r.shape != d.shape:
        raise LandscapeError(f"burst detection needs one total per count: {r.size} counts, {d.size} totals")
    for name, a in (("counts", r), ("totals", d)):
        if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(a != np.round(a)):
            raise LandscapeError(f"burst detection: {name} must be non-negative whole numbers")
    if np.any(r > d):
        t = int(np.flatnonzero(r > d)[0])
        raise LandscapeError(
            f"burst detection: batch {t} has more relevant papers ({r[t]:g}) than papers ({d[t]:g})"
        )
    return r, d


def _check_params(s: float, gamma: float) -> None:
    if not (isinstance(s, numbers.Real) and math.isfinite(s) and s > 1):
        raise LandscapeError(f"burst rate multiplier s must be a number > 1, got {s!r}")
    if not (isinstance(gamma, numbers.Real) and math.isfinite(gamma) and gamma >= 0):
        raise LandscapeError(f"burst transition cost gamma must be a number >= 0, got {gamma!r}")


def rates(r, d, s: float = DEFAULT_S, p0: float | None = None) -> tuple[float, float]:
    """The base rate ``p0`` (``R / D`` unless given) and burst rate ``p1 = min(s * p0, P1_CAP)``."""
    r, d = _counts(r, d)
    if p0 is None:
        total = d.sum()
        p0 = float(r.sum() / total) if total > 0 else 0.0
    elif not (isinstance(p0, numbers.Real) and 0 <= p0 < 1):
        raise LandscapeError(f"burst base rate p0 must be a number in [0, 1), got {p0!r}")
    return float(p0), min(s * float(p0), P1_CAP)


def fit_costs(r, d, p: float) -> np.ndarray:
    """``-ln`` of the binomial probability of ``r[t]`` relevant out of ``d[t]`` at rate ``p``."""
    from scipy.special import gammaln, xlog1py, xlogy

    r, d = _counts(r, d)
    log_choose = gammaln(d + 1) - gammaln(r + 1) - gammaln(d - r + 1)
    return -(log_choose + xlogy(r, p) + xlog1py(d - r, -p))


def burst_states(
    r, d, s: float = DEFAULT_S, gamma: float = DEFAULT_GAMMA, p0: float | None = None
) -> np.ndarray:
    """The least-cost state (0 = base, 1 = burst) of each batch, as an int array."""
    _check_params(s, gamma)
    r, d = _counts(r, d)
    n = r.size
    states = np.zeros(n, dtype=int)
    p0, p1 = rates(r, d, s, p0)
    # Nothing relevant, or everything relevant: there is no higher rate to burst to.
    if n == 0 or p0 <= 0 or p1 <= p0:
        return states
    cost = np.column_stack([fit_costs(r, d, p0), fit_costs(r, d, p1)])
    up = gamma * math.log(n)

    best = np.empty((n, 2))
    back = np.zeros((n, 2), dtype=int)  # previous state on the best path into (t, state)
    best[0] = cost[0, 0], cost[0, 1] + up
    for t in range(1, n):
        # into state 0: from 0 (free) or from 1 (free); ties keep the lower previous state
        stay0, down = best[t - 1, 0], best[t - 1, 1]
        back[t, 0] = 0 if stay0 <= down else 1
        best[t, 0] = min(stay0, down) + cost[t, 0]
        # into state 1: from 0 (pay to go up) or from 1 (free)
        rise, stay1 = best[t - 1, 0] + up, best[t - 1, 1]
        back[t, 1] = 0 if rise <= stay1 else 1
        best[t, 1] = min(rise, stay1) + cost[t, 1]
    states[-1] = 0 if best[-1, 0] <= best[-1, 1] else 1
    for t in range(n - 1, 0, -1):
        states[t - 1] = back[t, states[t]]
    return states


def find_bursts(
    r, d, s: float = DEFAULT_S, gamma: float = DEFAULT_GAMMA, p0: float | None = None
) -> list[Burst]:
    """Burst intervals (maximal runs of state 1) with their weights, in time order."""
    states = burst_states(r, d, s, gamma, p0)
    if not states.any():
        return []
    r, d = _counts(r, d)
    p0, p1 = rates(r, d, s, p0)
    gain = fit_costs(r, d, p0) - fit_costs(r, d, p1)
    found = []
    t, n = 0, states.size
    while t < n:
        if states[t] == 1:
            start = t
            while t + 1 < n and states[t + 1] == 1:
                t += 1
            found.append(Burst(start, t, float(gain[start : t + 1].sum())))
        t += 1
    return found


def median_baseline(r, d) -> float | None:
    """A series' usual rate: the median of ``r / d`` over batches with documents, or ``None`` (the
    caller falls back to ``R / D``) when that median is 0 (the series is absent most of the time)."""
    r, d = _counts(r, d)
    used = d > 0
    if not used.any():
        return None
    median = float(np.median(r[used] / d[used]))
    return median if 0 < median < 1 else None


def is_level(burst: Burst, n: int) -> bool:
    """True when ``burst`` covers more than ``MAX_BURST_SPAN`` of ``n`` batches: a level, not a burst."""
    return (burst.end - burst.start + 1) > MAX_BURST_SPAN * n
