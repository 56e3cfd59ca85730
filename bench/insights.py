"""Insights at scale: how long the lifetime-value models take to fit and to score (issue 6).

    .venv/bin/python -m bench.insights [--only models] [--repeat 5] [--simulated 250000] [--scored 1000000]

Sections, chosen with --only (comma-separated; all by default), each printing JSON objects, one a line:

- `models`: BG/NBD and Gamma-Gamma fit times (the median of --repeat runs) on the CDNOW sample (2,357
  customers) and the full CDNOW log (23,570), with the time to parse the file and to summarise it
  apart, and on --simulated customers drawn from the CDNOW parameters; then the pure scoring of
  --scored customers: P(alive), expected purchases in the next 52 weeks and 12-month discounted CLV.

- `refresh`: the end-to-end `insights refresh` on a benchmark database (reading, scoring and writing back
  every account): the fit step (order log, BG/NBD, Gamma-Gamma, RFM breaks, item pairs), then every
  scoring batch as the queue's workers run them (here one after another, in this process), a second full
  rescore (the nightly steady state, every advice already known), and an incremental rescore after 1,000
  accounts changed. The database is the one `bench/seed.py` made in --data-dir (or DATABASE_URL); with
  --seed-accounts N it is made first (N accounts and N tickets, --orders per account). Target: a million
  accounts in under 60 s.
- `recommendations`: `bench/recommendations.py`'s hold-out hit rate @5 of item-to-item against the
  popularity baseline (100,000 simulated accounts).

Only `refresh` needs a database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from carefront.insights.lifetime import (
    BgNbdFit,
    GammaGammaFit,
    Summary,
    bgnbd_expected_purchases,
    bgnbd_fit,
    bgnbd_p_alive,
    clv_discounted,
    gamma_gamma_fit,
    rfm_summary,
)
from carefront.insights.tests.cdnow import MASTER, SAMPLE, cdnow_read
from carefront.insights.tests.simulate import bgnbd_simulate, gamma_gamma_simulate

SEED = 42
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
# Fader, Hardie & Lee's CDNOW estimates, in weeks and dollars: the population the simulations draw from.
CDNOW_BG = BgNbdFit(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_GG = GammaGammaFit(p=6.25, q=3.74, gamma=15.44)
FIT_TARGET_SECONDS = 0.1  # both fits on the full CDNOW log
SCORE_TARGET_SECONDS = 1.0  # each score over a million customers
REFRESH_TARGET_SECONDS = 60.0  # insights refresh of a million accounts


def _median_seconds(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of `repeat` calls and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 4), result


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _fits(summary: Summary, repeat: int) -> dict[str, Any]:
    # A repeat customer whose purchases were all free has no spend for Gamma-Gamma (the full log has one).
    paid = (summary.frequency == 0) | (summary.monetary > 0)
    bg_seconds, bg = _median_seconds(lambda: bgnbd_fit(summary.frequency, summary.recency, summary.T), repeat)
    gg_seconds, gg = _median_seconds(lambda: gamma_gamma_fit(summary.frequency[paid], summary.monetary[paid]), repeat)
    return {
        "customers": summary.customers,
        "repeat_customers": int((summary.frequency > 0).sum()),
        "bgnbd_fit_seconds": bg_seconds,
        "gamma_gamma_fit_seconds": gg_seconds,
        "fit_seconds": round(bg_seconds + gg_seconds, 4),
        "bgnbd": {
            "r": round(bg.r, 4),
            "alpha": round(bg.alpha, 4),
            "a": round(bg.a, 4),
            "b": round(bg.b, 4),
            "log_likelihood": round(bg.log_likelihood, 2),
            "iterations": bg.iterations,
        },
        "gamma_gamma": {
            "p": round(gg.p, 4),
            "q": round(gg.q, 4),
            "gamma": round(gg.gamma, 4),
            "customers": gg.customers,
            "iterations": gg.iterations,
        },
    }


def bench_cdnow(path: Path, *, repeat: int) -> dict[str, Any]:
    parse_seconds, log = _median_seconds(lambda: cdnow_read(path), repeat)
    summary_seconds, summary = _median_seconds(
        lambda: rfm_summary(
            log.customer_ids,
            log.dates,
            log.amounts,
            observation_end=OBSERVATION_END,
            calibration_end=CALIBRATION_END,
            unit_days=7.0,
        ),
        repeat,
    )
    return {
        "data": path.name,
        **({"target_fit_seconds": FIT_TARGET_SECONDS} if path == MASTER else {}),
        "transactions": int(log.customer_ids.size),
        "parse_seconds": parse_seconds,
        "summary_seconds": summary_seconds,
        **_fits(summary, repeat),
    }


def _simulated(customers: int, rng: np.random.Generator, *, days: int) -> tuple[Summary, float]:
    """Customers of a shop whose first purchases spread over `days` days, ages in whole days, in weeks."""
    began = time.perf_counter()
    ages = rng.integers(0, days, size=customers) / 7.0
    sample = bgnbd_simulate(CDNOW_BG.r, CDNOW_BG.alpha, CDNOW_BG.a, CDNOW_BG.b, ages, rng)
    monetary = gamma_gamma_simulate(CDNOW_GG.p, CDNOW_GG.q, CDNOW_GG.gamma, sample.frequency, rng)
    summary = Summary(
        customer_ids=np.arange(customers),
        frequency=sample.frequency,
        recency=sample.recency,
        T=sample.T,
        monetary=monetary,
        first_purchase=np.zeros(customers, dtype="datetime64[D]"),
        unit_days=7.0,
    )
    return summary, round(time.perf_counter() - began, 4)


def bench_simulated(customers: int, *, repeat: int) -> dict[str, Any]:
    summary, simulate_seconds = _simulated(customers, np.random.default_rng(SEED), days=39 * 7)
    return {"data": "simulated", "simulate_seconds": simulate_seconds, **_fits(summary, repeat)}


def _scores(summary: Summary, repeat: int) -> dict[str, float]:
    x, t_x, age, m = summary.frequency, summary.recency, summary.T, summary.monetary
    p_alive_seconds, _ = _median_seconds(lambda: bgnbd_p_alive(CDNOW_BG, x, t_x, age), repeat)
    expected_seconds, _ = _median_seconds(lambda: bgnbd_expected_purchases(CDNOW_BG, 52.0, x, t_x, age), repeat)
    clv_seconds, clv = _median_seconds(lambda: clv_discounted(CDNOW_BG, CDNOW_GG, x, t_x, age, m), repeat)
    return {
        "p_alive_seconds": p_alive_seconds,
        "expected_purchases_52_weeks_seconds": expected_seconds,
        "clv_12_months_seconds": clv_seconds,
        "clv_total": round(float(clv.sum()), 2),
    }


def bench_scoring(customers: int, *, repeat: int) -> dict[str, Any]:
    """Scores over customers whose ages are whole days (as from rfm_summary), and over distinct ages.

    The second is the worst case: expected purchases cost one 2F1 per distinct (frequency, age), and
    ages computed from timestamps rather than days are all distinct.
    """
    rng = np.random.default_rng(SEED)
    summary, simulate_seconds = _simulated(customers, rng, days=3 * 365)
    result: dict[str, Any] = {
        "data": "simulated",
        "customers": customers,
        "simulate_seconds": simulate_seconds,
        "target_seconds": SCORE_TARGET_SECONDS,
        "distinct_frequency_age_pairs": int(np.unique(np.c_[summary.frequency, summary.T], axis=0).shape[0]),
        **_scores(summary, repeat),
    }
    jittered = Summary(
        customer_ids=summary.customer_ids,
        frequency=summary.frequency,
        recency=summary.recency,
        T=summary.T + rng.uniform(0.0, 1.0 / 7, customers),
        monetary=summary.monetary,
        first_purchase=summary.first_purchase,
        unit_days=7.0,
    )
    result["distinct_ages"] = _scores(jittered, 1)
    return result


def bench_models(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    for path in (SAMPLE, MASTER):
        yield {"section": "models", "step": "fit", **bench_cdnow(path, repeat=args.repeat)}
    yield {"section": "models", "step": "fit", **bench_simulated(args.simulated, repeat=args.repeat)}
    yield {"section": "models", "step": "score", **bench_scoring(args.scored, repeat=min(args.repeat, 3))}


def bench_refresh(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    from bench.seed import configure, seed

    configure(data_dir=Path(args.data_dir).resolve(), database_url=os.environ.get("DATABASE_URL"))
    if args.seed_accounts:
        seeded = seed(tickets=args.seed_accounts, accounts=args.seed_accounts, orders=args.orders)
        yield {"section": "refresh", "step": "seed", **seeded}

    from django.db import connection
    from django.utils import timezone

    from carefront.accounts.models import Account, Order
    from carefront.insights.services import account_id_batches, insights_fit, insights_score

    accounts, orders = Account.objects.count(), Order.objects.count()
    if args.workers:
        yield {"section": "refresh", "step": "queue", **_refresh_through_queue(args.workers)}
    now = timezone.now()
    started = time.perf_counter()
    fits = insights_fit(now=now)
    fitted = time.perf_counter()
    first = [insights_score(id_range=batch, now=now) for batch in account_id_batches()]
    scored = time.perf_counter()
    again = [insights_score(id_range=batch, now=now) for batch in account_id_batches()]
    rescored = time.perf_counter()
    changed = list(Account.objects.order_by("?").values_list("id", flat=True)[:1000])
    insights_score(account_ids=changed, now=now)
    incremental = time.perf_counter()
    yield {
        "section": "refresh",
        "database": connection.vendor,
        "accounts": accounts,
        "orders": orders,
        "scored": sum(batch.accounts for batch in first),
        "batches": len(first),
        "fit_seconds": round(fitted - started, 2),
        "score_seconds": round(scored - fitted, 2),
        "refresh_seconds": round(scored - started, 2),
        "rescore_seconds": round(rescored - scored, 2),
        "changed_1000_seconds": round(incremental - rescored, 2),
        "advice_changes_first": sum(batch.changed for batch in first),
        "advice_changes_again": sum(batch.changed for batch in again),
        "reviews_opened": sum(batch.reviews_opened for batch in first),
        "alerts": sum(batch.alerts for batch in first),
        "problems": {kind: problem for kind, problem in fits.problems.items() if problem},
        "target_seconds": REFRESH_TARGET_SECONDS,
    }


def _refresh_through_queue(workers: int) -> dict[str, Any]:
    """`carefront insights refresh` as an operator runs it: the command queues, `carefront worker` processes run."""
    import subprocess
    import sys

    from django.core.management import call_command
    from huey.contrib.djhuey import HUEY

    HUEY.flush()  # a benchmark queue: nothing left over from an earlier run
    worker = subprocess.Popen(
        [sys.executable, "-m", "carefront.cli", "worker", "--workers", str(workers), "--worker-type", "process"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        timings = []
        for _run in range(2):
            started = time.perf_counter()
            call_command("insights", "refresh", stdout=open(os.devnull, "w"))  # noqa: SIM115
            timings.append(round(time.perf_counter() - started, 2))
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return {
        "workers": workers,
        "refresh_seconds": timings[0],
        "refresh_again_seconds": timings[1],
        "target_seconds": REFRESH_TARGET_SECONDS,
    }


def bench_recommendations(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    from bench.recommendations import bench_size, parser

    yield {"section": "recommendations", **bench_size(accounts=100_000, args=parser().parse_args([]))}


SECTIONS: dict[str, Callable[[argparse.Namespace], Iterator[dict[str, Any]]]] = {
    "models": bench_models,
    "refresh": bench_refresh,
    "recommendations": bench_recommendations,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {sorted(SECTIONS)}")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing; the median is printed")
    parser.add_argument("--simulated", type=int, default=250_000, help="simulated customers to fit")
    parser.add_argument("--scored", type=int, default=1_000_000, help="simulated customers to score")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("CAREFRONT_DATA_DIR", ".bench-data/seed"),
        help="refresh: the benchmark database's data dir (default: $CAREFRONT_DATA_DIR or .bench-data/seed)",
    )
    parser.add_argument("--seed-accounts", type=int, default=0, help="refresh: seed this many accounts first")
    parser.add_argument("--orders", type=float, default=3.0, help="refresh: orders per account when seeding")
    parser.add_argument(
        "--workers", type=int, default=2, help="refresh: worker processes for the queued run (0: skip it; default 2)"
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {sorted(SECTIONS)}")
    for name in chosen:
        results = SECTIONS[name](args)
        while True:
            before = _load()
            try:
                result = next(results)
            except StopIteration:
                break
            print(json.dumps({"benchmark": "insights", **result, "load_average": [before, _load()]}), flush=True)


if __name__ == "__main__":
    main()
