"""Notification channels, one small class each behind one interface (redash `destinations` style).

A channel is registered by name; `enabled_channels()` lists those switched on for this app."""

from __future__ import annotations

from flask import current_app

from app.notify.channels.base import Channel, OutgoingMessage, SendResult
from app.notify.channels.email import EmailChannel
from app.notify.channels.log import LogChannel
from app.notify.channels.push import PushChannel
from app.notify.channels.sms import SmsChannel

_REGISTRY: dict[str, type[Channel]] = {}


def register(channel_class: type[Channel]) -> type[Channel]:
    _REGISTRY[channel_class.name] = channel_class
    return channel_class


register(LogChannel)
register(PushChannel)
register(SmsChannel)
register(EmailChannel)


def enabled_channels() -> list[Channel]:
    """Channel instances for the current app (cached on it: they may hold connection pools)."""
    cache = current_app.extensions.setdefault("makker.channels", {})
    names = current_app.config.get("NOTIFY_CHANNELS") or list(_REGISTRY)
    channels = []
    for name in names:
        if name not in _REGISTRY:
            continue
        if name not in cache:
            cache[name] = _REGISTRY[name](current_app.config)
        channels.append(cache[name])
    return channels


def get_channel(name: str) -> Channel | None:
    return next((c for c in enabled_channels() if c.name == name), None)


__all__ = ["Channel", "OutgoingMessage", "SendResult", "enabled_channels", "get_channel", "register"]
