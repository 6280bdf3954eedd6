"""The log channel: writes each notification to the application log (development, audit of sends)."""

from __future__ import annotations

import logging

from app.notify.channels.base import Channel, OutgoingMessage, SendResult

log = logging.getLogger("makker.notify")


class LogChannel(Channel):
    name = "log"
    blocking_io = False

    def wants(self, session, recipient, notification) -> bool:
        return True

    def send(self, message: OutgoingMessage) -> list[SendResult]:
        log.info(
            "notify %s -> %s [%s] %s: %s",
            message.type, message.recipient_name, message.tag,
            message.payload.get("title", ""), message.payload.get("body", ""),
        )
        return [SendResult(ok=True, detail="logged")]
