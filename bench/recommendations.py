"""Item-to-item recommendations: hit rate at k against the popularity baseline, and the time to fit.

    .venv/bin/python -m bench.recommendations [--accounts 100000] [--themes 500] [--in-theme 0.8]

No database: the orders are drawn by carefront/insights/baskets_simulation.py's `planted_baskets()`, a
catalogue cut into themes of 10 items, each account buying mostly within one theme (see its docstring
for the distributions). For each size it prints one JSON object:

- `hit_rate_item_to_item`, `hit_rate_popularity`: `hit_rate_at_k()`, leave-last-out: each account with
  at least two distinct items has its most recent item hidden, both models are fitted on the rest, and a
  hit is the hidden item among the top k; `evaluated` accounts took part;
- `fit_seconds`: `item_similarity_fit()` on every purchase (the nightly fit), the median of `--repeat`
  runs; `recommend_seconds`: `recommend_many()` for every account with its "because" items, the nightly
  refresh; `popularity_seconds`: `popularity_baseline()` for every account; `evaluation_seconds`: the
  whole `hit_rate_at_k()` (it fits and recommends again on the training set);
- `neighbour_rows`: the size of the neighbour table a caller would store.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from carefront.insights.baskets import hit_rate_at_k, item_similarity_fit, popularity_baseline, recommend_many
from carefront.insights.baskets_simulation import planted_baskets


def _timed(function: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    """The last result and the median wall time of `repeat` calls."""
    seconds: list[float] = []
    result: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return result, round(statistics.median(seconds), 3)


def bench_size(*, accounts: int, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    orders = planted_baskets(
        n_accounts=accounts,
        n_themes=args.themes,
        items_per_theme=args.items_per_theme,
        mean_purchases=args.mean_purchases,
        in_theme=args.in_theme,
        seed=args.seed,
    )
    generate_seconds = round(time.perf_counter() - started, 3)
    sizes = {"n_accounts": orders.n_accounts, "n_items": orders.n_items}
    model, fit_seconds = _timed(
        lambda: item_similarity_fit(
            orders.account, orders.item, **sizes, neighbours=args.neighbours, min_support=args.min_support
        ),
        args.repeat,
    )
    _, recommend_seconds = _timed(
        lambda: recommend_many(model, orders.account, orders.item, n_accounts=orders.n_accounts, k=args.k),
        args.repeat,
    )
    _, popularity_seconds = _timed(
        lambda: popularity_baseline(orders.account, orders.item, **sizes, k=args.k), args.repeat
    )
    result, evaluation_seconds = _timed(
        lambda: hit_rate_at_k(
            orders.account,
            orders.item,
            orders.placed_at,
            **sizes,
            k=args.k,
            neighbours=args.neighbours,
            min_support=args.min_support,
        ),
        1,
    )
    return {
        "benchmark": "recommendations",
        "accounts": orders.n_accounts,
        "items": orders.n_items,
        "purchases": len(orders.account),
        "in_theme": args.in_theme,
        "k": args.k,
        "neighbours": args.neighbours,
        "min_support": args.min_support,
        "evaluated": result.accounts,
        "hit_rate_item_to_item": round(result.item_to_item, 4),
        "hit_rate_popularity": round(result.popularity, 4),
        "neighbour_rows": len(model),
        "generate_seconds": generate_seconds,
        "fit_seconds": fit_seconds,
        "recommend_seconds": recommend_seconds,
        "popularity_seconds": popularity_seconds,
        "evaluation_seconds": evaluation_seconds,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", default="100000", help="comma-separated account counts (default 100000)")
    parser.add_argument("--themes", type=int, default=500, help="themes in the catalogue (default 500)")
    parser.add_argument("--items-per-theme", type=int, default=10, help="items per theme (default 10)")
    parser.add_argument("--mean-purchases", type=float, default=4.0, help="purchases per account (default 4)")
    parser.add_argument("--in-theme", type=float, default=0.8, help="share of purchases in the theme (default 0.8)")
    parser.add_argument("--k", type=int, default=5, help="suggestions per account (default 5)")
    parser.add_argument("--neighbours", type=int, default=20, help="neighbours kept per item (default 20)")
    parser.add_argument("--min-support", type=int, default=2, help="co-purchases a pair needs (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="the generator's seed (default 0)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each step; the median is kept")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    for accounts in [int(size) for size in args.accounts.split(",") if size.strip()]:
        print(json.dumps(bench_size(accounts=accounts, args=args)), flush=True)


if __name__ == "__main__":
    main()
