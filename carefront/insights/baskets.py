"""Item-to-item recommendations from orders: "accounts who bought X also bought Y".

Advisors see, for an account, what its peers bought alongside what it already owns, and which owned
item each suggestion comes from. Everything here is NumPy and scipy.sparse over integer indices
(accounts 0..n_accounts-1, items 0..n_items-1): the caller maps its ids to indices, reads the orders and
stores the results, so nothing here touches Django.

The model is item-based collaborative filtering on who bought what, not how often: purchases are
binarised into an account × item matrix X, and two items are as similar as the cosine of their sets of
buyers, support(i, j) / sqrt(buyers(i) × buyers(j)), where support is the number of accounts that bought
both. X.T @ X is a sparse product, so its size follows the pairs actually bought together rather than the
catalogue squared. Each item keeps its `neighbours` most similar items bought together by at least
`min_support` accounts: a pair seen once is as likely chance as taste, and the table stays at most
neighbours × items rows.

An account's candidates score the sum of their similarities to the items it owns (X @ S), so an item
close to several of its purchases outranks one close to a single purchase.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# Cells of the padded dense block the top-k selection works in, per step: tens of MB however long the rows.
TOP_K_CELLS = 4_000_000
# Accounts scored per sparse product in recommend_many: the score matrix of every account at once would
# hold accounts × neighbours × purchases entries.
ACCOUNT_BLOCK = 16_384


class Suggestion(NamedTuple):
    """One recommended item, its score, and the owned item that contributed most to it."""

    item: int
    score: float
    because: int


@dataclass(frozen=True, eq=False)
class ItemNeighbours:
    """Each item's most similar items: one row per (item, neighbour) pair, by item, best first (score, then support).

    The shape of a table: a caller stores the four arrays and builds this again from the rows it loads,
    in any order, since construction sorts them.
    """

    item: IntArray
    neighbour: IntArray
    score: FloatArray
    support: IntArray
    n_items: int

    def __post_init__(self) -> None:
        item = _index_array(self.item, size=self.n_items, name="item")
        neighbour = _index_array(self.neighbour, size=self.n_items, name="neighbour")
        score = np.asarray(self.score, dtype=np.float64).ravel()
        support = np.asarray(self.support, dtype=np.int64).ravel()
        if not len(item) == len(neighbour) == len(score) == len(support):
            raise ValueError("item, neighbour, score and support must have the same length")
        order = np.lexsort((neighbour, -support, -score, item))
        # Frozen so that the cached matrices below cannot go stale; construction is the one write.
        object.__setattr__(self, "item", item[order])
        object.__setattr__(self, "neighbour", neighbour[order])
        object.__setattr__(self, "score", score[order])
        object.__setattr__(self, "support", support[order])

    def __len__(self) -> int:
        return len(self.item)

    @cached_property
    def matrix(self) -> Any:
        """The n_items × n_items similarity matrix (scipy csr_array): row i holds the scores of i's neighbours."""
        return sp.csr_array((self.score, (self.item, self.neighbour)), shape=(self.n_items, self.n_items))

    @cached_property
    def _keys(self) -> tuple[IntArray, IntArray]:
        keys = self.item * self.n_items + self.neighbour
        order = np.argsort(keys, kind="stable")
        return keys[order], order

    def scores_of(self, item: IntArray, neighbour: IntArray) -> FloatArray:
        """The similarity of each (item, neighbour) pair, 0 for pairs the table does not hold."""
        keys, order = self._keys
        wanted = np.asarray(item, dtype=np.int64) * self.n_items + np.asarray(neighbour, dtype=np.int64)
        result = np.zeros(len(wanted))
        if len(keys) == 0:
            return result
        position = np.searchsorted(keys, wanted)
        inside = position < len(keys)
        found = np.zeros(len(wanted), dtype=bool)
        found[inside] = keys[position[inside]] == wanted[inside]
        result[found] = self.score[order[position[found]]]
        return result


@dataclass(frozen=True, eq=False)
class Recommendations:
    """The top k suggestions of many accounts: row a is account a's, best first.

    Rows with fewer than k suggestions are padded with item -1, score 0 and because -1; `because` is -1
    for the popularity baseline, which has no reason but popularity.
    """

    item: IntArray
    score: FloatArray
    because: IntArray

    def for_account(self, account: int) -> list[Suggestion]:
        """One account's suggestions, without the padding."""
        row = self.item[account]
        return [
            Suggestion(int(row[rank]), float(self.score[account, rank]), int(self.because[account, rank]))
            for rank in np.flatnonzero(row >= 0)
        ]


@dataclass(frozen=True)
class HitRate:
    """A leave-last-out evaluation: how often the hidden item is among the top k suggestions."""

    k: int
    accounts: int
    item_to_item: float
    popularity: float


