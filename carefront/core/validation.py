"""Boundary checks shared by services and importers; each raises ApplicationError naming the field."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from carefront.core.exceptions import ApplicationError

LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


# Entries of the system's zone database that are files, not zones a person or an office lives in.
NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def time_zone_set() -> frozenset[str]:
    """The IANA zones people and offices live in: what every time-zone field accepts."""
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACES


def clean_choice(value: Any, *, choices: list[str] | list[int], field: str) -> Any:
    if value not in choices:
        allowed = ", ".join(str(c) for c in choices)
        raise ApplicationError(
            _("“{value}” is not one of: {allowed}.").format(value=str(value)[:60], allowed=allowed), field=field
        )
    return value


def clean_text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApplicationError(_("Must be text."), field=field)
    value = value.strip()
    if required and not value:
        raise ApplicationError(_("This field is required."), field=field)
    if "\x00" in value:
        # PostgreSQL refuses NUL in text; no one types it, so it is refused here, with the field named.
        raise ApplicationError(_("Text cannot contain NUL characters."), field=field)
    if len(value) > max_length:
        raise ApplicationError(
            _("At most {max} characters (got {length}).").format(max=max_length, length=len(value)), field=field
        )
    return value


def clean_time_zone(value: str, *, field: str = "time_zone") -> str:
    if value not in time_zone_set():
        raise ApplicationError(_("“{zone}” is not a known time zone.").format(zone=value[:60]), field=field)
    return value


def clean_locale(value: str, *, field: str = "locale") -> str:
    if not LOCALE_PATTERN.match(value or ""):
        raise ApplicationError(
            _("“{locale}” is not a language code like en or fr-CA.").format(locale=value[:60]), field=field
        )
    return value


def clean_country(value: str, *, field: str = "country") -> str:
    value = (value or "").strip().upper()
    if value and value not in phonenumbers.SUPPORTED_REGIONS:
        raise ApplicationError(
            _("“{country}” is not an ISO 3166 country code like FR or GB.").format(country=value[:60]), field=field
        )
    return value


def clean_currency(value: str, *, field: str = "currency") -> str:
    value = (value or "").strip().upper()
    if not CURRENCY_PATTERN.match(value):
        raise ApplicationError(
            _("“{currency}” is not an ISO 4217 currency code like EUR.").format(currency=value[:60]), field=field
        )
    return value


def clean_email(value: str, *, field: str = "email") -> str:
    value = (value or "").strip().lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ApplicationError(_("“{email}” is not an email address.").format(email=value[:80]), field=field) from exc
    return value


def clean_phone(value: str, *, region: str = "", field: str = "phone") -> str:
    """A phone number in E.164; national numbers are read in the account's country."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException as exc:
        raise ApplicationError(
            _("“{phone}” is not a phone number; use the international form, e.g. +33142685300.").format(
                phone=value[:40]
            ),
            field=field,
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise ApplicationError(_("“{phone}” is not a possible phone number.").format(phone=value[:40]), field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_decimal(value: Any, *, field: str, minimum: Decimal | None = Decimal("0")) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(_("“{value}” is not a number.").format(value=str(value)[:40]), field=field) from exc
    if not amount.is_finite():
        raise ApplicationError(_("“{value}” is not a number.").format(value=str(value)[:40]), field=field)
    if minimum is not None and amount < minimum:
        raise ApplicationError(_("Must be at least {minimum}.").format(minimum=minimum), field=field)
    if amount.as_tuple().exponent < -2 or abs(amount) >= Decimal("1e12"):  # type: ignore[operator]
        raise ApplicationError(_("At most 12 digits and 2 decimal places."), field=field)
    return amount.quantize(Decimal("0.01"))


def clean_datetime(value: Any, *, field: str) -> datetime:
    """An aware datetime from ISO 8601 text (a bare date means midnight UTC)."""
    if isinstance(value, datetime):
        parsed: datetime | None = value
    else:
        text = str(value or "").strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None:
                day = parse_date(text)
                parsed = datetime(day.year, day.month, day.day) if day else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise ApplicationError(
                _("“{value}” is not a date and time like 2025-03-01T14:30:00Z.").format(value=text[:40]), field=field
            )
    assert parsed is not None
    try:
        # Stored in UTC; PostgreSQL refuses the extreme offsets that ISO 8601 text may carry.
        return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ApplicationError(_("“{value}” is out of range.").format(value=str(value)[:40]), field=field) from exc


def version_check(instance: Any, version: int | None) -> None:
    """Refuse an edit based on a stale read: `version` is the one the editor saw (None: not checked)."""
    if version is not None and version != instance.version:
        raise ApplicationError(
            _("This record was changed by someone else (version {current}, you sent {sent}); reload and retry.").format(
                current=instance.version, sent=version
            ),
            field="version",
            status=409,
        )
