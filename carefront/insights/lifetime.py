"""Customer lifetime value: the BG/NBD purchase model, the Gamma-Gamma spend model and discounted CLV.

Pure NumPy/SciPy functions over arrays of customers, with no Django in sight, so that a job can score
a million customers in a second and a test can check the models against the papers' data.

- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2), 275-284; Fader, Hardie & Lee (2008), "Computing
  P(alive) Using the BG/NBD Model".
- Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
  Analysis", Journal of Marketing Research 42(4), 415-430; Fader & Hardie (2013), "The Gamma-Gamma
  Model of Monetary Value".

A customer is described by `frequency` (x, repeat purchases: distinct purchase days after the first),
`recency` (t_x, time from the first to the last purchase) and `T` (time from the first purchase to the
end of observation), all in one time unit the caller chooses (`unit_days=7` for weeks, 1 for days),
and by `monetary`, the mean value of the repeat purchases. `rfm_summary` builds them from a log.

Bad inputs raise `FitError` (a `ValueError`) whose message says what is wrong: missing or infinite
values, negative values, fractional frequencies, a recency after T, a recency without repeat purchases,
and data that cannot determine a model (no customers, nobody who bought twice, so few or so alike
customers that a parameter runs off to zero or infinity). No function returns NaN or infinity. Empty
arrays given to the scoring functions give empty results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

DAYS_PER_MONTH = 365.25 / 12
# Log-parameters may move this far from the starting point (a factor of 1.2 million). A fit that ends
# within _EDGE of the box (more than 160,000 times or less than 1/160,000 of the start) has a
# parameter running off to 0 or infinity, which means the data do not determine it; sound fits land
# within a factor of 1,000 or so of the start.
_LOG_SPAN = 14.0
_EDGE = 2.0


class FitError(ValueError):
    """The inputs cannot be used, or the data cannot determine a model; the message says why."""


# --- Inputs ------------------------------------------------------------------------------------------


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask.ravel())[0])


def _whole(name: str, values: Floats) -> None:
    fractional = values != np.floor(values)
    if fractional.any():
        first = _first(fractional)
        raise FitError(
            f"{name} counts repeat purchases and must be whole numbers; position {first} has {values.ravel()[first]:g}."
        )


def _floats(name: str, values: ArrayLike) -> Floats:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise FitError(f"{name} must be numbers ({exc}).") from exc
    bad = ~np.isfinite(array)
    if bad.any():
        raise FitError(
            f"{name} has {int(bad.sum())} missing or infinite value(s), the first at position {_first(bad)}."
        )
    negative = array < 0
    if negative.any():
        first = _first(negative)
        raise FitError(
            f"{name} has {int(negative.sum())} negative value(s), the first at position {first} "
            f"({array.ravel()[first]:g})."
        )
    return array


def _customers(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[Floats, Floats, Floats]:
    """Check (x, t_x, T) and broadcast them to one shape."""
    x, t_x, age = _floats("frequency", frequency), _floats("recency", recency), _floats("T", T)
    try:
        x, t_x, age = np.broadcast_arrays(x, t_x, age)
    except ValueError as exc:
        raise FitError(f"frequency, recency and T must have the same length ({exc}).") from exc
    _whole("frequency", x)
    late = t_x > age
    if late.any():
        first = _first(late)
        raise FitError(
            f"recency is later than T (the customer's age) for {int(late.sum())} customer(s), the first at "
            f"position {first} (recency {t_x.ravel()[first]:g} > T {age.ravel()[first]:g})."
        )
    lonely = (x == 0) & (t_x > 0)
    if lonely.any():
        first = _first(lonely)
        raise FitError(
            "recency is the time from the first to the last purchase, so it must be 0 for a customer without "
            f"repeat purchases; position {first} has frequency 0 and recency {t_x.ravel()[first]:g}."
        )
    return x, t_x, age


def _group(*columns: NDArray[Any]) -> tuple[Ints, Ints, Ints]:
    """Rows with equal values in every column: (index of one row of each group, group of each row, sizes)."""
    key = np.zeros(columns[0].shape[0], dtype=np.int64)
    span = 1
    for column in columns:
        values, inverse = np.unique(column, return_inverse=True)
        if span * len(values) >= 2**62:
            # Renumber the groups so far before the combined key could overflow.
            _, key = np.unique(key, return_inverse=True)
            span = int(key.max()) + 1
        key = key * len(values) + inverse.astype(np.int64)
        span *= len(values)
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    return first.astype(np.int64), inverse.astype(np.int64), counts.astype(np.int64)


def _weighted(weights: Floats, values: Floats) -> float:
    """Σ weights·values without BLAS, whose dot product waits on its threads when the CPUs are busy (100x slower)."""
    return float(np.multiply(weights, values).sum())


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise FitError(f"{name} must be a positive finite number, not {value!r}.")


def _optimise(
    objective: Any, start: Floats, names: tuple[str, ...], *, model: str
) -> tuple[Floats, float, bool, int, str]:
    """Minimise a per-customer objective over log-parameters θ in a box around `start`.

    BFGS works on φ with θ = start + span·tanh(φ/span), a smooth box that is the identity near the
    start. Not L-BFGS-B: its BLAS calls wake OpenBLAS's threads, and on a busy machine each of them
    waits for a CPU, which made a 5 ms fit take 120 ms. The data do not determine the parameters,
    and FitError says so, when one ends near the box's edge or when BFGS stops on a slope.
    """

    def boxed(phi: Floats) -> tuple[float, Floats]:
        squash = np.tanh(phi / _LOG_SPAN)
        value, gradient = objective(start + _LOG_SPAN * squash)
        return value, gradient * (1.0 - squash**2)

    result = minimize(boxed, np.zeros_like(start), jac=True, method="BFGS", options={"maxiter": 1000, "gtol": 1e-7})
    theta = start + _LOG_SPAN * np.tanh(np.asarray(result.x, dtype=np.float64) / _LOG_SPAN)
    value, gradient = objective(theta)
    if not (np.all(np.isfinite(theta)) and math.isfinite(value)):
        raise FitError(f"The {model} fit did not reach finite parameters; the data may be degenerate.")
    for name, moved in zip(names, theta - start, strict=True):
        if _LOG_SPAN - abs(moved) < _EDGE:
            raise FitError(
                f"The data do not determine the {model} model: its parameter {name} runs off towards "
                f"{'infinity' if moved > 0 else 'zero'}. This happens with very few customers, customers who all "
                "look alike, or no spread in their behaviour; fit on more or more varied customers."
            )
    # BFGS stops with "precision loss" when float64 cannot improve on a point it has already made
    # stationary; a gradient this small (per customer, per unit of log-parameter) is an optimum.
    converged = bool(result.success) or float(np.max(np.abs(gradient))) <= 1e-6
    if not converged:
        raise FitError(
            f"The data do not determine the {model} model: the fit did not settle ({result.message}), as the "
            "likelihood barely changes along some combination of parameters. This happens with very few "
            "customers or customers who all look alike; fit on more or more varied customers."
        )
    return theta, float(value), converged, int(result.nit), str(result.message)


# --- BG/NBD ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BgNbdFit:
    """BG/NBD parameters: purchase rates ~ Gamma(r, alpha), drop-out probabilities ~ Beta(a, b).

    alpha is in the caller's time unit. The other fields describe the fit and default to a fit
    built from known parameters.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = 0.0
    customers: int = 0
    repeat_customers: int = 0
    converged: bool = True
    iterations: int = 0
    message: str = ""
    penalty: float = 0.0

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            _positive(name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class _BgNbdData:
    """Customers grouped by identical (x, t_x, T), with the per-frequency and per-age pieces apart."""

    customers: int
    xs: Floats  # distinct frequencies
    x_weight: Floats  # customers per distinct frequency
    weight: Floats  # customers per group
    x: Floats
    ages: Floats  # distinct T
    age_of: Ints
    rep_weight: Floats  # the groups with x > 0
    rep_x: Floats
    rep_age_of: Ints
    recencies: Floats  # distinct t_x among them
    rep_recency_of: Ints


def _bgnbd_data(x: Floats, t_x: Floats, age: Floats) -> _BgNbdData:
    x, t_x, age = x.ravel(), t_x.ravel(), age.ravel()
    first, _, counts = _group(x, t_x, age)
    gx, gt, gT, weight = x[first], t_x[first], age[first], counts.astype(np.float64)
    xs, x_of = np.unique(gx, return_inverse=True)
    ages, age_of = np.unique(gT, return_inverse=True)
    rep = gx > 0
    recencies, rep_recency_of = np.unique(gt[rep], return_inverse=True)
    return _BgNbdData(
        customers=int(x.size),
        xs=xs,
        x_weight=np.bincount(x_of, weights=weight, minlength=xs.size).astype(np.float64),
        weight=weight,
        x=gx,
        ages=ages,
        age_of=age_of.astype(np.int64),
        rep_weight=weight[rep],
        rep_x=gx[rep],
        rep_age_of=age_of[rep].astype(np.int64),
        recencies=recencies,
        rep_recency_of=rep_recency_of.astype(np.int64),
    )


def _bgnbd_evaluate(data: _BgNbdData, r: float, alpha: float, a: float, b: float) -> tuple[float, Floats]:
    """Log-likelihood and its gradient in (r, alpha, a, b).

    Per customer L = A · [B(a, b+x)/B(a, b) (alpha+T)^-(r+x) + [x>0] B(a+1, b+x-1)/B(a, b) (alpha+t_x)^-(r+x)]
    with A = Γ(r+x) alpha^r / Γ(r) (FHL 2005); the second term over the first is e^d with
    d = log(a/(b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)), so log L = log A + log(first) + log(1 + e^d).
    """
    xs, n = data.xs, float(data.customers)
    w_x = data.x_weight
    log_age = np.log(alpha + data.ages)
    inv_age = 1.0 / (alpha + data.ages)
    rx = r + data.x
    per_x = gammaln(r + xs) - gammaln(r) + betaln(a, b + xs) - betaln(a, b)
    ll = _weighted(w_x, per_x) + n * r * math.log(alpha) - _weighted(data.weight, rx * log_age[data.age_of])
    d_r = (
        _weighted(w_x, digamma(r + xs) - digamma(r))
        + n * math.log(alpha)
        - _weighted(data.weight, log_age[data.age_of])
    )
    d_alpha = n * r / alpha - _weighted(data.weight, rx * inv_age[data.age_of])
    d_a = _weighted(w_x, digamma(a + b) - digamma(a + b + xs))
    d_b = _weighted(w_x, digamma(a + b) - digamma(b) - digamma(a + b + xs) + digamma(b + xs))

    w, rep_x = data.rep_weight, data.rep_x
    if w.size:
        rep_rx = r + rep_x
        rep_log_age = log_age[data.rep_age_of]
        log_rec = np.log(alpha + data.recencies)[data.rep_recency_of]
        inv_rec = (1.0 / (alpha + data.recencies))[data.rep_recency_of]
        d = math.log(a) - np.log(b + rep_x - 1.0) + rep_rx * (rep_log_age - log_rec)
        second = expit(d)  # the second term's share of L
        ll += _weighted(w, np.logaddexp(0.0, d))
        d_r += _weighted(w, second * (rep_log_age - log_rec))
        d_alpha += _weighted(w, second * rep_rx * (inv_age[data.rep_age_of] - inv_rec))
        d_a += _weighted(w, second) / a
        d_b -= _weighted(w, second / (b + rep_x - 1.0))
    return ll, np.array([d_r, d_alpha, d_a, d_b])


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[float, Floats]:
    """Total BG/NBD log-likelihood of the customers and its gradient with respect to (r, alpha, a, b)."""
    fit = BgNbdFit(r=r, alpha=alpha, a=a, b=b)
    data = _bgnbd_data(*_customers(frequency, recency, T))
    return _bgnbd_evaluate(data, fit.r, fit.alpha, fit.a, fit.b)


def _penalised(
    objective: Callable[[Floats], tuple[float, Floats]], start: Floats, penalty: float
) -> Callable[[Floats], tuple[float, Floats]]:
    """The objective plus `penalty` times the squared distance of the log-parameters from the start (a ridge):
    it keeps the parameters finite where the data alone let one run off, at the price of a little bias."""
    if penalty < 0 or not math.isfinite(penalty):
        raise FitError(f"penalty must be a number of 0 or more, not {penalty!r}.")

    def with_penalty(theta: Floats) -> tuple[float, Floats]:
        value, gradient = objective(theta)
        away = theta - start
        return value + penalty * float(away @ away), gradient + 2.0 * penalty * away

    return with_penalty


def bgnbd_fit(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, *, penalty: float = 0.0) -> BgNbdFit:
    """Fit BG/NBD by maximum likelihood (BFGS on log-parameters with the analytic gradient).

    With `penalty` > 0 the likelihood is penalised (see `_penalised`); the log-likelihood reported is the
    unpenalised one at the parameters found.

    Customers with the same (x, t_x, T) are evaluated once, weighted by their number. Raises
    FitError for invalid inputs (see `FitError`), when there are no customers or none with a repeat
    purchase, and when a parameter runs off to 0 or infinity (a single customer, identical
    customers, or purchase rates with no spread at all).
    """
    x, t_x, age = _customers(frequency, recency, T)
    if x.size == 0:
        raise FitError("There are no customers to fit.")
    repeaters = int((x > 0).sum())
    if repeaters == 0:
        raise FitError(
            "No customer made a repeat purchase, so purchase and drop-out rates cannot be estimated; "
            "fit on a longer history."
        )
    data = _bgnbd_data(x, t_x, age)
    if data.weight.size == 1:
        raise FitError(
            f"All {data.customers} customer(s) have the same frequency, recency and T; the model needs customers "
            "who differ to tell purchase rates from drop-out."
        )
    # Start at rates that match the average purchase rate (E[λ] = r/alpha) and a mean drop-out of 1/4.
    rate = max(float(x.sum()) / max(float(age.sum()), 1e-12), 1e-12)
    start = np.log(np.array([1.0, 1.0 / rate, 1.0, 3.0]))
    n = float(data.customers)

    def objective(theta: Floats) -> tuple[float, Floats]:
        params = np.exp(theta)
        ll, grad = _bgnbd_evaluate(data, *(float(p) for p in params))
        return -ll / n, -grad * params / n

    theta, _value, converged, iterations, message = _optimise(
        _penalised(objective, start, penalty), start, ("r", "alpha", "a", "b"), model="BG/NBD"
    )
    r, alpha, a, b = (float(p) for p in np.exp(theta))
    return BgNbdFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=-objective(theta)[0] * n,
        penalty=penalty,
        customers=data.customers,
        repeat_customers=repeaters,
        converged=converged,
        iterations=iterations,
        message=message,
    )


