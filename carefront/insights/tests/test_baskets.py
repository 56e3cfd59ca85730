"""Item-to-item recommendations (carefront/insights/baskets.py): plain arrays, no database."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carefront.insights.baskets import (
    HitRate,
    ItemNeighbours,
    Suggestion,
    hit_rate_at_k,
    item_similarity_fit,
    popularity_baseline,
    recommend_for,
    recommend_many,
)
from carefront.insights.baskets_simulation import planted_baskets

TENT, SLEEPING_BAG, STOVE, FLOUR, WHISK, CAKE_TIN, LANTERN = range(7)
ITEMS = 7

# Six campers and five bakers; camper 5 also bakes a little.
OUTDOOR_AND_KITCHEN = {
    0: [TENT, SLEEPING_BAG, STOVE],
    1: [TENT, SLEEPING_BAG],
    2: [TENT, SLEEPING_BAG, STOVE],
    3: [TENT, SLEEPING_BAG],
    4: [SLEEPING_BAG, STOVE],
    5: [TENT, SLEEPING_BAG, FLOUR],
    6: [FLOUR, WHISK, CAKE_TIN],
    7: [FLOUR, WHISK],
    8: [FLOUR, WHISK, CAKE_TIN],
    9: [FLOUR, CAKE_TIN],
    10: [WHISK, CAKE_TIN, LANTERN],
}


def pairs(baskets: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray]:
    account = np.array([a for a, items in baskets.items() for _ in items], dtype=np.int64)
    item = np.array([i for items in baskets.values() for i in items], dtype=np.int64)
    return account, item


def fitted(**options: int) -> ItemNeighbours:
    account, item = pairs(OUTDOOR_AND_KITCHEN)
    return item_similarity_fit(account, item, n_accounts=len(OUTDOOR_AND_KITCHEN), n_items=ITEMS, **options)


def test_people_who_buy_a_tent_are_offered_a_sleeping_bag_then_a_stove() -> None:
    suggestions = recommend_for(fitted(), [TENT])
    assert [s.item for s in suggestions] == [SLEEPING_BAG, STOVE]
    assert all(s.because == TENT for s in suggestions)


def test_scores_are_the_cosine_of_the_sets_of_buyers() -> None:
    neighbours = fitted()
    # 5 accounts bought a tent, 6 a sleeping bag, 5 of them both.
    row = np.flatnonzero((neighbours.item == TENT) & (neighbours.neighbour == SLEEPING_BAG))
    assert len(row) == 1
    assert neighbours.score[row[0]] == pytest.approx(5 / math.sqrt(5 * 6))
    assert neighbours.support[row[0]] == 5


def test_each_suggestion_names_the_owned_item_that_contributed_most() -> None:
    suggestions = recommend_for(fitted(), [TENT, FLOUR], k=10)
    because = {s.item: s.because for s in suggestions}
    assert because[SLEEPING_BAG] == TENT
    assert because[STOVE] == TENT
    assert because[WHISK] == FLOUR
    assert because[CAKE_TIN] == FLOUR


def test_the_score_sums_the_similarities_to_every_owned_item() -> None:
    neighbours = fitted(min_support=1)
    # A sleeping bag is close to both the tent and the stove; it outranks what is close to one of them.
    alone = {s.item: s.score for s in recommend_for(neighbours, [TENT], k=10)}
    both = {s.item: s.score for s in recommend_for(neighbours, [TENT, STOVE], k=10)}
    stove_to_bag = neighbours.scores_of(np.array([STOVE]), np.array([SLEEPING_BAG]))[0]
    assert both[SLEEPING_BAG] == pytest.approx(alone[SLEEPING_BAG] + stove_to_bag)
    assert recommend_for(neighbours, [TENT, STOVE], k=1)[0].item == SLEEPING_BAG


def test_owned_items_are_not_suggested_unless_asked() -> None:
    neighbours = fitted()
    assert SLEEPING_BAG not in {s.item for s in recommend_for(neighbours, [TENT, SLEEPING_BAG], k=10)}
    kept = recommend_for(neighbours, [TENT, SLEEPING_BAG], k=10, exclude_owned=False)
    assert {SLEEPING_BAG, TENT} <= {s.item for s in kept}
    bag = next(s for s in kept if s.item == SLEEPING_BAG)
    assert bag.because == TENT


def test_pairs_bought_together_by_fewer_than_min_support_accounts_are_dropped() -> None:
    # Only account 5 bought a tent and flour; only account 10 a whisk and a lantern.
    strict = fitted(min_support=2)
    loose = fitted(min_support=1)
    assert FLOUR not in {s.item for s in recommend_for(strict, [TENT], k=10)}
    assert FLOUR in {s.item for s in recommend_for(loose, [TENT], k=10)}
    assert recommend_for(strict, [LANTERN]) == []
    assert [s.item for s in recommend_for(loose, [LANTERN])] == [WHISK, CAKE_TIN]
    assert strict.support.min() >= 2


def test_each_item_keeps_only_its_best_neighbours() -> None:
    neighbours = fitted(neighbours=1, min_support=1)
    assert np.bincount(neighbours.item, minlength=ITEMS).max() == 1
    first = np.flatnonzero(neighbours.item == TENT)
    assert neighbours.neighbour[first].tolist() == [SLEEPING_BAG]


def test_buying_the_same_item_again_changes_nothing() -> None:
    account, item = pairs(OUTDOOR_AND_KITCHEN)
    repeated = item_similarity_fit(
        np.concatenate([account, account[:5]]), np.concatenate([item, item[:5]]), n_accounts=11, n_items=ITEMS
    )
    once = fitted()
    assert repeated.item.tolist() == once.item.tolist()
    assert repeated.neighbour.tolist() == once.neighbour.tolist()
    np.testing.assert_allclose(repeated.score, once.score)


def test_the_result_does_not_depend_on_the_order_of_the_purchases() -> None:
    orders = planted_baskets(n_accounts=500, n_themes=10, items_per_theme=6, seed=3)
    shuffle = np.random.default_rng(0).permutation(len(orders.account))
    options = {"n_accounts": orders.n_accounts, "n_items": orders.n_items, "neighbours": 3}
    a = item_similarity_fit(orders.account, orders.item, **options)
    b = item_similarity_fit(orders.account[shuffle], orders.item[shuffle], **options)
    assert a.item.tolist() == b.item.tolist()
    assert a.neighbour.tolist() == b.neighbour.tolist()
    assert a.support.tolist() == b.support.tolist()


def test_a_stored_table_loaded_in_any_order_gives_the_same_suggestions() -> None:
    neighbours = fitted(min_support=1)
    shuffle = np.random.default_rng(1).permutation(len(neighbours))
    loaded = ItemNeighbours(
        item=neighbours.item[shuffle],
        neighbour=neighbours.neighbour[shuffle],
        score=neighbours.score[shuffle],
        support=neighbours.support[shuffle],
        n_items=ITEMS,
    )
    assert recommend_for(loaded, [TENT, WHISK], k=10) == recommend_for(neighbours, [TENT, WHISK], k=10)


def test_recommend_many_gives_each_account_what_recommend_for_gives_it() -> None:
    orders = planted_baskets(n_accounts=800, n_themes=12, items_per_theme=8, seed=5)
    neighbours = item_similarity_fit(orders.account, orders.item, n_accounts=orders.n_accounts, n_items=orders.n_items)
    many = recommend_many(neighbours, orders.account, orders.item, n_accounts=orders.n_accounts, k=5)
    assert many.item.shape == (orders.n_accounts, 5)
    for account in range(0, orders.n_accounts, 7):
        alone = recommend_for(neighbours, orders.item[orders.account == account], k=5)
        together = many.for_account(account)
        assert [s.item for s in together] == [s.item for s in alone]
        assert [s.because for s in together] == [s.because for s in alone]
        np.testing.assert_allclose([s.score for s in together], [s.score for s in alone])


def test_recommend_many_matches_a_dense_computation() -> None:
    rng = np.random.default_rng(11)
    n_accounts, n_items = 60, 15
    account = rng.integers(0, n_accounts, 300)
    item = rng.integers(0, n_items, 300)
    neighbours = item_similarity_fit(account, item, n_accounts=n_accounts, n_items=n_items, neighbours=4)
    owned = np.zeros((n_accounts, n_items))
    owned[account, item] = 1
    similarity = np.zeros((n_items, n_items))
    similarity[neighbours.item, neighbours.neighbour] = neighbours.score
    scores = np.where(owned > 0, 0, owned @ similarity)
    many = recommend_many(neighbours, account, item, n_accounts=n_accounts, k=3)
    for row in range(n_accounts):
        expected = [i for i in np.lexsort((np.arange(n_items), -scores[row])) if scores[row, i] > 0][:3]
        assert many.item[row][many.item[row] >= 0].tolist() == expected
        np.testing.assert_allclose(many.score[row][: len(expected)], scores[row, expected])


def test_popularity_suggests_the_best_sellers_the_account_does_not_own() -> None:
    account, item = pairs(OUTDOOR_AND_KITCHEN)
    popular = popularity_baseline(account, item, n_accounts=11, n_items=ITEMS, k=3)
    # Buyers: sleeping bag 6, tent 5, flour 5, whisk 4, cake tin 4, stove 3, lantern 1.
    assert popular.item[6].tolist() == [SLEEPING_BAG, TENT, STOVE]
    assert popular.item[0].tolist() == [FLOUR, WHISK, CAKE_TIN]
    assert popular.score[6].tolist() == [6.0, 5.0, 3.0]
    assert (popular.because == -1).all()
    assert popular.for_account(0)[0] == Suggestion(FLOUR, 5.0, -1)


def test_the_hold_out_hides_each_accounts_most_recent_item_and_every_purchase_of_it() -> None:
    """
    GIVEN four campers who bought a tent, a sleeping bag, then a stove; one who bought a sleeping bag and
          then two tents; one whose rows are out of time order, the sleeping bag last in time but first in
          the input
    WHEN the most recent item of each is hidden and the models fitted on the rest, with k=1
    THEN every hidden item is the one suggestion: a hold-out that kept a tent, or hid by input order,
         would miss
    """
    account = np.repeat(np.arange(6), 3)
    item = np.array([TENT, SLEEPING_BAG, STOVE] * 4 + [SLEEPING_BAG, TENT, TENT] + [SLEEPING_BAG, TENT, STOVE])
    placed_at = np.array([1, 2, 3] * 5 + [3, 1, 2])
    result = hit_rate_at_k(account, item, placed_at, n_accounts=6, n_items=ITEMS, k=1, min_support=1)
    assert result == HitRate(k=1, accounts=6, item_to_item=1.0, popularity=1.0)


def test_accounts_with_a_single_distinct_item_are_not_evaluated() -> None:
    account = np.array([0, 0, 1, 1, 2, 2, 2])
    item = np.array([TENT, SLEEPING_BAG, TENT, SLEEPING_BAG, WHISK, WHISK, WHISK])
    times = np.array(["2025-01-01", "2025-02-01"] * 2 + ["2025-01-01"] * 3, dtype="datetime64[D]")
    result = hit_rate_at_k(account, item, times, n_accounts=3, n_items=ITEMS, min_support=1)
    assert result.accounts == 2


def test_item_to_item_beats_popularity_where_co_purchases_are_planted() -> None:
    """
    GIVEN 6,000 accounts that mostly buy within one of 60 themes, plus a fifth of purchases anywhere
    WHEN each account's most recent purchase is hidden and both models are fitted on the rest
    THEN item-to-item finds the hidden item in its top 5 far more often than the best sellers do
    """
    orders = planted_baskets(n_accounts=6000, n_themes=60, items_per_theme=10, seed=7)
    result = hit_rate_at_k(
        orders.account, orders.item, orders.placed_at, n_accounts=orders.n_accounts, n_items=orders.n_items
    )
    assert result.k == 5
    assert result.accounts > 5000
    assert result.item_to_item > 0.4
    assert result.item_to_item > result.popularity + 0.2


def test_a_large_catalogue_is_never_made_dense() -> None:
    # A dense items × items matrix of a million items would need 8 TB.
    n_items = 1_000_000
    account = np.repeat(np.arange(4), 2)
    item = np.array([10, 999_999] * 4)
    neighbours = item_similarity_fit(account, item, n_accounts=4, n_items=n_items)
    assert recommend_for(neighbours, [10]) == [Suggestion(999_999, 1.0, 10)]
    many = recommend_many(neighbours, np.array([0]), np.array([999_999]), n_accounts=1)
    assert many.item[0].tolist() == [10, -1, -1, -1, -1]


@pytest.mark.parametrize(
    ("account", "item", "n_accounts", "n_items"),
    [
        pytest.param([], [], 0, 0, id="nothing at all"),
        pytest.param([], [], 5, 5, id="no purchases"),
        pytest.param([0, 1, 2, 2], [0, 0, 0, 0], 3, 1, id="one item"),
        pytest.param([0, 0, 0], [0, 1, 2], 1, 3, id="one account"),
    ],
)
def test_degenerate_inputs_give_empty_results(
    account: list[int], item: list[int], n_accounts: int, n_items: int
) -> None:
    neighbours = item_similarity_fit(account, item, n_accounts=n_accounts, n_items=n_items)
    assert len(neighbours) == 0
    assert recommend_for(neighbours, item) == []
    many = recommend_many(neighbours, account, item, n_accounts=n_accounts)
    assert many.item.shape == (n_accounts, 5)
    assert (many.item == -1).all()
    result = hit_rate_at_k(account, item, list(range(len(item))), n_accounts=n_accounts, n_items=n_items)
    assert not math.isnan(result.item_to_item)
    assert not math.isnan(result.popularity)
    assert result.item_to_item == 0.0
    popular = popularity_baseline(account, item, n_accounts=n_accounts, n_items=n_items)
    assert popular.item.shape == (n_accounts, 5)
    assert not np.isnan(popular.score).any()


def test_one_account_is_evaluated_against_nothing_and_scores_zero() -> None:
    result = hit_rate_at_k([0, 0, 0], [0, 1, 2], [1, 2, 3], n_accounts=1, n_items=3)
    assert result == HitRate(k=5, accounts=1, item_to_item=0.0, popularity=0.0)


def test_k_of_zero_gives_empty_rows() -> None:
    neighbours = fitted()
    assert recommend_for(neighbours, [TENT], k=0) == []
    account, item = pairs(OUTDOOR_AND_KITCHEN)
    assert recommend_many(neighbours, account, item, n_accounts=11, k=0).item.shape == (11, 0)


def test_an_index_outside_the_catalogue_is_refused() -> None:
    with pytest.raises(ValueError, match=r"item_index must lie in 0\.\.2"):
        item_similarity_fit([0], [3], n_accounts=1, n_items=3)
    with pytest.raises(ValueError, match="same length"):
        item_similarity_fit([0, 1], [0], n_accounts=2, n_items=3)
