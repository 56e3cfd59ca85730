"""The one domain exception: services raise it, the API and views turn it into a 4xx."""

from __future__ import annotations


class ApplicationError(Exception):
    """A request the domain refuses: carries a translated message and the field it concerns.

    `status` says how the HTTP layer answers: 400 for a bad request, 409 for a conflict with
    the current state (a stale version, a duplicate), 403 when the actor may not do this.
    """

    def __init__(self, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
