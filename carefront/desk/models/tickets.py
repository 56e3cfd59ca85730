"""Tickets and their conversations."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carefront.accounts.models import Channel


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class PriorityRank(models.Func):
    """A ticket's priority as a number to sort by: urgent 3, high 2, normal 1, low 0.

    Written with literals rather than query parameters so that the database matches it to the index on
    the same expression (SQLite only matches an indexed expression that is spelled the same way).
    """

    template = "CASE %(expressions)s WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END"
    output_field = models.IntegerField()

    def __init__(self) -> None:
        super().__init__(models.F("priority"))


# The de-escalation checklist a difficult conversation is worked with, in order.
CHECKLIST = (
    ("listen", _("Read the whole conversation before answering")),
    ("acknowledge", _("Acknowledge how they feel, in your own words")),
    ("apologise", _("Apologise for the experience, without blaming anyone")),
    ("restate", _("Restate the problem to show it is understood")),
    ("next_step", _("Say what happens next, and by when")),
    ("direct_line", _("Offer a direct way to reach you")),
    ("follow_up", _("Follow up when you said you would")),
)


class Tier(models.IntegerChoices):
    L0 = 0, _("L0 self-service")
    L1 = 1, _("L1 front line")
    L2 = 2, _("L2 problem solving")
    L3 = 3, _("L3 technical")


class Ticket(models.Model):
    """A service request from a contact on a channel, worked by staff until solved."""

    number = models.BigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=250)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    tier = models.PositiveSmallIntegerField(
        _("tier"), choices=Tier.choices, default=Tier.L1, validators=[MaxValueValidator(3)]
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("account"),
        # ticket_account_idx (account, id) serves every lookup a single-column index would.
        db_index=False,
    )
    requester = models.ForeignKey(
        "accounts.Contact",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("requester"),
        db_index=False,  # ticket_requester_idx leads with it
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField("core.Tag", blank=True, related_name="tickets", verbose_name=_("tags"))
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    # A difficult conversation: flagged for a senior, with the de-escalation checklist's items done so far.
    difficult_since = models.DateTimeField(_("difficult conversation since"), null=True, blank=True)
    difficult_checklist = models.JSONField(_("de-escalation checklist"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True, unique=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    # When the status last changed (null on tickets from before it was kept: their creation time stands in).
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Since when something the client owes us (an open dependency of the relationships app) blocks this ticket: its
    # SLA clocks stand still meanwhile, as when it is pending. Kept on the row so the SLA service reads no other app's
    # tables; nullable, so that adding it is an ALTER TABLE rather than a rebuild of the table (and its triggers).
    waiting_on_client_since = models.DateTimeField(_("waiting on client since"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "id"], name="ticket_status_idx"),
            models.Index(fields=["priority", "id"], name="ticket_priority_idx"),
            models.Index(fields=["tier", "id"], name="ticket_tier_idx"),
            models.Index(fields=["channel", "id"], name="ticket_channel_idx"),
            models.Index(fields=["assignee", "status", "id"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "id"], name="ticket_team_idx"),
            models.Index(fields=["account", "id"], name="ticket_account_idx"),
            # The account timeline: tickets newest first by (created_at, id).
            models.Index(fields=["account", "created_at", "id"], name="ticket_account_created_idx"),
            models.Index(fields=["requester", "id"], name="ticket_requester_idx"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated_idx"),
            # The inbox counts every queue in one aggregate over the open and recently solved tickets: this
            # index holds every column those counts read, so they never touch the table (it also serves the
            # auto-close job's status + solved_at lookups).
            models.Index(
                fields=["status", "solved_at", "tier", "assignee", "team", "account", "priority", "channel"],
                name="ticket_inbox_counts_idx",
            ),
            # Keyset pages of the inbox sorted by priority (most urgent first, then newest).
            models.Index(PriorityRank(), models.F("id"), name="ticket_priority_rank_idx"),
            # The scorecards read the tickets of a period by each of its dates, and the backlog (unsolved, or
            # solved after the period's end) by the solve time: O(rows in the period), never every ticket. The
            # trailing columns let the ticket facts' signatures (insights/metrics/facts.py) be read from the index.
            models.Index(fields=["created_at", "solved_at", "merged_into", "version", "id"], name="ticket_created_idx"),
            models.Index(fields=["solved_at", "created_at", "merged_into", "version", "id"], name="ticket_solved_idx"),
            models.Index(fields=["first_responded_at", "merged_into", "version", "id"], name="ticket_responded_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")


class MessageFlag(models.TextChoices):
    """Why a message from outside is a note rather than a reply (email that must not pass as the requester's)."""

    NON_PARTICIPANT = "non_participant", _("From a non-participant")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Delivery failure")


class Message(models.Model):
    """One entry in a ticket's conversation: a public reply or an internal note."""

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("ticket"),
        db_index=False,  # message_ticket_idx leads with it
    )
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff author"),
    )
    author_contact = models.ForeignKey(
        "accounts.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("contact author"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    # Null when not flagged: a nullable column is added by ALTER TABLE; one with a default rebuilds the table.
    flag = models.CharField(  # noqa: DJ001
        _("flag"), max_length=16, choices=MessageFlag.choices, null=True, blank=True
    )
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # Staff time spent writing this reply or note (and the work behind it): the cost to serve. Null on rows
    # from before it was recorded, so that adding it is an ALTER TABLE rather than a rebuild of the table.
    minutes_spent = models.PositiveIntegerField(_("minutes spent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The ticket's account, copied (a ticket never changes account): an account's timeline reads its newest
    # messages from one index instead of gathering and sorting the messages of every ticket it ever had.
    # Nullable only so that adding it is an ALTER TABLE, not a rebuild of the table; every message has one.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("account"),
        db_index=False,  # message_account_idx leads with it
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["ticket", "id"], name="message_ticket_idx"),
            models.Index(fields=["account", "created_at", "id"], name="message_account_idx"),
            # Time-spent reports read the period's timed messages only.
            models.Index(fields=["created_at"], name="message_timed_idx", condition=models.Q(minutes_spent__gt=0)),
            # The scorecards' next response time reads the period's public staff replies; the columns of the
            # condition are in the key too, so that the replies' facts (insights/metrics/facts.py) are signed from the
            # index alone.
            models.Index(
                fields=["created_at", "visibility", "author_user", "ticket", "id"],
                name="message_staff_reply_idx",
                condition=models.Q(visibility="public", author_user__isnull=False),
            ),
            # And counts each solved ticket's public staff replies (one-touch) from the index alone.
            models.Index(
                fields=["ticket", "created_at"],
                name="message_staff_reply_ticket_idx",
                condition=models.Q(visibility="public", author_user__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(author_user__isnull=True, author_contact__isnull=False)
                | models.Q(author_user__isnull=False, author_contact__isnull=True),
                name="message_has_one_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visibility} on {self.ticket_id}"


class Attachment(models.Model):
    """A file sent with a message, kept through Django's storage API."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketFollower(models.Model):
    """A contact copied on a ticket (CC'd on the email that opened or answered it): told of public replies."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="followers", verbose_name=_("ticket"), db_index=False
    )
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket follower")
        verbose_name_plural = _("ticket followers")
        constraints = [models.UniqueConstraint(fields=["ticket", "contact"], name="ticket_follower_unique")]

    def __str__(self) -> str:
        return f"{self.contact_id} follows {self.ticket_id}"


class PresenceState(models.TextChoices):
    VIEWING = "viewing", _("Viewing")
    REPLYING = "replying", _("Replying")


class TicketPresence(models.Model):
    """Who has a ticket open right now, so two agents do not answer the same requester at once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="presences", verbose_name=_("ticket"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    state = models.CharField(_("state"), max_length=16, choices=PresenceState.choices, default=PresenceState.VIEWING)
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket presence")
        verbose_name_plural = _("ticket presences")
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="ticket_presence_unique")]
        # The poll prunes each user's stale rows, so the table stays as small as the desk's recent activity.
        indexes = [models.Index(fields=["user", "seen_at"], name="ticket_presence_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.state} {self.ticket_id}"


class TicketLink(models.Model):
    """Two related tickets (a duplicate kept apart, a split-off request). Stored once, lower id first."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    other = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "other"], name="ticket_link_unique"),
            models.CheckConstraint(condition=models.Q(ticket__lt=models.F("other")), name="ticket_link_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ↔ {self.other_id}"


class TierQueue(models.Model):
    """The team whose queue a tier's tickets go to: escalating to L2 hands the ticket to this team."""

    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, unique=True)
    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))

    class Meta:
        verbose_name = _("tier queue")
        verbose_name_plural = _("tier queues")
        ordering = ["tier"]

    def __str__(self) -> str:
        return f"L{self.tier} → {self.team_id}"
