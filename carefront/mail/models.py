"""Email in and out: mailboxes, every received message kept as received, the Message-IDs that thread
conversations, and every message we send with its delivery state."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carefront.desk.models import Tier


class Mailbox(models.Model):
    """An address people write to: its mail becomes tickets for a team, in a language, at a tier."""

    address = models.EmailField(_("address"), unique=True)
    name = models.CharField(_("sender name"), max_length=100, blank=True)
    team = models.ForeignKey(
        "core.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    language = models.CharField(_("language"), max_length=16, default="en")
    tier = models.PositiveSmallIntegerField(_("default tier"), choices=Tier.choices, default=Tier.L1)
    signature = models.TextField(_("signature"), blank=True)
    auto_acknowledge = models.BooleanField(_("acknowledge new tickets"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address


class Via(models.TextChoices):
    SMTP = "smtp", _("SMTP listener")
    IMAP = "imap", _("IMAP mailbox")
    FILE = "file", _("Command line")
    WEBHOOK = "webhook", _("Webhook")


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    DUPLICATE = "duplicate", _("Duplicate")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Bounce")


class InboundEmail(models.Model):
    """A received message, byte for byte as it arrived, stored before anything is done with it."""

    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # The Message-ID header (or, for one longer than fits, its hash; see mail.parsing.message_id_key).
    message_id_header = models.CharField(_("Message-ID"), max_length=255, blank=True)
    # Message-ID and content hash together: the same message delivered twice is stored once.
    dedupe_key = models.CharField(_("deduplication key"), max_length=64, unique=True)
    via = models.CharField(_("received via"), max_length=16, choices=Via.choices)
    envelope_from = models.CharField(_("envelope sender"), max_length=254, blank=True)
    envelope_to = models.JSONField(_("envelope recipients"), default=list, blank=True)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("mailbox")
    )
    state = models.CharField(_("state"), max_length=16, choices=InboundState.choices, default=InboundState.RECEIVED)
    kind = models.CharField(_("kind"), max_length=16, choices=InboundKind.choices, blank=True)
    # Why it was quarantined, or what became of it when that is not a ticket message.
    reason = models.TextField(_("reason"), blank=True)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    ticket = models.ForeignKey(
        "desk.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
        db_index=False,  # inbound_ticket_idx leads with it
    )
    message = models.ForeignKey(
        "desk.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("received email")
        verbose_name_plural = _("received emails")
        indexes = [
            # The sweep for messages still waiting, and the quarantine list, newest first.
            models.Index(fields=["state", "id"], name="inbound_state_idx"),
            models.Index(fields=["ticket", "id"], name="inbound_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.via} {self.message_id_header or self.sha256[:12]}"


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class EmailReference(models.Model):
    """A Message-ID we received or sent, and the ticket it belongs to: how a reply finds its conversation."""

    message_id_header = models.CharField(_("Message-ID"), max_length=255, unique=True)
    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"), db_index=False
    )
    message = models.ForeignKey(
        "desk.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("email reference")
        verbose_name_plural = _("email references")
        indexes = [models.Index(fields=["ticket", "id"], name="email_reference_ticket_idx")]

    def __str__(self) -> str:
        return self.message_id_header


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    NOTIFICATION = "notification", _("Notification")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DEFERRED = "deferred", _("Deferred")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    """An email we send: written once when queued, delivered by the job queue with retries."""

    kind = models.CharField(_("kind"), max_length=16, choices=OutboundKind.choices)
    ticket = models.ForeignKey(
        "desk.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
        db_index=False,  # outbound_ticket_idx leads with it
    )
    message = models.ForeignKey(
        "desk.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    from_address = models.CharField(_("from"), max_length=320)
    # The first recipient, lower-case: what the acknowledgement rate limit counts by.
    to_address = models.CharField(_("to"), max_length=254)
    recipients = models.JSONField(_("recipients"), default=dict)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    message_id_header = models.CharField(_("Message-ID"), max_length=255, unique=True)
    state = models.CharField(_("delivery state"), max_length=16, choices=DeliveryState.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The receiving server's last answer when it deferred or refused the message.
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sent email")
        verbose_name_plural = _("sent emails")
        indexes = [
            models.Index(fields=["ticket", "id"], name="outbound_ticket_idx"),
            models.Index(fields=["to_address", "kind", "queued_at"], name="outbound_rate_idx"),
            models.Index(fields=["state", "id"], name="outbound_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.state})"
