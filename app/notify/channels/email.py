"""E-mail through SMTP (MAKKER_SMTP_*; STARTTLS unless MAKKER_SMTP_STARTTLS=0) for alerts, incident
notifications and the user's test message. Without MAKKER_SMTP_HOST (e.g. under `make run`) the
messages go to a local sink: a table the administrator reads at /push/outbox-mail."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app

from app.notify.channels.base import Channel, OutgoingMessage, SendResult
from app.notify.channels.sms import public_link

TYPES = ("alert", "incident", "test")
TIMEOUT = 10.0


class EmailChannel(Channel):
    name = "email"

    @property
    def smtp_configured(self) -> bool:
        return bool(self.config.get("SMTP_HOST"))

    @property
    def blocking_io(self) -> bool:  # the local sink is only a row written with the delivery record
        return self.smtp_configured

    def wants(self, session, recipient, notification) -> bool:
        from app.push import services

        if notification.type not in TYPES or not recipient.email or "@" not in recipient.email:
            return False
        if notification.type == "test" and not services.is_own_test(notification.type, notification.payload) \
                and not services.is_alarm(notification.type, notification.payload, notification.urgent):
            return False  # a drill's "taken" or "over": not worth an e-mail, as for a real alert
        with session.no_autoflush:
            if services.duress_to_worker(session, notification.alert_id, recipient.id):
                return False
            return services.prefs_of(session, recipient).email

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        from app.push import services, texts

        confirm_link = None
        # A drill's messages are type "test" too, but they are written like the alerts they rehearse.
        own_test = services.is_own_test(message.type, message.payload)
        kind = "test" if own_test else ("alert" if message.type == "test" else message.type)
        if kind == "test":
            token = services.confirm_token(current_app.secret_key, message.recipient_id, "email", message.email)
            confirm_link = public_link(self.config, f"/push/confirm/{token}")
        payload = message.payload
        mail = EmailMessage()
        mail["Subject"] = texts.email_subject(message.locale, kind, payload.get("title", ""))
        mail["From"] = self.config.get("SMTP_FROM") or "Makker <makker@makker.invalid>"
        mail["To"] = formataddr((message.recipient_name, message.email))
        mail["Message-ID"] = make_msgid(idstring=message.notification_id[:8], domain="makker.invalid")
        mail["X-Makker-Notification"] = message.notification_id
        if message.urgent:
            mail["Importance"] = "high"
            mail["X-Priority"] = "1"
        mail.set_content(texts.email_body(
            message.locale, kind, payload.get("title", ""), payload.get("body", ""),
            public_link(self.config, payload.get("url")), confirm_link,
        ))
        return mail

    def send(self, message: OutgoingMessage) -> list[SendResult]:
        from app.extensions import db
        from app.notify.outbox import backoff
        from app.push import services, texts

        session = db.session
        try:
            if services.duress_to_worker(session, message.alert_id, message.recipient_id):
                return [SendResult(ok=False, detail="refused: a duress alarm is never sent to the worker")]
        finally:
            session.rollback()
        mail = self.compose(message)
        if not self.smtp_configured:
            return [self._keep(session, message, mail)]
        try:
            with smtplib.SMTP(self.config["SMTP_HOST"], int(self.config.get("SMTP_PORT") or 587),
                              timeout=TIMEOUT) as smtp:
                if self.config.get("SMTP_STARTTLS", True):
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.get("SMTP_USER"):
                    smtp.login(self.config["SMTP_USER"], self.config.get("SMTP_PASSWORD") or "")
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            temporary = 400 <= exc.smtp_code < 500
            return [SendResult(ok=False, status=exc.smtp_code, detail=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:500],
                               retry_after=backoff(message.attempt) if temporary else None)]
        except smtplib.SMTPRecipientsRefused as exc:
            return [SendResult(ok=False, detail=f"SMTP refused the address: {list(exc.recipients.values())!r}"[:500])]
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return [SendResult(ok=False, detail=f"SMTP: {type(exc).__name__}: {exc}"[:500],
                               retry_after=backoff(message.attempt))]
        return [SendResult(ok=True, status=250, detail=texts.email_sent(message.locale, message.email))]

    def _keep(self, session, message: OutgoingMessage, mail: EmailMessage) -> SendResult:
        from app.models import MailSinkMessage
        from app.push import texts

        clock = current_app.extensions["makker.clock"]
        body = mail.get_content()  # as_string() would deep-copy the message: 10 ms for a size
        # Stored by the dispatcher in its one transaction with the delivery records: a write per
        # message from each send thread would serialise on the database.
        row = MailSinkMessage(
            created_at=clock.now(), notification_id=message.notification_id, recipient_id=message.recipient_id,
            to_addr=message.email, subject=str(mail["Subject"])[:300], body=body, size=len(body.encode()),
        )
        return SendResult(ok=True, detail=texts.email_kept(message.locale, message.email), rows=[row])
