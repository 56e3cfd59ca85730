"""Customers drawn from the BG/NBD and Gamma-Gamma models, without a loop, for the tests and bench/insights.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from carefront.insights.lifetime import BgNbdFit, GammaGammaFit


@dataclass(frozen=True, slots=True, eq=False)
class BgNbdSample:
    """Simulated customers: their summary at T, whether still alive then, and purchases in the next horizon."""

    frequency: NDArray[np.int64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    alive: NDArray[np.bool_]
    future: NDArray[np.int64]


def bgnbd_simulate(
    r: float, alpha: float, a: float, b: float, T: ArrayLike, rng: np.random.Generator, *, horizon: float = 0.0
) -> BgNbdSample:
    """Draw one customer per age in T from BG/NBD(r, alpha, a, b).

    A customer buys at rate λ ~ Gamma(r, alpha) and drops out right after each repeat purchase with
    probability p ~ Beta(a, b), so J ~ Geometric(p) repeat purchases happen before the drop-out. Of
    the K ~ Poisson(λ(T+h)) purchase times of a Poisson process over (0, T+h], Binomial(K, T/(T+h))
    fall in (0, T]; the customer makes the first J of them. Given K' uniform times on (0, T], the
    x-th earliest is T times a Beta(x, K'-x+1) draw, which gives t_x.
    """
    BgNbdFit(r=r, alpha=alpha, a=a, b=b)  # refuses parameters that are not positive and finite
    age = np.asarray(T, dtype=np.float64).ravel()
    n = age.size
    rate = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    drop = np.clip(rng.beta(a, b, size=n), 1e-12, 1.0)
    lifetime_purchases = rng.geometric(drop)
    total = rng.poisson(rate * (age + horizon))
    share = np.divide(age, age + horizon, out=np.ones(n), where=(age + horizon) > 0)
    before = rng.binomial(total, share)
    x = np.minimum(before, lifetime_purchases)
    order = rng.beta(np.maximum(x, 1), np.maximum(before - x + 1, 1))
    return BgNbdSample(
        frequency=x.astype(np.int64),
        recency=np.where(x > 0, age * order, 0.0),
        T=age,
        alive=lifetime_purchases > before,
        future=(np.minimum(total, lifetime_purchases) - x).astype(np.int64),
    )


def gamma_gamma_simulate(
    p: float, q: float, gamma: float, frequency: ArrayLike, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw each customer's mean repeat value from Gamma-Gamma(p, q, gamma); 0 where frequency is 0.

    ν ~ Gamma(q, rate gamma) per customer; the mean of x values Gamma(p, rate ν) is Gamma(px, rate νx).
    """
    GammaGammaFit(p=p, q=q, gamma=gamma)
    x = np.asarray(frequency, dtype=np.float64).ravel()
    nu = rng.gamma(shape=q, scale=1.0 / gamma, size=x.size)
    repeat = x > 0
    mean = np.zeros(x.size)
    mean[repeat] = rng.gamma(shape=p * x[repeat], scale=1.0 / (nu[repeat] * x[repeat]))
    return mean
