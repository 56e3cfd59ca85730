"""Giving clients to another advisor: one account (reassignment) or a whole portfolio (hand-over, before the advisor
leaves). Nothing is ever orphaned: the work the old advisor still had on those accounts moves with them, and a
staff member who still owns anything cannot be deactivated.

The work moves as it is: cadences keep their rule and time and scheduled check-ins keep their time (the client
agreed to them), even where the new advisor's working hours differ; the new advisor reschedules if they must.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carefront.accounts.models import Account
from carefront.accounts.services import account_change_owner
from carefront.core.access import require_manager
from carefront.core.exceptions import ApplicationError
from carefront.core.services import Actor, Change, events_record, staff_deactivate
from carefront.relationships.selectors_portfolio import (
    accounts_with_work_of,
    owned_items,
    work_owned_by,
)
from carefront.relationships.services import _owner_clean, _reason


@dataclass(frozen=True)
class Moved:
    """What a reassignment or a hand-over moved to the new advisor."""

    accounts: int = 0
    commitments: int = 0
    engagements: int = 0
    cadences: int = 0
    check_ins: int = 0

    def __add__(self, other: Moved) -> Moved:
        return Moved(
            accounts=self.accounts + other.accounts,
            commitments=self.commitments + other.commitments,
            engagements=self.engagements + other.engagements,
            cadences=self.cadences + other.cadences,
            check_ins=self.check_ins + other.check_ins,
        )


def _work_move(*, owned_by: int, to: Any, where: Q) -> Moved:
    """Give the unfinished work `owned_by` has (within `where`) to `to`, versions bumped so that a form open on
    the old owner's screen is refused rather than silently undoing the move."""
    bump = {"owner": to, "version": F("version") + 1, "updated_at": timezone.now()}
    return Moved(**{kind: rows.update(**bump) for kind, rows in work_owned_by(user_id=owned_by, where=where).items()})


def _work_counts(*, owned_by: int, account_id: int) -> Moved:
    """What `_work_move` would move from `owned_by` on the account (counted before it moves)."""
    rows = work_owned_by(user_id=owned_by, where=Q(account_id=account_id))
    return Moved(**{kind: found.count() for kind, found in rows.items()})


def _moved_record(*, account_id: int, moved: Moved, old_owner: Any, new_owner: Any, reason: str, actor: Actor) -> None:
    if not (moved.commitments or moved.engagements or moved.cadences or moved.check_ins):
        return
    events_record(
        subject_kind="account",
        subject_id=account_id,
        action="work_handed_over",
        changes=[
            Change("owner", old_owner.get_username(), new_owner.get_username()),
            *(
                Change(f"{kind}_moved", None, count)
                for kind, count in (
                    ("commitments", moved.commitments),
                    ("engagements", moved.engagements),
                    ("cadences", moved.cadences),
                    ("check_ins", moved.check_ins),
                )
                if count
            ),
        ],
        reason=reason,
        actor=actor,
    )


def _new_owner(owner: Any, *, old_owner_id: int | None) -> Any:
    owner = _owner_clean(owner)
    if owner.pk == old_owner_id:
        raise ApplicationError(_("Choose another advisor: this one already owns it."), field="owner")
    return owner


def account_work_follow_owner(*, account: Account, old_owner_id: int, reason: str, actor: Actor) -> Moved:
    """Move the old owner's unfinished work on the account to its new owner (called by `account_update` in the
    same transaction, whoever changed the owner and however: this screen, the account page, the API)."""
    work = _work_move(owned_by=old_owner_id, to=account.owner, where=Q(account_id=account.pk))
    old_owner = get_user_model().objects.get(pk=old_owner_id)
    _moved_record(
        account_id=account.pk, moved=work, old_owner=old_owner, new_owner=account.owner, reason=reason, actor=actor
    )
    return work


@transaction.atomic
def account_reassign(*, account: Account, actor: Actor, owner: Any, reason: str, version: int | None = None) -> Account:
    """Give an account to another advisor, saying why (managers only). The change is on the account's history
    (and so on its timeline), and the old advisor's unfinished commitments, open engagements, active cadences and
    scheduled check-ins on it move to the new advisor (`account_work_follow_owner`)."""
    require_manager(actor)
    reason = _reason(reason)
    owner = _new_owner(owner, old_owner_id=account.owner_id)
    return account_change_owner(account=account, actor=actor, owner=owner, reason=reason, version=version)


@transaction.atomic
def portfolio_hand_over(
    *,
    advisor: Any,
    actor: Actor,
    to: Any,
    reason: str,
    account_ids: Iterable[int] | None = None,
    deactivate: bool = False,
) -> Moved:
    """Give an advisor's accounts (all of them, or those named) and all their unfinished work to another advisor,
    saying why (managers only); with `deactivate`, then deactivate them in the same transaction, so that either
    everything moved and they are gone, or nothing changed.

    Work they own on accounts they do not own (a commitment made for a colleague's client, say) moves too when
    the whole portfolio is handed over."""
    require_manager(actor)
    reason = _reason(reason)
    to = _new_owner(to, old_owner_id=advisor.pk)
    owned = Account.objects.filter(owner_id=advisor.pk).order_by("id")
    chosen = None if account_ids is None else sorted(set(account_ids))
    if chosen is not None:
        owned = owned.filter(pk__in=chosen)
    accounts = list(owned.select_for_update())
    if chosen is not None and len(accounts) != len(chosen):
        raise ApplicationError(
            _("Some of the accounts chosen are not this advisor's (any more); reload and choose again."),
            field="accounts",
        )
    moved = Moved(accounts=len(accounts))
    for account in accounts:
        old_work = _work_counts(owned_by=advisor.pk, account_id=account.pk)
        account_reassign(account=account, actor=actor, owner=to, reason=reason)
        moved += old_work
    if chosen is None:
        for account_id in accounts_with_work_of(user_id=advisor.pk):
            work = _work_move(owned_by=advisor.pk, to=to, where=Q(account_id=account_id))
            _moved_record(
                account_id=account_id, moved=work, old_owner=advisor, new_owner=to, reason=reason, actor=actor
            )
            moved += work
    if deactivate:
        left = owned_items(user_id=advisor.pk)
        if left.total:
            raise ApplicationError(
                ngettext(
                    "{user} still owns {count} item; hand over the whole portfolio to deactivate them.",
                    "{user} still owns {count} items; hand over the whole portfolio to deactivate them.",
                    left.total,
                ).format(user=advisor.get_username(), count=left.total),
                field="accounts",
                status=409,
            )
        staff_deactivate(user=advisor, actor=actor)
    return moved
