"""Simulated purchases with planted co-purchase structure, to check and measure baskets.py.

Real order sets are private and CDNOW has one product, so the tests and bench/recommendations.py draw
orders from a world whose answer is known: the catalogue is cut into themes (camping, baking, …) of
`items_per_theme` items each, and every account has one theme it mostly buys from. Item-to-item
suggestions should find the rest of an account's theme; the popularity baseline can only suggest what
sells best overall, which is right for few accounts.

- Themes are unequally popular: an account picks theme t with weight 1 / (t + 1) ** 0.8.
- Within a theme, items are unequally popular too (the tent sells more than the tent pegs): item p of
  the theme has weight 1 / (p + 1).
- Each account makes 1 + Poisson(mean_purchases - 1) purchases of one item each. A purchase is from
  its theme with probability `in_theme`, otherwise any item of the catalogue with Zipf weights 1 / rank
  over a random ranking: noise, and the best sellers the popularity baseline relies on.
- Times are seconds: a first purchase uniform over a year, then gaps of Exponential(30 days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DAY = 86_400


@dataclass(frozen=True, eq=False)
class SimulatedOrders:
    """One row per purchase (account, item, time in seconds), and each account's theme."""

    account: NDArray[np.int64]
    item: NDArray[np.int64]
    placed_at: NDArray[np.int64]
    theme: NDArray[np.int64]
    n_accounts: int
    n_items: int
    items_per_theme: int


def planted_baskets(
    *,
    n_accounts: int,
    n_themes: int = 200,
    items_per_theme: int = 10,
    mean_purchases: float = 4.0,
    in_theme: float = 0.8,
    seed: int = 0,
) -> SimulatedOrders:
    """Draw purchases as the module docstring describes; the same seed gives the same orders."""
    if mean_purchases < 1:
        raise ValueError("mean_purchases must be at least 1")
    rng = np.random.default_rng(seed)
    n_items = n_themes * items_per_theme
    theme_weight = 1.0 / np.arange(1, n_themes + 1) ** 0.8
    theme = rng.choice(n_themes, size=n_accounts, p=theme_weight / theme_weight.sum()).astype(np.int64)
    count = 1 + rng.poisson(mean_purchases - 1, size=n_accounts)
    account = np.repeat(np.arange(n_accounts, dtype=np.int64), count)
    rows = len(account)
    position_weight = 1.0 / np.arange(1, items_per_theme + 1)
    position = rng.choice(items_per_theme, size=rows, p=position_weight / position_weight.sum())
    ranking = rng.permutation(n_items)
    global_weight = 1.0 / np.arange(1, n_items + 1)
    anywhere = ranking[rng.choice(n_items, size=rows, p=global_weight / global_weight.sum())]
    item = np.where(rng.random(rows) < in_theme, theme[account] * items_per_theme + position, anywhere)
    first = rng.integers(0, 365 * DAY, size=n_accounts)
    gap = rng.exponential(30 * DAY, size=rows).astype(np.int64)
    # Each account's gaps run from its own first purchase: cumulative sums restarted per account.
    starts = np.cumsum(count) - count
    running = np.cumsum(gap)
    offset = running - np.repeat(running[starts] - gap[starts], count)
    placed_at = np.repeat(first, count) + offset - np.repeat(gap[starts], count)
    return SimulatedOrders(
        account=account,
        item=item.astype(np.int64),
        placed_at=placed_at.astype(np.int64),
        theme=theme,
        n_accounts=n_accounts,
        n_items=n_items,
        items_per_theme=items_per_theme,
    )