def _log_alive_odds(fit: BgNbdFit, x: Floats, t_x: Floats, age: Floats) -> Floats:
    """log of P(dropped out)/P(alive): log(a/(b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)), -inf when x = 0."""
    # Computed for every row (x = 0 as if it were 1) and masked after: cheaper than indexing a subset.
    odds = (
        math.log(fit.a)
        - np.log(fit.b + np.maximum(x, 1.0) - 1.0)
        + (fit.r + x) * (np.log(fit.alpha + age) - np.log(fit.alpha + t_x))
    )
    return np.where(x > 0, odds, -np.inf)


def bgnbd_p_alive(fit: BgNbdFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Floats:
    """P(alive | x, t_x, T) (Fader, Hardie & Lee 2008 note): 1 for customers without repeat purchases."""
    x, t_x, age = _customers(frequency, recency, T)
    return np.asarray(expit(-_log_alive_odds(fit, x, t_x, age)), dtype=np.float64)


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def _alive_expectation(fit: BgNbdFit, x: Floats, age: Floats, horizons: Floats) -> Floats:
    """Expected purchases in the next t of a customer known to be alive: eq. 10's numerator.

    G = (a+b+x-1)/(a-1) · [1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)], z = t/(alpha+T+t), as printed;
    Euler's transformation makes the bracket 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z). SciPy's
    2F1 overflows in the first for large x and z near 1, in the second for large a, and in both when
    c-a-b is a whole number (r - a whole) or c is 0 (a + b = 1, x = 0). So each value is tried in
    Euler's form, then as printed, then both with r and b a relative 1e-9 away (G is continuous), and
    last, when a and b+x are both 20 or more, as an integral over the drop-out probability. x and T
    broadcast against each other; horizons is the last axis.
    """
    r, alpha, b = fit.r, fit.alpha, fit.b
    # G is smooth in a but the formula is 0/0 at a = 1: step just beside it.
    a = fit.a if abs(fit.a - 1.0) >= 1e-7 else 1.0 + math.copysign(1e-7, fit.a - 1.0)
    x, age, horizon = np.broadcast_arrays(x[..., None], age[..., None], horizons)

    def hypergeometric(r: float, b: float, euler: bool, x: Floats, age: Floats, horizon: Floats) -> Floats:
        c = a + b + x - 1.0
        log_keep = np.log(alpha + age) - np.log(alpha + age + horizon)  # log(1 - z)
        z = -np.expm1(log_keep)
        with np.errstate(invalid="ignore", over="ignore"):  # a NaN or inf goes on to the next form
            if euler:
                u = (a - 1.0) * log_keep
                f = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
                # 1 - e^u F = -(e^u - 1) - e^u (F - 1): both pieces are O(a - 1), so nothing cancels.
                bracket = -np.expm1(u) - np.exp(u) * (f - 1.0)
            else:
                bracket = 1.0 - np.exp((r + x) * log_keep) * hyp2f1(r + x, b + x, c, z)
            return np.asarray(c / (a - 1.0) * bracket, dtype=np.float64)

    def integral(x: Floats, age: Floats, horizon: Floats) -> Floats:
        # E over p ~ Beta(a, b+x) of (1 - (1 + p·t/(alpha+T))^-(r+x)) / p, by Gauss-Legendre on
        # y = log(p/(1-p)) over 12 standard deviations either side of the mode: with a and b+x both
        # large the density of y is nearly normal, so the window holds all of it.
        rest = b + x
        half = (12.0 * np.sqrt(1.0 / a + 1.0 / rest))[..., None]
        y = np.log(a / rest)[..., None] + half * _NODES
        log_p, log_q = -np.logaddexp(0.0, -y), -np.logaddexp(0.0, y)
        density = np.exp(a * log_p + rest[..., None] * log_q - betaln(a, rest)[..., None])
        k, s = (r + x)[..., None], (horizon / (alpha + age))[..., None]
        spent = -np.expm1(-k * np.log1p(np.exp(log_p) * s)) * np.exp(-log_p)
        value = (half * density * spent * _WEIGHTS).sum(axis=-1)
        return np.where(np.minimum(a, rest) >= 20.0, value, np.nan)

    result = hypergeometric(r, b, True, x, age, horizon)
    step = 1.0 + 1e-9
    for form in (
        lambda *v: hypergeometric(r, b, False, *v),
        lambda *v: hypergeometric(r * step, b * step, True, *v),
        lambda *v: hypergeometric(r * step, b * step, False, *v),
        integral,
    ):
        bad = ~np.isfinite(result)
        if not bad.any():
            break
        result[bad] = form(x[bad], age[bad], horizon[bad])
    if not np.all(np.isfinite(result)):
        raise FitError(
            f"Expected purchases could not be computed for parameters this extreme (r={r:g}, a={a:g}, b={b:g})."
        )
    # Rounding can leave a customer a hair below zero at tiny horizons.
    return np.maximum(result, 0.0)


def _distinct_x_age(x: Floats, age: Floats) -> tuple[Floats, Floats, Ints]:
    """The distinct (x, T) pairs of (n,) customers and the pair of each customer.

    The 2F1 behind expected purchases depends on x and T only, and ages measured in days repeat a
    lot, so scoring computes it once per pair.
    """
    ages, age_of = np.unique(age, return_inverse=True)
    counts = x.astype(np.int64)
    width = int(counts.max(initial=0)) + 1
    space = ages.size * width
    if space >= 2**62:  # one key per pair would overflow
        first, inverse, _ = _group(x, age)
        return x[first], age[first], inverse
    key = age_of.astype(np.int64).ravel() * width + counts
    if space <= 4 * key.size + 4096:
        # A dense table of the possible pairs numbers the ones present without another sort.
        present = np.zeros(space, dtype=bool)
        present[key] = True
        codes = np.flatnonzero(present)
        inverse = (np.cumsum(present) - 1)[key]
    else:
        codes, inverse = np.unique(key, return_inverse=True)
    return (codes % width).astype(np.float64), ages[codes // width], inverse.astype(np.int64).ravel()


def _alive_expectation_grouped(fit: BgNbdFit, x: Floats, age: Floats, horizons: Floats) -> tuple[Floats, Ints]:
    """`_alive_expectation` for (n,) customers and (k,) horizons as (distinct (x, T) × k, index of each customer)."""
    xs, ages, inverse = _distinct_x_age(x, age)
    return _alive_expectation(fit, xs, ages, horizons), inverse


def bgnbd_expected_purchases(
    fit: BgNbdFit, t: float | ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Floats:
    """E[purchases in (T, T+t] | x, t_x, T] (FHL 2005, eq. 10): P(alive) times the alive customer's expectation.

    t is in the fit's time unit and broadcasts against the customers.
    """
    x, t_x, age = _customers(frequency, recency, T)
    horizon = _floats("t", t)
    p_alive = expit(-_log_alive_odds(fit, x, t_x, age))
    if horizon.ndim == 0:
        grid, inverse = _alive_expectation_grouped(fit, x.ravel(), age.ravel(), horizon.reshape(1))
        alive = grid[inverse, 0].reshape(x.shape)
    else:
        x, age, horizon, p_alive = np.broadcast_arrays(x, age, horizon, p_alive)
        alive = _alive_expectation(fit, x, age, horizon[..., None])[..., 0]
    return np.asarray(p_alive * alive, dtype=np.float64)


def bgnbd_expected_count(fit: BgNbdFit, t: float | ArrayLike) -> Floats:
    """E[X(t)], the expected repeat purchases of a new customer in their first t (FHL 2005, eq. 7)."""
    horizon = _floats("t", t)
    flat = horizon.ravel()
    values, inverse = np.unique(flat, return_inverse=True)
    counts = _alive_expectation(fit, np.zeros(1), np.zeros(1), values)[0]
    return counts[inverse].reshape(horizon.shape)


# --- Gamma-Gamma -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GammaGammaFit:
    """Gamma-Gamma parameters: transaction values ~ Gamma(p, ν) per customer, ν ~ Gamma(q, gamma).

    gamma is in the currency's unit. The population's mean transaction value is p·gamma/(q-1).
    """

    p: float
    q: float
    gamma: float
    log_likelihood: float = 0.0
    customers: int = 0
    converged: bool = True
    iterations: int = 0
    message: str = ""
    penalty: float = 0.0

    def __post_init__(self) -> None:
        for name in ("p", "q", "gamma"):
            _positive(name, getattr(self, name))

    @property
    def population_mean(self) -> float:
        """Mean transaction value of a customer we know nothing about; FitError when q <= 1 makes it infinite."""
        if self.q <= 1:
            raise FitError(f"With q = {self.q:.3g} <= 1 the population's mean spend is infinite.")
        return self.p * self.gamma / (self.q - 1.0)


def _spend_inputs(frequency: ArrayLike, monetary: ArrayLike) -> tuple[Floats, Floats]:
    x, m = _floats("frequency", frequency), _floats("monetary", monetary)
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError as exc:
        raise FitError(f"frequency and monetary must have the same length ({exc}).") from exc
    _whole("frequency", x)
    return x, m


@dataclass(frozen=True, slots=True)
class _SpendData:
    customers: int
    xs: Floats
    x_weight: Floats
    log_xs: Floats
    weight: Floats
    x: Floats
    m: Floats
    log_m: Floats


def _spend_data(x: Floats, m: Floats) -> _SpendData:
    first, _, counts = _group(x, m)
    gx, gm, weight = x[first], m[first], counts.astype(np.float64)
    xs, x_of = np.unique(gx, return_inverse=True)
    return _SpendData(
        customers=int(x.size),
        xs=xs,
        x_weight=np.bincount(x_of, weights=weight, minlength=xs.size).astype(np.float64),
        log_xs=np.log(xs),
        weight=weight,
        x=gx,
        m=gm,
        log_m=np.log(gm),
    )


def _spend_evaluate(data: _SpendData, p: float, q: float, gamma: float) -> tuple[float, Floats]:
    """Log-likelihood of the mean repeat values and its gradient in (p, q, gamma).

    The mean of x values is Gamma(px, νx) given ν; integrating ν ~ Gamma(q, gamma) out gives
    f(m) = Γ(px+q)/(Γ(px)Γ(q)) gamma^q x^(px) m^(px-1) / (gamma + x m)^(px+q).
    """
    xs, w_x, w = data.xs, data.x_weight, data.weight
    px = p * xs
    n = float(data.customers)
    log_total = np.log(gamma + data.x * data.m)
    pxr = p * data.x
    ll = _weighted(w_x, gammaln(px + q) - gammaln(px) + px * data.log_xs) + n * (q * math.log(gamma) - gammaln(q))
    ll += _weighted(w, (pxr - 1.0) * data.log_m - (pxr + q) * log_total)
    psi = digamma(px + q)
    d_p = _weighted(w_x, xs * (psi - digamma(px) + data.log_xs)) + _weighted(w, data.x * (data.log_m - log_total))
    d_q = _weighted(w_x, psi) + n * (math.log(gamma) - float(digamma(q))) - _weighted(w, log_total)
    d_gamma = n * q / gamma - _weighted(w, (pxr + q) / (gamma + data.x * data.m))
    return ll, np.array([d_p, d_q, d_gamma])


def _repeat_spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[Floats, Floats]:
    x, m = _spend_inputs(frequency, monetary)
    rep = x > 0
    free = rep & (m <= 0)
    if free.any():
        first = _first(free)
        raise FitError(
            f"{int(free.sum())} customer(s) with repeat purchases have a mean repeat value of 0 (the first at "
            f"position {first}); the Gamma-Gamma model needs positive amounts, so leave them out."
        )
    return x[rep], m[rep]


def gamma_gamma_log_likelihood(
    p: float, q: float, gamma: float, frequency: ArrayLike, monetary: ArrayLike
) -> tuple[float, Floats]:
    """Total Gamma-Gamma log-likelihood of the repeat customers and its gradient in (p, q, gamma)."""
    fit = GammaGammaFit(p=p, q=q, gamma=gamma)
    data = _spend_data(*_repeat_spend(frequency, monetary))
    return _spend_evaluate(data, fit.p, fit.q, fit.gamma)


def gamma_gamma_fit(frequency: ArrayLike, monetary: ArrayLike, *, penalty: float = 0.0) -> GammaGammaFit:
    """Fit Gamma-Gamma to the customers with repeat purchases (x > 0; the others are left out).

    `penalty` as for `bgnbd_fit`.

    monetary is each customer's mean repeat-transaction value. Raises FitError for invalid inputs,
    a repeat customer whose mean value is 0, no repeat customers, parameters that run off to 0 or
    infinity (one customer, identical averages), and a fit with q <= 1, whose population mean
    would be infinite (a few enormous averages; check the amounts).
    """
    x, m = _repeat_spend(frequency, monetary)
    if x.size == 0:
        raise FitError("No customer made a repeat purchase, so there is no repeat spend to fit.")
    if np.ptp(m) == 0:
        raise FitError(
            f"All {x.size} repeat customer(s) have the same mean repeat value; the model needs averages that differ."
        )
    data = _spend_data(x, m)
    # Start with a population mean equal to the average spend.
    start = np.log(np.array([2.0, 3.0, float(m.mean())]))
    n = float(data.customers)

    def objective(theta: Floats) -> tuple[float, Floats]:
        params = np.exp(theta)
        ll, grad = _spend_evaluate(data, *(float(v) for v in params))
        return -ll / n, -grad * params / n

    theta, _value, converged, iterations, message = _optimise(
        _penalised(objective, start, penalty), start, ("p", "q", "gamma"), model="Gamma-Gamma"
    )
    p, q, gamma = (float(v) for v in np.exp(theta))
    if q <= 1:
        raise FitError(
            f"The fitted spend distribution has no finite mean (q = {q:.3g} <= 1): a few very large average "
            "values dominate; check the amounts for errors or outliers."
        )
    return GammaGammaFit(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=-objective(theta)[0] * n,
        penalty=penalty,
        customers=data.customers,
        converged=converged,
        iterations=iterations,
        message=message,
    )


def gamma_gamma_expected_spend(fit: GammaGammaFit, frequency: ArrayLike, monetary: ArrayLike) -> Floats:
    """E[mean transaction value | x, m] = p (gamma + x m) / (p x + q - 1).

    A weighted mean of the population mean p·gamma/(q-1) and the customer's own mean m; customers
    with x = 0 get the population mean (their monetary value is not read). Raises FitError when
    q <= 1 and some customer has no repeat purchase, as their expectation would be infinite.
    """
    x, m = _spend_inputs(frequency, monetary)
    denominator = fit.p * x + fit.q - 1.0
    if (denominator <= 0).any():
        raise FitError(
            f"With q = {fit.q:.3g} <= 1 the population's mean spend is infinite, so a customer without repeat "
            "purchases has no finite expected spend."
        )
    m = np.where(x > 0, m, 0.0)
    return np.asarray(fit.p * (fit.gamma + x * m) / denominator, dtype=np.float64)


# --- Customer lifetime value -------------------------------------------------------------------------


def clv_discounted(
    bg: BgNbdFit,
    gg: GammaGammaFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    months: int = 12,
    annual_discount_rate: float = 0.10,
    unit_days: float = 7.0,
) -> Floats:
    """Discounted expected spend of each customer over the next `months` months.

    Σ_k (E[Y(t_k)] - E[Y(t_(k-1))]) · E[spend] · (1 + rate)^(-k/12), with t_k the end of month k
    (a month is 365.25/12 days, turned into the fits' unit with unit_days). E[Y(t)] is eq. 10 of
    FHL 2005, P(alive) times a term that depends on x and T only, so the (customers × months) grid
    of that term is computed once per distinct (x, T). recency, T and the BG/NBD fit must be in the
    unit that unit_days names; monetary in the Gamma-Gamma fit's currency.
    """
    if isinstance(months, bool) or not isinstance(months, int | np.integer) or months < 1:
        raise FitError(f"months must be a whole number of at least 1, not {months!r}.")
    if not (math.isfinite(annual_discount_rate) and annual_discount_rate > -1):
        raise FitError(f"annual_discount_rate must be a number above -1, not {annual_discount_rate!r}.")
    _positive("unit_days", unit_days)
    x, t_x, age = _customers(frequency, recency, T)
    try:
        x, t_x, age, m = np.broadcast_arrays(x, t_x, age, _floats("monetary", monetary))
    except ValueError as exc:
        raise FitError(f"frequency, recency, T and monetary must have the same length ({exc}).") from exc
    shape = x.shape
    x, t_x, age = x.ravel(), t_x.ravel(), age.ravel()
    spend = gamma_gamma_expected_spend(gg, x, m.ravel())
    steps = np.arange(1, int(months) + 1, dtype=np.float64)
    horizons = steps * (DAYS_PER_MONTH / unit_days)
    discount = (1.0 + annual_discount_rate) ** (-steps / 12.0)
    cumulative, inverse = _alive_expectation_grouped(bg, x, age, horizons)
    # A cumulative expectation never falls: clip rounding noise out of the monthly differences.
    monthly = np.maximum(np.diff(cumulative, axis=1, prepend=0.0), 0.0)
    value = (monthly * discount).sum(axis=1)[inverse]
    p_alive = expit(-_log_alive_odds(bg, x, t_x, age))
    return np.asarray(p_alive * spend * value, dtype=np.float64).reshape(shape)


# --- From a transaction log --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Summary:
    """One row per customer, in the order of their sorted ids.

    frequency, recency, T and monetary describe the calibration period (up to calibration_end when
    it is given, else observation_end). With calibration_end, holdout_frequency counts each
    customer's purchase days in (calibration_end, observation_end], holdout_T is that period's length.
    """

    customer_ids: NDArray[Any]
    frequency: Ints
    recency: Floats
    T: Floats
    monetary: Floats
    first_purchase: NDArray[np.datetime64]
    unit_days: float
    holdout_frequency: Ints | None = None
    holdout_T: float | None = None

    @property
    def customers(self) -> int:
        return int(self.customer_ids.size)


def _day(name: str, value: date | np.datetime64 | str) -> np.int64:
    try:
        day = np.asarray(value, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise FitError(f"{name} must be a date ({exc}).") from exc
    if np.isnat(day):
        raise FitError(f"{name} must be a date, not NaT.")
    return np.int64(day.astype(np.int64))


def rfm_summary(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    *,
    observation_end: date | np.datetime64 | str,
    unit_days: float = 7.0,
    calibration_end: date | np.datetime64 | str | None = None,
) -> Summary:
    """Frequency, recency, T and monetary value per customer from a transaction log, without a loop.

    Purchases on the same day are one transaction (amounts summed). frequency is the number of
    purchase days after the first, recency the time from the first to the last purchase day, T from
    the first purchase day to observation_end (or calibration_end), in units of unit_days days;
    monetary is the mean value of the repeat transactions (the first is left out), 0 without one.
    Dates are datetime64 (finer units are floored to the day), dates or ISO strings. Transactions
    after observation_end are ignored; with calibration_end only customers who bought by then are
    summarised. Raises FitError for missing dates, missing or negative amounts, arrays of different
    lengths, or a calibration_end outside the observation.
    """
    _positive("unit_days", unit_days)
    ids = np.asarray(customer_ids)
    try:
        raw_days = np.asarray(dates, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise FitError(f"dates must be dates ({exc}).") from exc
    money = _floats("amounts", amounts)
    if not (ids.ndim == raw_days.ndim == money.ndim == 1 and ids.size == raw_days.size == money.size):
        raise FitError(
            "customer_ids, dates and amounts must be one-dimensional and of the same length "
            f"({ids.size}, {raw_days.size} and {money.size} given)."
        )
    missing = np.isnat(raw_days)
    if missing.any():
        raise FitError(f"dates has {int(missing.sum())} missing value(s), the first at position {_first(missing)}.")
    end = _day("observation_end", observation_end)
    cut = end if calibration_end is None else _day("calibration_end", calibration_end)
    if cut > end:
        raise FitError("calibration_end must be on or before observation_end.")
    days = raw_days.astype(np.int64)
    seen = days <= end
    ids, days, money = ids[seen], days[seen], money[seen]
    unique_ids, customer = np.unique(ids, return_inverse=True)
    customer = customer.astype(np.int64).ravel()
    order = np.lexsort((days, customer))
    customer, days, money = customer[order], days[order], money[order]
    # One transaction per customer and day.
    starts = np.flatnonzero(np.r_[True, (np.diff(customer) != 0) | (np.diff(days) != 0)])[: days.size]
    customer, days, money = customer[starts], days[starts], np.add.reduceat(money, starts)
    n = unique_ids.size
    opens = np.searchsorted(customer, np.arange(n))  # every customer has a first day
    first_day = days[opens]
    is_first = np.zeros(days.size, dtype=bool)
    is_first[opens] = True

    in_calibration = days <= cut
    count = np.bincount(customer[in_calibration], minlength=n)
    keep = count > 0
    last_day = days[opens + np.maximum(count - 1, 0)]
    repeat = in_calibration & ~is_first
    frequency = (count - 1)[keep].astype(np.int64)
    spend = np.bincount(customer[repeat], weights=money[repeat], minlength=n)[keep]
    monetary = np.divide(spend, frequency, out=np.zeros(frequency.size), where=frequency > 0)
    holdout, holdout_T = None, None
    if calibration_end is not None:
        holdout = np.bincount(customer[~in_calibration], minlength=n)[keep].astype(np.int64)
        holdout_T = float(end - cut) / unit_days
    return Summary(
        customer_ids=unique_ids[keep],
        frequency=frequency,
        recency=(last_day - first_day)[keep] / unit_days,
        T=(cut - first_day)[keep] / unit_days,
        monetary=monetary,
        first_purchase=first_day[keep].astype("datetime64[D]"),
        unit_days=float(unit_days),
        holdout_frequency=holdout,
        holdout_T=holdout_T,
    )
