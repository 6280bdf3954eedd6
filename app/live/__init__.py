"""Live state without reload: each feature names *topics* whose token changes whenever what a user
would see for it changes; pages poll `GET /live` (ETag/304) and refresh the regions whose token moved.

Why polling and not server-sent events: an open SSE stream pins a gunicorn worker thread per phone,
while a poll is one short request (a few indexed queries) every few seconds, only from visible pages
that show a live region, and works the same behind any proxy and with any number of web processes.

A topic function takes a session and the signed-in user and returns a short token, or None when the
topic does not apply to that user. A token must never reveal what the user may not see (a duress
alarm must not move the worker's tokens)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from flask import Flask, current_app
from sqlalchemy.orm import Session

TopicFn = Callable[[Session, object], "str | None"]
MAX_TOPICS = 8


def register_topic(app: Flask, name: str, fn: TopicFn) -> None:
    """Make `name` pollable; called from a feature's init_app."""
    topics = app.extensions.setdefault("makker.live_topics", {})
    if name in topics and topics[name] is not fn:
        raise ValueError(f"live topic {name!r} is registered twice")
    topics[name] = fn


def topic_names(app: Flask | None = None) -> list[str]:
    return sorted((app or current_app).extensions.get("makker.live_topics", {}))


def token_of(rows: Iterable) -> str:
    """A short, stable token for whatever rows/values describe a topic's state."""
    digest = hashlib.blake2b(repr(list(rows)).encode(), digest_size=8)
    return digest.hexdigest()


def tokens(session: Session, user, names: Iterable[str]) -> dict[str, str | None]:
    """The current token of each requested (and known) topic for `user`."""
    topics = current_app.extensions.get("makker.live_topics", {})
    wanted = [n for n in dict.fromkeys(names) if n in topics][:MAX_TOPICS]
    return {name: topics[name](session, user) for name in wanted}


__all__ = ["register_topic", "token_of", "tokens", "topic_names"]
