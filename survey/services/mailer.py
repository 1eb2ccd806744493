"""Delivering an outbox email over SMTP with the standard library."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from survey.models import OutboxEmail


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail over; built from FEEDLOOP_SMTP_* settings."""

    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    ssl: bool
    timeout: float
    sender: str


def smtp_settings(config: Any) -> SmtpSettings | None:
    """None when FEEDLOOP_SMTP_HOST is unset: development, where the outbox page is the only delivery."""
    host = config.get("SMTP_HOST")
    if not host:
        return None
    use_ssl = bool(config.get("SMTP_SSL"))
    return SmtpSettings(
        host=str(host),
        port=int(config.get("SMTP_PORT") or (465 if use_ssl else 25)),
        username=config.get("SMTP_USERNAME") or None,
        password=config.get("SMTP_PASSWORD") or None,
        starttls=bool(config.get("SMTP_STARTTLS")),
        ssl=use_ssl,
        timeout=float(config.get("SMTP_TIMEOUT") or 15),
        sender=str(config.get("MAIL_FROM") or "Feedloop <surveys@localhost>"),
    )


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    """A multipart/alternative message (text and HTML) with a stable Message-ID per outbox row."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = email.to_email
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = email.message_id or make_msgid(idstring=f"outbox-{email.id}", domain=domain)
    message["Content-Language"] = email.locale
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    return message


def deliver(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises on any refusal so the job is retried."""
    if settings.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.starttls and not settings.ssl:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
        refused = client.send_message(message)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
