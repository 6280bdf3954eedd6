"""All models, imported so that metadata (and Alembic autogenerate) sees every table.

Each feature keeps its tables in its own module here."""

from app.models.audit import AuditEntry
from app.models.base import Base
from app.models.drills import Drill, DrillPerson
from app.models.help import AmbulanceLetter, GuidelineCard, NextOfKin
from app.models.incidents import Incident, IncidentCheck, IncidentComment
from app.models.notify import DeliveryAttempt, Notification, OutboxEntry, WatchdogBeat
from app.models.org import ROLES, Unit, User, UserSession
from app.models.push import MailSinkMessage, NotificationPrefs, PushSubscription
from app.models.retention import RetentionRun
from app.models.signin import SamlRequest, SessionAuth, SsoIdentity
from app.models.visits import Alert, ClientAction, TimelineEvent, Visit

__all__ = [
    "ROLES", "Alert", "AuditEntry", "Base", "ClientAction", "DeliveryAttempt", "Notification",
    "OutboxEntry", "TimelineEvent", "Unit", "User", "UserSession", "Visit", "WatchdogBeat",
    "AmbulanceLetter", "GuidelineCard", "NextOfKin",
    "Incident", "IncidentCheck", "IncidentComment",
    "MailSinkMessage", "NotificationPrefs", "PushSubscription",
    "RetentionRun",
    "Drill", "DrillPerson",
    "SamlRequest", "SessionAuth", "SsoIdentity",
]
