import numpy as np
import pytest

from carefront.insights.rfm import RfmBreaks, rfm_breaks, rfm_scores, rfm_segments


def _scores(recency, frequency, monetary, breaks=None):
    arrays = [np.asarray(values, dtype=float) for values in (recency, frequency, monetary)]
    breaks = breaks or rfm_breaks(recency_days=arrays[0], frequency=arrays[1], monetary=arrays[2])
    return rfm_scores(recency_days=arrays[0], frequency=arrays[1], monetary=arrays[2], breaks=breaks)


def test_quintiles_score_ten_accounts_two_per_score():
    recency = [1, 5, 10, 20, 40, 60, 90, 120, 200, 400]  # days since the last order: fewer is better
    frequency = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    monetary = [1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]
    r, f, m = _scores(recency, frequency, monetary)
    assert r.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert f.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert m.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_tied_values_share_a_score():
    # Most accounts ordered once: they all get the same (lowest) frequency score.
    frequency = [1, 1, 1, 1, 1, 1, 1, 2, 3, 8]
    _r, f, _m = _scores([10] * 10, frequency, [50] * 10)
    assert len(set(f[:7].tolist())) == 1
    assert f[9] > f[7] > f[0]


def test_scores_use_the_kept_breaks_for_a_newcomer():
    breaks = RfmBreaks(recency_days=(10, 30, 60, 120), frequency=(1, 2, 3, 5), monetary=(50, 100, 200, 500))
    r, f, m = _scores([5, 500], [9, 1], [1000, 10], breaks=breaks)
    assert (r.tolist(), f.tolist(), m.tolist()) == ([5, 1], [5, 1], [5, 1])
    assert RfmBreaks.from_json(breaks.as_json()) == breaks


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "champions"),
        (5, 4, 4, "champions"),
        (4, 5, 4, "loyal"),
        (3, 4, 5, "loyal"),
        (5, 2, 3, "potential_loyalist"),
        (5, 1, 1, "new"),
        (4, 1, 1, "promising"),
        (3, 3, 3, "need_attention"),
        (3, 1, 2, "about_to_sleep"),
        (2, 3, 4, "at_risk"),
        (1, 5, 5, "cant_lose"),
        (2, 1, 2, "hibernating"),
        (1, 1, 1, "lost"),
    ],
)
def test_named_segment_of_each_grid_cell(r, f, m, segment):
    result = rfm_segments(np.array([r]), np.array([f]), np.array([m]))
    assert result.tolist() == [segment]


def test_no_population_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one account"):
        rfm_breaks(recency_days=np.array([]), frequency=np.array([]), monetary=np.array([]))
