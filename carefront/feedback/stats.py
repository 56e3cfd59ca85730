"""Confidence intervals of the survey figures, from SciPy.

- CSAT is a proportion (the answers of 4–5 among all answers): its 95 % interval is the Wilson score interval,
  `scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`. Unlike the normal ("Wald") interval it stays
  within 0–100 % and behaves on small samples and at 0 % or 100 %.
- NPS is a difference of two proportions of the same answers (promoters − detractors). Each answer scores +1, 0
  or −1; NPS is their mean, so its standard error is sqrt((p + d − (p − d)²) / n) with p and d the promoters' and
  detractors' shares, and the 95 % interval is NPS ± z·SE with z = `scipy.stats.norm.ppf(0.975)`, clipped to
  −100…+100.
Both are None without answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate in percent (NPS: points, −100…100) with its 95 % confidence interval."""

    value: float
    low: float
    high: float
    count: int


def csat_interval(*, satisfied: int, answers: int) -> Interval | None:
    """CSAT (% of 4–5 answers) with its Wilson score interval."""
    if answers <= 0:
        return None
    result = stats.binomtest(satisfied, answers).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return Interval(
        value=100 * satisfied / answers, low=100 * float(result.low), high=100 * float(result.high), count=answers
    )


def nps_interval(*, promoters: int, detractors: int, answers: int) -> Interval | None:
    """NPS (% promoters − % detractors) with the normal interval of a mean of +1/0/−1 scores."""
    if answers <= 0:
        return None
    p, d = promoters / answers, detractors / answers
    score = p - d
    error = math.sqrt(max(p + d - score * score, 0.0) / answers)
    z = float(stats.norm.ppf(1 - (1 - CONFIDENCE) / 2))
    return Interval(
        value=100 * score,
        low=100 * max(score - z * error, -1.0),
        high=100 * min(score + z * error, 1.0),
        count=answers,
    )
