"""The desk's models: tickets and their conversations, and the business hours and SLA clocks that time them."""

from carefront.desk.models.sla import (
    Calendar,
    CalendarHoliday,
    CalendarHours,
    CalendarSpan,
    ClockStatus,
    SlaClock,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
)
from carefront.desk.models.tickets import (
    Attachment,
    Message,
    PresenceState,
    Priority,
    PriorityRank,
    Status,
    Ticket,
    TicketPresence,
    Tier,
    Visibility,
)

__all__ = [
    "Attachment",
    "Calendar",
    "CalendarHoliday",
    "CalendarHours",
    "CalendarSpan",
    "ClockStatus",
    "Message",
    "PresenceState",
    "Priority",
    "PriorityRank",
    "SlaClock",
    "SlaMetric",
    "SlaPolicy",
    "SlaTarget",
    "Status",
    "Ticket",
    "TicketPresence",
    "Tier",
    "Visibility",
]
