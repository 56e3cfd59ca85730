"""Small customer bases: when the plain fit is refused, a penalised fit stands in and says so."""

import numpy as np
import pytest

from carefront.insights import lifetime
from carefront.insights.scoring import _fit_with_fallback
from carefront.insights.tests.simulate import bgnbd_simulate


def _small_sample():
    # 100 customers from the CDNOW parameters: seed 0 is one the plain fit cannot pin down.
    sample = bgnbd_simulate(0.243, 4.414, 0.793, 2.426, np.full(100, 39.0), np.random.default_rng(0))
    return sample.frequency, sample.recency, np.full(100, 39.0)


def test_plain_fit_of_the_small_sample_is_refused():
    with pytest.raises(lifetime.FitError, match="do not determine the BG/NBD model"):
        lifetime.bgnbd_fit(*_small_sample())


def test_fallback_fits_with_a_penalty_and_says_why():
    x, t_x, age = _small_sample()
    fit, problem = _fit_with_fallback(lambda penalty: lifetime.bgnbd_fit(x, t_x, age, penalty=penalty))
    assert fit is not None and fit.penalty == 0.01
    assert problem.startswith("Fitted with a penalty of 0.01") and "do not determine" in problem
    alive = lifetime.bgnbd_p_alive(fit, x, t_x, age)
    assert np.all(np.isfinite(alive)) and np.all((alive > 0) & (alive <= 1))
    # The penalised parameters stay in the neighbourhood of the truth rather than at a boundary.
    assert 0.1 < fit.r < 1 and 0.3 < fit.a < 3 and 1 < fit.b < 10


def test_a_fit_the_data_allow_needs_no_penalty():
    sample = bgnbd_simulate(0.243, 4.414, 0.793, 2.426, np.full(3000, 39.0), np.random.default_rng(1))
    fit, problem = _fit_with_fallback(
        lambda penalty: lifetime.bgnbd_fit(sample.frequency, sample.recency, np.full(3000, 39.0), penalty=penalty)
    )
    assert fit is not None and fit.penalty == 0.0 and problem == ""


def test_no_repeat_purchase_is_refused_even_with_a_penalty():
    zeros = np.zeros(50)
    fit, problem = _fit_with_fallback(
        lambda penalty: lifetime.bgnbd_fit(zeros, zeros, np.full(50, 20.0), penalty=penalty)
    )
    assert fit is None and "No customer made a repeat purchase" in problem
