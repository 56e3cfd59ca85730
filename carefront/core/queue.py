"""The embedded job queue: Huey's SQLite queue, committing as the main database does."""

from __future__ import annotations

import sqlite3

from huey import Huey
from huey.storage import SqliteStorage


class EmbeddedQueueStorage(SqliteStorage):
    """SQLite storage in WAL mode with `synchronous=NORMAL`, like the main database.

    Huey's default (FULL) syncs the disk on every enqueue and dequeue, which cost more than the rest of
    storing a received email. NORMAL keeps every commit through a crash of any process; after a power cut
    the last ones may roll back, and the sweeps queue again what matters (received email not yet filed,
    email not yet sent) from the main database.
    """

    def _create_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class EmbeddedHuey(Huey):
    storage_class = EmbeddedQueueStorage
