"""All models; importing this package registers every table on ``Base.metadata``."""

from .base import Base
from .counters import Counter, CounterService, CounterState, ZoneSequence
from .services import Agency, Service
from .site import AuditEntry, PrinterStatus, PrintJob, PrintJobState, Setting
from .tickets import FINAL_STATES, DailyNumber, EventKind, IdempotencyKey, Ticket, TicketEvent, TicketState
from .users import ApiToken, Role, User, user_counters

__all__ = [
    "FINAL_STATES",
    "Agency",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Counter",
    "CounterService",
    "CounterState",
    "DailyNumber",
    "EventKind",
    "IdempotencyKey",
    "PrintJob",
    "PrintJobState",
    "PrinterStatus",
    "Role",
    "Service",
    "Setting",
    "Ticket",
    "TicketEvent",
    "TicketState",
    "User",
    "ZoneSequence",
    "user_counters",
]
