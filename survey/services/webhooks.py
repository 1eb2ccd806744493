"""Outgoing webhooks: queue deliveries for subscribers, sign them, and send them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from functools import cache
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.cache import RowCache
from survey.database import utcnow
from survey.models import WebhookDelivery, WebhookEndpoint
from survey.models.integrations import WEBHOOK_EVENTS

USER_AGENT = "Feedloop-Webhooks/1"
PENDING_KEY = "webhook_deliveries_to_enqueue"


class WebhookError(ValueError):
    """An endpoint that cannot be registered, with the reason."""


class DeliveryFailed(RuntimeError):
    """The receiver did not accept the delivery; raised so RQ retries with backoff."""


def register_endpoint(session: Session, url: str, events: list[str], fmt: str = "json",
                      description: str = "") -> WebhookEndpoint:
    """Add an endpoint after checking the URL, the events and the format; the secret is generated."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise WebhookError("url must be an absolute http(s) URL.")
    if len(url) > 2000:
        raise WebhookError("url is longer than 2000 characters.")
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if not events or unknown:
        raise WebhookError(f"choose events among {', '.join(WEBHOOK_EVENTS)}" + (f" (unknown: {', '.join(unknown)})"
                                                                               if unknown else ""))
    if fmt not in ("json", "slack"):
        raise WebhookError("format must be json or slack.")
    endpoint = WebhookEndpoint(url=url.strip(), events=sorted(set(events)), format=fmt,
                               secret=secrets.token_hex(24), description=description[:200])
    session.add(endpoint)
    session.flush()
    return endpoint


# Whether any endpoint is active: every submission asks, and most installations have none. Only "none" is
# trusted from the cache; otherwise the endpoints are read, so a deleted one is never written to.
_any_active: RowCache[bool] = RowCache(WebhookEndpoint)


@cache
def _active_endpoints() -> Any:
    """Built once: emit runs on every submission, and building a statement costs more than the cached check."""
    return select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))


def emit(session: Session, event: str, payload: dict[str, Any]) -> list[int]:
    """Create a pending delivery per subscribed endpoint; the caller commits, then enqueues the ids."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    active = _active_endpoints()
    if not _any_active.get(id(session.get_bind()),
                           lambda: session.scalar(select(active.exists())) or False):
        return []
    subscriptions = [(endpoint.id, endpoint.events) for endpoint in session.scalars(active)]
    ids = []
    for endpoint_id, events in subscriptions:
        if event in events:
            delivery = WebhookDelivery(endpoint_id=endpoint_id, event=event, payload=payload)
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
    # Enqueued by the after-commit hook (workers.webhook_jobs.install): commit first, then enqueue.
    session.info.setdefault(PENDING_KEY, []).extend(ids)
    return ids


def replay(session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    """A fresh delivery of the same event and payload (the original stays in the log)."""
    copy = WebhookDelivery(endpoint_id=delivery.endpoint_id, event=delivery.event, payload=delivery.payload,
                           replay_of_id=delivery.id)
    session.add(copy)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(copy.id)
    return copy


def pending_deliveries(session: Session, older_than_seconds: int, limit: int = 1000) -> list[int]:
    """Deliveries never attempted (Redis was down when they were emitted), for the sweeper."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.attempts == 0,
               WebhookDelivery.created_at <= cutoff)
        .order_by(WebhookDelivery.id).limit(limit)
    ))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp stops replays of captured requests."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, tolerance_s: int = 300, now: int | None = None) -> bool:
    """What a receiver does: recompute the signature and refuse stale timestamps."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def render_body(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> bytes:
    """The JSON envelope, or a Slack-compatible `{"text": ...}` message."""
    if endpoint.format == "slack":
        return json.dumps({"text": slack_text(delivery.event, delivery.payload)}).encode()
    envelope = {"id": delivery.id, "event": delivery.event, "created_at": delivery.created_at.isoformat() + "Z",
                "data": delivery.payload}
    return json.dumps(envelope, sort_keys=True).encode()


def slack_text(event: str, payload: dict[str, Any]) -> str:
    """One readable line per event for a Slack channel."""
    summary = payload.get("summary") or ", ".join(f"{k}={v}" for k, v in sorted(payload.items())[:6])
    return f"*Feedloop* · `{event}` · {summary}"


def deliver(session: Session, delivery: WebhookDelivery, timeout_s: float = 10.0) -> None:
    """POST the delivery; records the attempt and raises DeliveryFailed on anything but 2xx."""
    endpoint = delivery.endpoint
    body = render_body(endpoint, delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Feedloop-Event": delivery.event,
            "X-Feedloop-Delivery": str(delivery.id),
            "X-Feedloop-Signature": sign(endpoint.secret, timestamp, body),
        },
    )
    delivery.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:  # noqa: S310 (admin-configured http(s) URL)
            delivery.last_status_code = resp.status
    except urllib.error.HTTPError as exc:
        delivery.last_status_code = exc.code
        delivery.last_error = f"HTTP {exc.code}"
        delivery.status = "failed"
        session.flush()
        raise DeliveryFailed(f"{endpoint.url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        delivery.last_status_code = None
        delivery.last_error = str(getattr(exc, "reason", exc))[:500]
        delivery.status = "failed"
        session.flush()
        raise DeliveryFailed(f"{endpoint.url} unreachable: {delivery.last_error}") from None
    delivery.status = "delivered"
    delivery.last_error = None
    delivery.delivered_at = utcnow()
    session.flush()
