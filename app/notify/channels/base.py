"""The channel interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy.orm import Session

from app.models import Notification, User


@dataclass(frozen=True)
class OutgoingMessage:
    """A snapshot of what to send, taken inside the transaction, sent outside it."""

    outbox_id: int
    notification_id: str
    recipient_id: int
    recipient_name: str
    phone: str
    email: str
    locale: str
    type: str
    tag: str
    urgent: bool
    payload: dict
    alert_id: str | None = None
    attempt: int = 1
    # What the channel's `prepare` looked up for this message in one query per dispatch round.
    prepared: dict | None = None


@dataclass
class SendResult:
    ok: bool
    detail: str = ""
    status: int | None = None
    # Retry later (seconds), e.g. 429 with Retry-After or a 5xx; None = do not retry.
    retry_after: float | None = None
    extra: dict = field(default_factory=dict)
    # Rows the channel wants stored with the delivery record (same transaction, no session needed).
    rows: list = field(default_factory=list)
    # Not sent because it was not needed (e.g. the SMS fallback after a delivered push): no attempt is
    # recorded and the outbox entry ends in state "skipped".
    skipped: bool = False


class Channel(ABC):
    name: ClassVar[str]
    # False for channels that do no network I/O (log, local mail sink): the dispatcher runs them
    # inline instead of paying for a thread, an app context and a connection per message.
    blocking_io: ClassVar[bool] = True

    def __init__(self, config) -> None:
        self.config = config

    @abstractmethod
    def wants(self, session: Session, recipient: User, notification: Notification) -> bool:
        """Should this notification go to the recipient through this channel?"""

    def first_attempt_delay(self, session: Session, recipient: User, notification: Notification) -> float:
        """Seconds to wait before the first attempt (default: at once). Asked at enqueue, after `wants`."""
        return 0.0

    def prepare(self, session: Session, messages: list[OutgoingMessage]) -> dict[int, dict]:
        """Look up what `send` needs for all of this round's messages at once (by outbox id)."""
        return {}

    @abstractmethod
    def send(self, message: OutgoingMessage) -> list[SendResult]:
        """Send one message (possibly to several devices); one result per attempt. Never raises."""
