"""The lifetime-value models against the papers' CDNOW numbers, simulations, finite differences and bad inputs."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import betaln

from carefront.insights.lifetime import (
    BgNbdFit,
    FitError,
    GammaGammaFit,
    Summary,
    bgnbd_expected_count,
    bgnbd_expected_purchases,
    bgnbd_fit,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    clv_discounted,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
    gamma_gamma_log_likelihood,
    rfm_summary,
)
from carefront.insights.tests.cdnow import SAMPLE, cdnow_published_summary, cdnow_read
from carefront.insights.tests.simulate import bgnbd_simulate, gamma_gamma_simulate

CALIBRATION_END = "1997-09-30"  # the end of week 39
HOLDOUT_END = "1998-06-30"  # the end of week 78

# Fader, Hardie & Lee (2005), Marketing Science; Fader & Hardie (2013), the Gamma-Gamma note.
PAPER_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_BGNBD_LL = -9582.4
PAPER_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}

# A week-unit BG/NBD and a Gamma-Gamma close to CDNOW's, for the tests that need parameters.
CDNOW_BG = BgNbdFit(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_GG = GammaGammaFit(p=6.25, q=3.74, gamma=15.44)


def _significant(value: float, digits: int = 2) -> float:
    return float(f"{value:.{digits}g}")


@pytest.fixture(scope="module")
def cdnow() -> Summary:
    log = cdnow_read(SAMPLE)
    return rfm_summary(
        log.customer_ids,
        log.dates,
        log.amounts,
        observation_end=HOLDOUT_END,
        calibration_end=CALIBRATION_END,
        unit_days=7.0,
    )


@pytest.fixture(scope="module")
def cdnow_bg(cdnow: Summary) -> BgNbdFit:
    return bgnbd_fit(cdnow.frequency, cdnow.recency, cdnow.T)


# --- The transaction log -----------------------------------------------------------------------------


def test_cdnow_summary_matches_the_summary_published_with_the_data(cdnow: Summary) -> None:
    published = cdnow_published_summary()
    assert cdnow.customers == 2357
    assert int((cdnow.frequency > 0).sum()) == 946
    np.testing.assert_array_equal(cdnow.frequency, published.frequency)
    # The published file rounds to hundredths.
    np.testing.assert_allclose(cdnow.recency, published.recency, atol=0.005)
    np.testing.assert_allclose(cdnow.T, published.T, atol=0.005)
    np.testing.assert_allclose(cdnow.monetary, published.monetary, atol=0.0051)
    assert cdnow.holdout_T == 39.0


def test_same_day_purchases_count_once_and_the_first_purchase_is_not_in_monetary() -> None:
    ids = np.array(["bea", "ann", "ann", "ann", "ann", "bea", "cid", "ann"])
    dates = np.array(
        [
            "2024-01-08",
            "2024-01-01",
            "2024-01-01",
            "2024-01-15",
            "2024-01-29",
            "2024-01-08",
            "2024-02-01",
            "2024-03-01",
        ],
        dtype="datetime64[D]",
    )
    amounts = np.array([5.0, 10.0, 2.0, 30.0, 50.0, 7.0, 1.0, 99.0])
    summary = rfm_summary(ids, dates, amounts, observation_end=date(2024, 2, 5), unit_days=7.0)
    assert list(summary.customer_ids) == ["ann", "bea", "cid"]
    assert list(summary.frequency) == [2, 0, 0]
    np.testing.assert_allclose(summary.recency, [4.0, 0.0, 0.0])
    np.testing.assert_allclose(summary.T, [5.0, 4.0, 4 / 7])
    np.testing.assert_allclose(summary.monetary, [40.0, 0.0, 0.0])
    assert summary.first_purchase[1] == np.datetime64("2024-01-08")
    assert summary.holdout_frequency is None

    in_days = rfm_summary(ids, dates, amounts, observation_end="2024-02-05", unit_days=1.0)
    np.testing.assert_allclose(in_days.recency, summary.recency * 7)
    np.testing.assert_allclose(in_days.T, summary.T * 7)


def test_calibration_end_splits_the_log_into_calibration_and_holdout() -> None:
    """GIVEN ann buying before and after the cut, bea only after it WHEN split THEN bea is left out."""
    ids = np.array([1, 1, 1, 1, 2, 2])
    dates = np.array(
        ["2024-01-01T09:30", "2024-01-10T12:00", "2024-01-31T23:59", "2024-01-31T08:00", "2024-02-02", "2024-02-03"],
        dtype="datetime64[s]",
    )
    summary = rfm_summary(
        ids, dates, [1, 2, 3, 4, 5, 6], observation_end="2024-02-29", calibration_end="2024-01-15", unit_days=1
    )
    assert list(summary.customer_ids) == [1]
    assert list(summary.frequency) == [1]
    np.testing.assert_allclose(summary.recency, [9.0])
    np.testing.assert_allclose(summary.T, [14.0])
    np.testing.assert_allclose(summary.monetary, [2.0])
    assert summary.holdout_frequency is not None
    assert list(summary.holdout_frequency) == [1]  # 31 January, twice, is one purchase day
    assert summary.holdout_T == 45.0


def test_empty_log_gives_an_empty_summary() -> None:
    summary = rfm_summary([], np.array([], dtype="datetime64[D]"), [], observation_end="2024-01-01")
    assert summary.customers == 0
    assert summary.frequency.size == summary.T.size == 0


@pytest.mark.parametrize(
    ("dates", "amounts", "message"),
    [
        (["2024-01-01", "NaT"], [1.0, 2.0], "dates has 1 missing"),
        (["2024-01-01", "2024-01-02"], [1.0, float("nan")], "amounts has 1 missing"),
        (["2024-01-01", "2024-01-02"], [1.0, -2.0], "amounts has 1 negative"),
        (["2024-01-01"], [1.0, 2.0], "same length"),
    ],
)
def test_bad_transaction_logs_are_refused(dates: list[str], amounts: list[float], message: str) -> None:
    with pytest.raises(FitError, match=message):
        rfm_summary([1] * len(dates), np.array(dates, dtype="datetime64[D]"), amounts, observation_end="2024-02-01")


def test_calibration_end_after_observation_end_is_refused() -> None:
    with pytest.raises(FitError, match="calibration_end must be on or before"):
        rfm_summary([1], ["2024-01-01"], [1.0], observation_end="2024-02-01", calibration_end="2024-03-01")


# --- The papers' numbers -----------------------------------------------------------------------------


def test_bgnbd_reproduces_the_paper_on_cdnow(cdnow_bg: BgNbdFit) -> None:
    fitted = {"r": cdnow_bg.r, "alpha": cdnow_bg.alpha, "a": cdnow_bg.a, "b": cdnow_bg.b}
    for name, value in PAPER_BGNBD.items():
        assert _significant(fitted[name]) == _significant(value), name
        assert fitted[name] == pytest.approx(value, rel=2e-3), name
    assert cdnow_bg.log_likelihood == pytest.approx(PAPER_BGNBD_LL, abs=0.1)
    assert cdnow_bg.converged
    assert (cdnow_bg.customers, cdnow_bg.repeat_customers) == (2357, 946)


def test_gamma_gamma_reproduces_the_note_on_cdnow(cdnow: Summary) -> None:
    fit = gamma_gamma_fit(cdnow.frequency, cdnow.monetary)
    assert fit.customers == 946
    fitted = {"p": fit.p, "q": fit.q, "gamma": fit.gamma}
    for name, value in PAPER_GAMMA_GAMMA.items():
        assert _significant(fitted[name]) == _significant(value), name
        assert fitted[name] == pytest.approx(value, rel=2e-3), name
    assert fit.population_mean == pytest.approx(fit.p * fit.gamma / (fit.q - 1))


def test_holdout_forecast_of_weeks_40_to_78_tracks_the_log(cdnow: Summary, cdnow_bg: BgNbdFit) -> None:
    """GIVEN the fit on weeks 1-39 WHEN forecasting through week 78 THEN totals and individuals track the log.

    As in the paper's Figure 2, each customer's unconditional E[X(t)] from their first purchase to the
    end of week 78 is summed over the staggered cohort and compared with the repeat purchases counted.
    """
    assert cdnow.holdout_frequency is not None and cdnow.holdout_T is not None
    actual = int(cdnow.frequency.sum() + cdnow.holdout_frequency.sum())
    assert (int(cdnow.frequency.sum()), int(cdnow.holdout_frequency.sum())) == (2457, 1882)
    forecast = float(bgnbd_expected_count(cdnow_bg, cdnow.T + cdnow.holdout_T).sum())
    assert forecast == pytest.approx(4160.6, abs=1.0)
    assert abs(forecast - actual) / actual < 0.05

    conditional = bgnbd_expected_purchases(cdnow_bg, cdnow.holdout_T, cdnow.frequency, cdnow.recency, cdnow.T)
    correlation = float(np.corrcoef(conditional, cdnow.holdout_frequency)[0, 1])
    assert correlation == pytest.approx(0.626, abs=0.005)


# --- Simulated customers -----------------------------------------------------------------------------


def test_bgnbd_recovers_the_parameters_it_simulated() -> None:
    rng = np.random.default_rng(20050101)
    ages = rng.integers(0, 39 * 7, size=40_000) / 7
    for truth in ((0.243, 4.414, 0.793, 2.426), (1.5, 10.0, 2.0, 5.0)):
        sample = bgnbd_simulate(*truth, ages, rng, horizon=39.0)
        fit = bgnbd_fit(sample.frequency, sample.recency, sample.T)
        np.testing.assert_allclose([fit.r, fit.alpha, fit.a, fit.b], truth, rtol=0.15)
        # P(alive) and the conditional forecast are calibrated on the simulated truth.
        p_alive = bgnbd_p_alive(fit, sample.frequency, sample.recency, sample.T)
        assert p_alive.mean() == pytest.approx(sample.alive.mean(), abs=0.01)
        forecast = bgnbd_expected_purchases(fit, 39.0, sample.frequency, sample.recency, sample.T)
        assert forecast.sum() == pytest.approx(sample.future.sum(), rel=0.05)


def test_gamma_gamma_recovers_the_parameters_it_simulated() -> None:
    rng = np.random.default_rng(2013)
    frequency = rng.poisson(2.5, size=40_000)
    monetary = gamma_gamma_simulate(6.25, 3.74, 15.44, frequency, rng)
    assert np.all(monetary[frequency == 0] == 0)
    fit = gamma_gamma_fit(frequency, monetary)
    np.testing.assert_allclose([fit.p, fit.q, fit.gamma], [6.25, 3.74, 15.44], rtol=0.1)


# --- Gradients and formulas --------------------------------------------------------------------------


def _central_differences(function: Callable[[np.ndarray], float], point: np.ndarray) -> np.ndarray:
    gradient = np.zeros_like(point)
    for i in range(point.size):
        step = np.zeros_like(point)
        step[i] = 1e-6 * point[i]
        gradient[i] = (function(point + step) - function(point - step)) / (2 * step[i])
    return gradient


@pytest.mark.parametrize("params", [(0.243, 4.414, 0.793, 2.426), (3.0, 0.5, 0.2, 0.6), (0.05, 40.0, 5.0, 0.3)])
def test_bgnbd_gradient_matches_finite_differences(cdnow: Summary, params: tuple[float, float, float, float]) -> None:
    def log_likelihood(point: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = (float(v) for v in point)
        return bgnbd_log_likelihood(r, alpha, a, b, cdnow.frequency, cdnow.recency, cdnow.T)

    _, gradient = log_likelihood(np.array(params))
    numeric = _central_differences(lambda point: log_likelihood(point)[0], np.array(params))
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("params", [(6.25, 3.74, 15.44), (0.5, 1.5, 200.0)])
def test_gamma_gamma_gradient_matches_finite_differences(cdnow: Summary, params: tuple[float, float, float]) -> None:
    def log_likelihood(point: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = (float(v) for v in point)
        return gamma_gamma_log_likelihood(p, q, gamma, cdnow.frequency, cdnow.monetary)

    _, gradient = log_likelihood(np.array(params))
    numeric = _central_differences(lambda point: log_likelihood(point)[0], np.array(params))
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-4)


def test_log_likelihood_is_the_sum_of_the_papers_per_customer_terms() -> None:
    r, alpha, a, b = 0.5, 3.0, 0.8, 2.0
    x, t_x, age = np.array([0, 1, 4]), np.array([0.0, 2.0, 10.0]), np.array([5.0, 8.0, 12.0])
    expected = 0.0
    for xi, ti, Ti in zip(x, t_x, age, strict=True):
        head = math.lgamma(r + xi) - math.lgamma(r) + r * math.log(alpha)
        alive = math.exp(betaln(a, b + xi) - betaln(a, b) - (r + xi) * math.log(alpha + Ti))
        gone = math.exp(betaln(a + 1, b + xi - 1) - betaln(a, b) - (r + xi) * math.log(alpha + ti)) if xi else 0.0
        expected += head + math.log(alive + gone)
    assert bgnbd_log_likelihood(r, alpha, a, b, x, t_x, age)[0] == pytest.approx(expected, rel=1e-12)


def _expected_by_integration(fit: BgNbdFit, t: float, x: int, t_x: float, age: float) -> float:
    """E[Y(t)] from its definition: P(alive) times E over p ~ Beta(a, b+x) of (1 - (1 + p t/(alpha+T))^-(r+x))/p."""
    alive = math.exp(betaln(fit.a, fit.b + x) - (fit.r + x) * math.log(fit.alpha + age))
    gone = math.exp(betaln(fit.a + 1, fit.b + x - 1) - (fit.r + x) * math.log(fit.alpha + t_x)) if x else 0.0
    s, k = t / (fit.alpha + age), fit.r + x

    log_beta = betaln(fit.a, fit.b + x)

    def spent(p: float) -> float:
        return -math.expm1(-k * math.log1p(p * s)) / p if p > 0 else k * s

    if fit.a >= 1 and fit.b + x >= 1:
        # A bounded density: plain adaptive quadrature, told where its mass lies.
        mean = fit.a / (fit.a + fit.b + x)

        def integrand(p: float) -> float:
            log_density = (
                (fit.a - 1) * math.log(p) + (fit.b + x - 1) * math.log1p(-p) - log_beta if 0 < p < 1 else -1e300
            )
            return spent(p) * math.exp(log_density)

        breaks = [point for point in (mean / 4, mean, 4 * mean) if point < 1]
        value, _ = quad(integrand, 0, 1, points=breaks, limit=200, epsabs=0, epsrel=1e-11)
    else:
        # QUADPACK's algebraic weight takes the singular ends, p^(a-1) and, when b+x < 1, (1-p)^(b+x-1).
        left, right = fit.a - 1, min(fit.b + x - 1, 0.0)
        rest = fit.b + x - 1 - right
        value, _ = quad(lambda p: spent(p) * (1 - p) ** rest, 0, 1, weight="alg", wvar=(left, right), epsrel=1e-10)
        value /= math.exp(log_beta)
    return alive / (alive + gone) * value


@pytest.mark.parametrize(
    ("fit", "t", "x", "t_x", "age"),
    [
        (CDNOW_BG, 39.0, 0, 0.0, 30.0),
        (CDNOW_BG, 39.0, 3, 20.0, 30.0),
        (CDNOW_BG, 520.0, 40, 35.0, 36.0),
        (BgNbdFit(r=2.0, alpha=2.0, a=2.0, b=3.0), 50.0, 0, 0.0, 0.0),  # r - a whole: 2F1 alone gives NaN
        (BgNbdFit(r=30.0, alpha=1.0, a=5.0, b=80.0), 1000.0, 300, 1.0, 1.0),  # the same, far out
        (BgNbdFit(r=0.5, alpha=2.0, a=0.3, b=0.7), 10.0, 0, 0.0, 5.0),  # a + b = 1: c = 0 when x = 0
        (BgNbdFit(r=0.5, alpha=2.0, a=0.3, b=0.4), 100.0, 0, 0.0, 5.0),  # a + b < 1
        (BgNbdFit(r=2.0, alpha=2.0, a=1.0, b=0.5), 10.0, 2, 3.0, 5.0),  # a = 1: 0/0 in the formula
    ],
)
def test_expected_purchases_match_numerical_integration(
    fit: BgNbdFit, t: float, x: int, t_x: float, age: float
) -> None:
    value = bgnbd_expected_purchases(fit, t, [x], [t_x], [age])
    assert value[0] == pytest.approx(_expected_by_integration(fit, t, x, t_x, age), rel=1e-6)


@pytest.mark.parametrize(
    ("r", "alpha", "a", "b", "x", "age", "t"),
    [
        (0.5, 3.0, 3e5, 9e5, 2, 20.0, 52.0),  # SciPy's 2F1 overflows in Euler's form: the printed form answers
        (0.7309, 0.52, 264489.0, 10.0, 3, 263.9, 1.34),
        (3350.0, 0.0141, 64200.0, 62200.0, 3, 45.6, 851.0),  # both forms overflow: the integral answers
        (6580.0, 11.5, 103000.0, 111000.0, 200, 61.6, 37.9),
    ],
)
def test_expected_purchases_with_huge_a_and_b_approach_a_fixed_drop_out_probability(
    r: float, alpha: float, a: float, b: float, x: int, age: float, t: float
) -> None:
    """GIVEN a and b in the hundred thousands WHEN forecasting THEN p is as good as fixed at a/(a+b+x).

    Then a customer known to be alive expects (1 - (1 + p t/(alpha+T))^-(r+x)) / p purchases, to
    within about 1/(a+b) relative.
    """
    fit = BgNbdFit(r=r, alpha=alpha, a=a, b=b)
    p = a / (a + b + x)
    alive = -math.expm1(-(r + x) * math.log1p(p * t / (alpha + age))) / p
    expected = bgnbd_expected_purchases(fit, t, [x], [age], [age])[0]
    assert expected == pytest.approx(bgnbd_p_alive(fit, [x], [age], [age])[0] * alive, rel=1e-4)


def test_expected_purchases_refuse_parameters_beyond_reach() -> None:
    fit = BgNbdFit(r=2217.7, alpha=0.0013, a=1694.0, b=0.0202)
    with pytest.raises(FitError, match="could not be computed for parameters this extreme"):
        bgnbd_expected_purchases(fit, 1340.7, [0], [0.0], [53.2])


def test_expected_count_is_the_conditional_expectation_of_a_customer_just_arrived() -> None:
    t = np.array([0.0, 1.0, 10.0, 39.0, 78.0, 520.0])
    counts = bgnbd_expected_count(CDNOW_BG, t)
    np.testing.assert_allclose(counts, bgnbd_expected_purchases(CDNOW_BG, t, 0, 0.0, 0.0), rtol=1e-12)
    assert counts[0] == 0.0
    assert np.all(np.diff(counts) > 0)
    assert bgnbd_expected_count(CDNOW_BG, 39.0).shape == ()


def test_p_alive_is_one_without_repeat_purchases_and_a_probability_otherwise() -> None:
    rng = np.random.default_rng(7)
    ages = rng.uniform(0, 100, 5000)
    sample = bgnbd_simulate(CDNOW_BG.r, CDNOW_BG.alpha, CDNOW_BG.a, CDNOW_BG.b, ages, rng)
    p_alive = bgnbd_p_alive(CDNOW_BG, sample.frequency, sample.recency, sample.T)
    assert np.all(p_alive[sample.frequency == 0] == 1.0)
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    # Extremes stay finite: a frequent buyer gone quiet for years, one who just bought, a newcomer.
    edge = bgnbd_p_alive(CDNOW_BG, [5000, 5000, 0], [1.0, 200.0, 0.0], [200.0, 200.0, 0.0])
    assert np.all(np.isfinite(edge))
    assert edge[0] == 0.0 and 0.99 < edge[1] <= 1.0 and edge[2] == 1.0


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    spend = gamma_gamma_expected_spend(CDNOW_GG, [0, 0, 1, 50, 1], [0.0, 99.0, 100.0, 100.0, 0.0])
    population = CDNOW_GG.population_mean
    assert spend[0] == spend[1] == pytest.approx(population)
    assert population < spend[2] < spend[3] < 100.0
    assert 0 < spend[4] < population


# --- Discounted CLV ----------------------------------------------------------------------------------


def test_clv_is_the_discounted_sum_of_monthly_expected_purchases() -> None:
    x, t_x, age, m = np.array([0, 2, 7, 7]), np.array([0.0, 10.0, 30.0, 5.0]), np.array([20.0, 25.0, 31.0, 31.0]), 30.0
    month_ends = np.arange(13) * (365.25 / 12) / 7
    expected = np.zeros(4)
    for k in range(1, 13):
        bought = bgnbd_expected_purchases(CDNOW_BG, month_ends[k], x, t_x, age)
        before = bgnbd_expected_purchases(CDNOW_BG, month_ends[k - 1], x, t_x, age)
        expected += (bought - before) * 1.1 ** (-k / 12)
    expected *= gamma_gamma_expected_spend(CDNOW_GG, x, np.full(4, m))
    np.testing.assert_allclose(clv_discounted(CDNOW_BG, CDNOW_GG, x, t_x, age, m), expected, rtol=1e-10)


def test_clv_is_the_same_in_days_and_in_weeks() -> None:
    x, t_x, age, m = np.array([0, 1, 6]), np.array([0.0, 3.0, 12.0]), np.array([4.0, 9.0, 13.0]), [0.0, 20.0, 55.0]
    in_days = BgNbdFit(r=CDNOW_BG.r, alpha=CDNOW_BG.alpha * 7, a=CDNOW_BG.a, b=CDNOW_BG.b)
    weekly = clv_discounted(CDNOW_BG, CDNOW_GG, x, t_x, age, m, unit_days=7.0)
    daily = clv_discounted(in_days, CDNOW_GG, x, t_x * 7, age * 7, m, unit_days=1.0)
    np.testing.assert_allclose(weekly, daily, rtol=1e-10)
    np.testing.assert_allclose(
        bgnbd_p_alive(CDNOW_BG, x, t_x, age), bgnbd_p_alive(in_days, x, t_x * 7, age * 7), rtol=1e-12
    )


def test_clv_grows_with_frequency_and_recency_and_falls_with_the_discount_rate() -> None:
    frequency = np.arange(0, 40)
    age = np.full(frequency.size, 30.0)
    recency = np.where(frequency > 0, age, 0.0)  # everyone bought last at the end
    population = CDNOW_GG.population_mean  # so expected spend does not depend on frequency
    clv = clv_discounted(CDNOW_BG, CDNOW_GG, frequency, recency, age, population)
    assert np.all(np.diff(clv) > 0)

    by_recency = clv_discounted(CDNOW_BG, CDNOW_GG, 5, np.linspace(1, 30, 30), 30.0, 40.0)
    assert np.all(np.diff(by_recency) > 0)

    undiscounted = clv_discounted(CDNOW_BG, CDNOW_GG, 5, 20.0, 30.0, 40.0, annual_discount_rate=0.0)
    assert undiscounted > clv_discounted(CDNOW_BG, CDNOW_GG, 5, 20.0, 30.0, 40.0) > 0
    assert clv_discounted(CDNOW_BG, CDNOW_GG, 5, 20.0, 30.0, 40.0, months=24) > undiscounted


def test_clv_of_edge_rows_is_finite() -> None:
    clv = clv_discounted(
        CDNOW_BG,
        CDNOW_GG,
        [0, 5000, 5000, 1, 0],
        [0.0, 1.0, 300.0, 0.0, 0.0],
        [0.0, 300.0, 300.0, 0.0, 1e6],
        [0.0, 1e6, 10.0, 0.0, 0.0],
    )
    assert np.all(np.isfinite(clv)) and np.all(clv >= 0)
    assert clv[1] == 0.0  # bought 5,000 times, then nothing for 299 weeks: gone
    assert clv[2] > clv[0] > clv[4] > 0
    assert clv_discounted(CDNOW_BG, CDNOW_GG, [], [], [], []).shape == (0,)


# --- Degenerate inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([], [], [], "no customers"),
        ([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0], "No customer made a repeat purchase"),
        ([3], [10.0], [20.0], "same frequency, recency and T"),
        ([2] * 50, [5.0] * 50, [9.0] * 50, "same frequency, recency and T"),
        ([3, 0] * 50, [10.0, 0.0] * 50, [20.0] * 100, "do not determine the"),
        ([1, float("nan")], [1.0, 0.0], [2.0, 3.0], "frequency has 1 missing or infinite"),
        ([1, 2], [1.0, -1.0], [2.0, 3.0], "recency has 1 negative"),
        ([1, 2], [1.0, 2.0], [2.0, np.inf], "T has 1 missing or infinite"),
        ([1, 2.5], [1.0, 2.0], [2.0, 3.0], "whole numbers; position 1 has 2.5"),
        ([1, 2], [1.0, 4.0], [2.0, 3.0], "recency is later than T .* position 1"),
        ([0, 2], [1.0, 2.0], [2.0, 3.0], "must be 0 for a customer without repeat purchases"),
        ([1, 2], [1.0, 2.0], [2.0, 3.0, 4.0], "same length"),
    ],
)
def test_bgnbd_fit_refuses_what_it_cannot_fit(frequency: list, recency: list, T: list, message: str) -> None:
    with pytest.raises(FitError, match=message):
        bgnbd_fit(frequency, recency, T)


@pytest.mark.parametrize(
    ("frequency", "monetary", "message"),
    [
        ([0, 0], [0.0, 0.0], "No customer made a repeat purchase"),
        ([2], [10.0], "same mean repeat value"),
        ([2, 3, 1], [10.0, 10.0, 10.0], "same mean repeat value"),
        ([2, 3], [10.0, 20.0], "do not determine the"),
        ([2, 3], [10.0, 0.0], "mean repeat value of 0"),
        ([2, 3], [10.0, -1.0], "monetary has 1 negative"),
        ([2, 3], [10.0, float("nan")], "monetary has 1 missing"),
    ],
)
def test_gamma_gamma_fit_refuses_what_it_cannot_fit(frequency: list, monetary: list, message: str) -> None:
    with pytest.raises(FitError, match=message):
        gamma_gamma_fit(frequency, monetary)


def test_an_infinite_mean_spend_is_refused() -> None:
    heavy = GammaGammaFit(p=2.0, q=0.8, gamma=10.0)
    with pytest.raises(FitError, match="population's mean spend is infinite"):
        heavy.population_mean  # noqa: B018
    assert gamma_gamma_expected_spend(heavy, [3], [20.0])[0] > 0
    with pytest.raises(FitError, match="population's mean spend is infinite"):
        gamma_gamma_expected_spend(heavy, [3, 0], [20.0, 0.0])


def test_parameters_must_be_positive_and_finite() -> None:
    with pytest.raises(FitError, match="alpha must be a positive finite number"):
        BgNbdFit(r=1.0, alpha=-1.0, a=1.0, b=1.0)
    with pytest.raises(FitError, match="q must be a positive finite number"):
        GammaGammaFit(p=1.0, q=float("nan"), gamma=1.0)
    with pytest.raises(FitError, match="months must be a whole number"):
        clv_discounted(CDNOW_BG, CDNOW_GG, [1], [1.0], [2.0], [3.0], months=0)
    with pytest.raises(FitError, match="t has 1 negative"):
        bgnbd_expected_purchases(CDNOW_BG, -1.0, [1], [1.0], [2.0])


def test_scoring_no_customers_gives_empty_arrays() -> None:
    assert bgnbd_p_alive(CDNOW_BG, [], [], []).shape == (0,)
    assert bgnbd_expected_purchases(CDNOW_BG, 10.0, [], [], []).shape == (0,)
    assert gamma_gamma_expected_spend(CDNOW_GG, [], []).shape == (0,)