def item_similarity_fit(
    account_index: ArrayLike,
    item_index: ArrayLike,
    *,
    n_accounts: int,
    n_items: int,
    neighbours: int = 20,
    min_support: int = 2,
) -> ItemNeighbours:
    """Each item's `neighbours` most similar items by cosine over buyers, from (account, item) purchase pairs.

    Pairs may repeat (an account buying an item twice counts once). Pairs bought together by fewer than
    `min_support` accounts are left out. Ties in score go to the pair with more support, then the lower
    item index, so the result does not depend on the order of the input.
    """
    if neighbours < 0:
        raise ValueError("neighbours must be at least 0")
    if min_support < 1:
        raise ValueError("min_support must be at least 1")
    purchases = _purchase_matrix(account_index, item_index, n_accounts=n_accounts, n_items=n_items)
    if neighbours == 0 or purchases.nnz == 0:
        return _no_neighbours(n_items)
    buyers = np.asarray(purchases.sum(axis=0), dtype=np.float64).ravel()
    together = (purchases.T @ purchases).tocsr()
    together.sort_indices()
    row = np.repeat(np.arange(n_items, dtype=np.int64), np.diff(together.indptr))
    column = together.indices.astype(np.int64)
    support = together.data
    keep = (row != column) & (support >= min_support)
    row, column, support = row[keep], column[keep], support[keep]
    if len(row) == 0:
        return _no_neighbours(n_items)
    score = support / np.sqrt(buyers[row] * buyers[column])
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=n_items))))
    chosen, _, _ = _top_k(indptr, score, column, k=neighbours, tiebreak=support)
    return ItemNeighbours(
        item=row[chosen],
        neighbour=column[chosen],
        score=score[chosen],
        support=np.rint(support[chosen]).astype(np.int64),
        n_items=n_items,
    )


def recommend_for(
    neighbours: ItemNeighbours, owned_items: ArrayLike, *, k: int = 5, exclude_owned: bool = True
) -> list[Suggestion]:
    """One account's top k items, scored by the summed similarity to the items it owns, best first.

    Each suggestion names the owned item whose similarity contributed most ("because they bought X"; the
    lower item index on a tie). Equal scores go to the lower item index.
    """
    if k < 0:
        raise ValueError("k must be at least 0")
    owned = np.unique(_index_array(owned_items, size=neighbours.n_items, name="owned_items"))
    if k == 0 or len(owned) == 0 or len(neighbours) == 0:
        return []
    rows = _ranges(
        np.searchsorted(neighbours.item, owned, side="left"), np.searchsorted(neighbours.item, owned, side="right")
    )
    candidate, contribution, source = neighbours.neighbour[rows], neighbours.score[rows], neighbours.item[rows]
    if exclude_owned:
        fresh = ~np.isin(candidate, owned)
        candidate, contribution, source = candidate[fresh], contribution[fresh], source[fresh]
    if len(candidate) == 0:
        return []
    items, group = np.unique(candidate, return_inverse=True)
    totals = np.bincount(group, weights=contribution, minlength=len(items))
    by_contribution = np.lexsort((source, -contribution, group))
    because = source[by_contribution[_group_starts(group[by_contribution])]]
    best = np.lexsort((items, -totals))[:k]
    return [Suggestion(int(items[b]), float(totals[b]), int(because[b])) for b in best]


def recommend_many(
    neighbours: ItemNeighbours,
    account_index: ArrayLike,
    item_index: ArrayLike,
    *,
    n_accounts: int,
    k: int = 5,
    exclude_owned: bool = True,
) -> Recommendations:
    """recommend_for for every account at once, from (account, item) purchase pairs.

    Scores are X @ S (accounts × items times the neighbour matrix), a block of accounts at a time; the
    top k per row are picked with a partition, not a sort, and their "because" items found by looking up
    each owned item's similarity to the suggestion.
    """
    if k < 0:
        raise ValueError("k must be at least 0")
    purchases = _purchase_matrix(account_index, item_index, n_accounts=n_accounts, n_items=neighbours.n_items)
    result = _empty_recommendations(n_accounts, k)
    if k == 0 or len(neighbours) == 0 or purchases.nnz == 0:
        return result
    similarity = neighbours.matrix
    for start in range(0, n_accounts, ACCOUNT_BLOCK):
        block = purchases[start : start + ACCOUNT_BLOCK]
        scores = (block @ similarity).tocsr()
        if exclude_owned:
            # X is 0/1, so this subtracts exactly the owned items' scores and leaves exact zeros.
            scores = (scores - scores.multiply(block)).tocsr()
            scores.eliminate_zeros()
        scores.sort_indices()
        chosen, row, rank = _top_k(scores.indptr, scores.data, scores.indices.astype(np.int64), k=k)
        item = scores.indices[chosen].astype(np.int64)
        result.item[start + row, rank] = item
        result.score[start + row, rank] = scores.data[chosen]
        result.because[start + row, rank] = _because(block, neighbours, row, item)
    return result


