"""Recording sensitive actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import AuditEvent, User


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    target_type: str | None = None,
    target_id: Any = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event (flushed with the caller's transaction)."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_label=actor_label or (actor.email if actor else "system"),
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        ip=ip,
        details=details or {},
    )
    session.add(event)
    return event
