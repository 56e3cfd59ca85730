"""Read the CDNOW data kept in fixtures/ (see fixtures/README.md), for the tests and bench/insights.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "CDNOW_sample.txt"
MASTER = FIXTURES / "CDNOW_master.txt"


@dataclass(frozen=True, slots=True, eq=False)
class CdnowLog:
    """One row per transaction record (several records of one customer and day are kept apart)."""

    customer_ids: NDArray[np.int64]
    dates: NDArray[np.datetime64]
    cds: NDArray[np.int64]
    amounts: NDArray[np.float64]


def _dates(yyyymmdd: NDArray[np.int64]) -> NDArray[np.datetime64]:
    years = (yyyymmdd // 10000 - 1970).astype("datetime64[Y]")
    months = years.astype("datetime64[M]") + (yyyymmdd // 100 % 100 - 1).astype("timedelta64[M]")
    return months.astype("datetime64[D]") + (yyyymmdd % 100 - 1).astype("timedelta64[D]")


def cdnow_read(path: Path) -> CdnowLog:
    """Read CDNOW_sample.txt (old id, new id, date, CDs, dollars) or CDNOW_master.txt (id, date, CDs, dollars)."""
    with path.open() as file:
        first = file.readline().split()
    header = 0 if first[0].isdigit() else 1
    columns = len(first)
    table = np.loadtxt(path, skiprows=header, dtype=np.float64)
    if columns == 5:
        table = table[:, 1:]
    return CdnowLog(
        customer_ids=table[:, 0].astype(np.int64),
        dates=_dates(table[:, 1].astype(np.int64)),
        cds=table[:, 2].astype(np.int64),
        amounts=table[:, 3],
    )


@dataclass(frozen=True, slots=True, eq=False)
class PublishedSummary:
    """cdnow_customers_summary_with_transactions.csv: weeks 1-39 of the sample, as distributed with the data."""

    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    monetary: NDArray[np.float64]


def cdnow_published_summary() -> PublishedSummary:
    table = np.loadtxt(FIXTURES / "cdnow_customers_summary_with_transactions.csv", delimiter=",", skiprows=1)
    return PublishedSummary(frequency=table[:, 1], recency=table[:, 2], T=table[:, 3], monetary=table[:, 4])