def popularity_baseline(
    account_index: ArrayLike, item_index: ArrayLike, *, n_accounts: int, n_items: int, k: int = 5
) -> Recommendations:
    """Each account's top k items by number of buying accounts, leaving out those it owns.

    The score is the number of accounts that bought the item; items nobody bought are never suggested.
    """
    if k < 0:
        raise ValueError("k must be at least 0")
    purchases = _purchase_matrix(account_index, item_index, n_accounts=n_accounts, n_items=n_items)
    result = _empty_recommendations(n_accounts, k)
    buyers = np.asarray(purchases.sum(axis=0), dtype=np.float64).ravel()
    ranked = np.lexsort((np.arange(n_items), -buyers))
    ranked = ranked[buyers[ranked] > 0]
    if k == 0 or len(ranked) == 0:
        return result
    # An account finds its k within the first k + (items it owns) of the ranking.
    width = min(len(ranked), k + int(np.diff(purchases.indptr).max()))
    head = ranked[:width]
    step = max(1, TOP_K_CELLS // width)
    for start in range(0, n_accounts, step):
        owns = purchases[start : start + step][:, head].toarray() > 0
        free = ~owns
        rank = np.cumsum(free, axis=1) - 1
        row, column = np.nonzero(free & (rank < k))
        result.item[start + row, rank[row, column]] = head[column]
        result.score[start + row, rank[row, column]] = buyers[head[column]]
    return result


def hit_rate_at_k(
    account_index: ArrayLike,
    item_index: ArrayLike,
    placed_at: ArrayLike,
    *,
    n_accounts: int,
    n_items: int,
    k: int = 5,
    neighbours: int = 20,
    min_support: int = 2,
) -> HitRate:
    """Leave-last-out hit rate at k of item-to-item suggestions and of the popularity baseline.

    For every account with at least two distinct items, its most recent purchase (by `placed_at`,
    numbers or datetime64; among equal times the later pair of the input) is hidden: every purchase of
    that item by that account leaves the training set, so the item is new to the account again. Both
    models are fitted on what remains (all accounts), and a hit is the hidden item among the account's
    top k. Items bought at the same moment as the hidden one stay in training, as they would in use.
    """
    account = _index_array(account_index, size=n_accounts, name="account_index")
    item = _index_array(item_index, size=n_items, name="item_index")
    time = np.asarray(placed_at).ravel()
    if not len(account) == len(item) == len(time):
        raise ValueError("account_index, item_index and placed_at must have the same length")
    if time.dtype.kind == "M":
        time = time.astype("datetime64[us]").astype(np.int64)
    if len(account) == 0:
        return HitRate(k=k, accounts=0, item_to_item=0.0, popularity=0.0)
    distinct = np.diff(_purchase_matrix(account, item, n_accounts=n_accounts, n_items=n_items).indptr)
    by_time = np.lexsort((np.arange(len(account)), time, account))
    last = by_time[np.append(_group_starts(account[by_time])[1:] - 1, len(by_time) - 1)]
    last = last[distinct[account[last]] >= 2]
    evaluated, hidden = account[last], item[last]
    if len(evaluated) == 0:
        return HitRate(k=k, accounts=0, item_to_item=0.0, popularity=0.0)
    hidden_of = np.full(n_accounts, -1, dtype=np.int64)
    hidden_of[evaluated] = hidden
    train = hidden_of[account] != item
    model = item_similarity_fit(
        account[train],
        item[train],
        n_accounts=n_accounts,
        n_items=n_items,
        neighbours=neighbours,
        min_support=min_support,
    )
    # Scoring only the evaluated accounts (renumbered 0..m-1) spares the work on the others.
    renumbered = np.full(n_accounts, -1, dtype=np.int64)
    renumbered[evaluated] = np.arange(len(evaluated))
    scored = train & (renumbered[account] >= 0)
    suggested = recommend_many(model, renumbered[account[scored]], item[scored], n_accounts=len(evaluated), k=k)
    popular = popularity_baseline(account[train], item[train], n_accounts=n_accounts, n_items=n_items, k=k)
    return HitRate(
        k=k,
        accounts=len(evaluated),
        item_to_item=float(np.mean((suggested.item == hidden[:, None]).any(axis=1))),
        popularity=float(np.mean((popular.item[evaluated] == hidden[:, None]).any(axis=1))),
    )


def _index_array(values: ArrayLike, *, size: int, name: str) -> IntArray:
    array = np.asarray(values).ravel()
    if len(array) == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not {array.dtype}")
    array = array.astype(np.int64, copy=False)
    if array.min() < 0 or array.max() >= size:
        raise ValueError(f"{name} must lie in 0..{size - 1}")
    return array


def _purchase_matrix(account_index: ArrayLike, item_index: ArrayLike, *, n_accounts: int, n_items: int) -> Any:
    """The binary account × item matrix (csr_array of float64 ones, canonical)."""
    account = _index_array(account_index, size=n_accounts, name="account_index")
    item = _index_array(item_index, size=n_items, name="item_index")
    if len(account) != len(item):
        raise ValueError("account_index and item_index must have the same length")
    matrix = sp.csr_array((np.ones(len(account)), (account, item)), shape=(n_accounts, n_items))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _no_neighbours(n_items: int) -> ItemNeighbours:
    empty = np.zeros(0, dtype=np.int64)
    return ItemNeighbours(item=empty, neighbour=empty, score=np.zeros(0), support=empty, n_items=n_items)


def _empty_recommendations(n_accounts: int, k: int) -> Recommendations:
    return Recommendations(
        item=np.full((n_accounts, k), -1, dtype=np.int64),
        score=np.zeros((n_accounts, k)),
        because=np.full((n_accounts, k), -1, dtype=np.int64),
    )


def _ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """The concatenation of arange(start, stop) for each pair, without a Python loop."""
    lengths = stops - starts
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _group_starts(keys: NDArray[Any]) -> IntArray:
    """Where each run of equal values begins in a sorted (non-empty) array."""
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))


