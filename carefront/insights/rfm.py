"""RFM scoring: recency, frequency and monetary quintiles, and the named segments they fall in.

Scores are 1 (worst) to 5 (best), cut at the quintiles of the accounts that have ordered: the breaks are
computed once per full refresh and kept, so that an account re-scored between two refreshes is scored
against the same population. Tied values share a score, so a base where most accounts ordered once puts
all of them in the same frequency score. The named segments follow the usual recency × frequency grid,
with frequency and money averaged (FM = ⌈(F + M) / 2⌉) so that a big spender with few orders counts:

| R \\ FM | 1 | 2 | 3 | 4 | 5 |
| --- | --- | --- | --- | --- | --- |
| 5 | New | Potential loyalist | Potential loyalist | Champions | Champions |
| 4 | Promising | Potential loyalist | Potential loyalist | Loyal | Loyal |
| 3 | About to sleep | About to sleep | Need attention | Loyal | Loyal |
| 2 | Hibernating | Hibernating | At risk | At risk | Can't lose them |
| 1 | Lost | Hibernating | At risk | At risk | Can't lose them |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from carefront.insights.models import RfmSegment

QUINTILES = (0.2, 0.4, 0.6, 0.8)

# GRID[r - 1][fm - 1], as in the table above.
GRID: tuple[tuple[RfmSegment, ...], ...] = (
    (RfmSegment.LOST, RfmSegment.HIBERNATING, RfmSegment.AT_RISK, RfmSegment.AT_RISK, RfmSegment.CANT_LOSE),
    (RfmSegment.HIBERNATING, RfmSegment.HIBERNATING, RfmSegment.AT_RISK, RfmSegment.AT_RISK, RfmSegment.CANT_LOSE),
    (
        RfmSegment.ABOUT_TO_SLEEP,
        RfmSegment.ABOUT_TO_SLEEP,
        RfmSegment.NEED_ATTENTION,
        RfmSegment.LOYAL,
        RfmSegment.LOYAL,
    ),
    (
        RfmSegment.PROMISING,
        RfmSegment.POTENTIAL_LOYALIST,
        RfmSegment.POTENTIAL_LOYALIST,
        RfmSegment.LOYAL,
        RfmSegment.LOYAL,
    ),
    (
        RfmSegment.NEW,
        RfmSegment.POTENTIAL_LOYALIST,
        RfmSegment.POTENTIAL_LOYALIST,
        RfmSegment.CHAMPIONS,
        RfmSegment.CHAMPIONS,
    ),
)
_GRID_CODES = np.array([[str(segment.value) for segment in row] for row in GRID], dtype=object)


@dataclass(frozen=True)
class RfmBreaks:
    """The four quintile cuts of each measure: days since the last order, orders, spend."""

    recency_days: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]

    def as_json(self) -> dict[str, list[float]]:
        return {
            "recency_days": list(self.recency_days),
            "frequency": list(self.frequency),
            "monetary": list(self.monetary),
        }

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> RfmBreaks:
        return cls(
            recency_days=tuple(float(v) for v in data["recency_days"]),
            frequency=tuple(float(v) for v in data["frequency"]),
            monetary=tuple(float(v) for v in data["monetary"]),
        )


def _cuts(values: npt.NDArray[np.float64]) -> tuple[float, ...]:
    return tuple(float(v) for v in np.quantile(values, QUINTILES))


def rfm_breaks(
    *, recency_days: npt.NDArray[np.float64], frequency: npt.NDArray[np.float64], monetary: npt.NDArray[np.float64]
) -> RfmBreaks:
    """The quintile cuts of the accounts that have ordered; an empty population has no cuts to make."""
    if recency_days.size == 0:
        raise ValueError("RFM needs at least one account with an order.")
    return RfmBreaks(recency_days=_cuts(recency_days), frequency=_cuts(frequency), monetary=_cuts(monetary))


def _higher_is_better(values: npt.NDArray[np.float64], cuts: tuple[float, ...]) -> npt.NDArray[np.int64]:
    # A value equal to a cut scores with those below it, so ties at a cut never outrank each other.
    return (1 + np.searchsorted(np.asarray(cuts), values, side="left")).astype(np.int64)


def rfm_scores(
    *,
    recency_days: npt.NDArray[np.float64],
    frequency: npt.NDArray[np.float64],
    monetary: npt.NDArray[np.float64],
    breaks: RfmBreaks,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """R, F and M scores (1–5) of each account; fewer days since the last order is better."""
    recency = (5 - np.searchsorted(np.asarray(breaks.recency_days), recency_days, side="left")).astype(np.int64)
    return recency, _higher_is_better(frequency, breaks.frequency), _higher_is_better(monetary, breaks.monetary)


def rfm_segments(
    recency: npt.NDArray[np.int64], frequency: npt.NDArray[np.int64], monetary: npt.NDArray[np.int64]
) -> npt.NDArray[np.object_]:
    """The named segment of each (R, F, M) triple, from the grid above."""
    fm = (frequency + monetary + 1) // 2
    result: npt.NDArray[np.object_] = _GRID_CODES[recency - 1, fm - 1]
    return result