def _top_k(
    indptr: NDArray[Any], values: FloatArray, column: IntArray, *, k: int, tiebreak: FloatArray | None = None
) -> tuple[IntArray, IntArray, IntArray]:
    """Positions of each CSR row's k largest values, with their row and rank, by row then best first.

    Rows are laid out in a padded dense block, a few at a time, and np.partition finds each row's k-th
    largest value in linear time; only the entries at or above it (ties included) are then sorted, by
    value, `tiebreak` (larger first) and column, so the choice among equal values is deterministic.
    """
    empty = np.zeros(0, dtype=np.int64)
    n_rows = len(indptr) - 1
    lengths = np.diff(indptr).astype(np.int64)
    if k == 0 or len(values) == 0:
        return empty, empty, empty
    step = max(1, TOP_K_CELLS // int(lengths.max()))
    candidates: list[IntArray] = []
    for start in range(0, n_rows, step):
        stop = min(n_rows, start + step)
        low, high = int(indptr[start]), int(indptr[stop])
        width = int(lengths[start:stop].max(initial=0))
        if width <= k:
            candidates.append(np.arange(low, high, dtype=np.int64))
            continue
        row = np.repeat(np.arange(stop - start), lengths[start:stop])
        position = np.arange(high - low) - np.repeat(indptr[start:stop] - low, lengths[start:stop])
        padded = np.full((stop - start, width), -np.inf)
        padded[row, position] = values[low:high]
        kth = np.partition(padded, width - k, axis=1)[:, width - k]
        candidates.append(low + np.flatnonzero(values[low:high] >= kth[row]))
    chosen = np.concatenate(candidates)
    row = np.searchsorted(indptr, chosen, side="right").astype(np.int64) - 1
    keys: tuple[NDArray[Any], ...] = (column[chosen], -values[chosen], row)
    if tiebreak is not None:
        keys = (column[chosen], -tiebreak[chosen], -values[chosen], row)
    order = np.lexsort(keys)
    chosen, row = chosen[order], row[order]
    starts = _group_starts(row)
    rank = np.arange(len(row)) - np.repeat(starts, np.diff(np.append(starts, len(row))))
    keep = rank < k
    return chosen[keep], row[keep], rank[keep]


def _because(purchases: Any, neighbours: ItemNeighbours, row: IntArray, item: IntArray) -> IntArray:
    """For each (account row, suggested item), the owned item most similar to the suggestion."""
    if len(row) == 0:
        return np.zeros(0, dtype=np.int64)
    indptr = purchases.indptr.astype(np.int64)
    owned_count = indptr[row + 1] - indptr[row]
    pair = np.repeat(np.arange(len(row)), owned_count)
    owned = purchases.indices[_ranges(indptr[row], indptr[row + 1])].astype(np.int64)
    contribution = neighbours.scores_of(owned, item[pair])
    # Every suggestion was scored through some owned item, so no pair's group is empty; within a group the
    # owned items ascend (X is canonical), so the first best is the lowest item on a tie.
    starts = np.cumsum(owned_count) - owned_count
    best = np.maximum.reduceat(contribution, starts)
    is_best = np.flatnonzero(contribution == best[pair])
    return owned[is_best[_group_starts(pair[is_best])]]
