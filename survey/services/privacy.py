"""Data-protection requests: export everything held about a contact, erase a contact, enforce retention."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.orm import Session

from survey.database import Base, utcnow
from survey.models import (
    AdvocacyInvite,
    AdvocateFlag,
    Analysis,
    AuditEvent,
    Contact,
    HumanLabel,
    RecoveryTask,
    Response,
    Verbatim,
    VerbatimEmbedding,
    WebhookDelivery,
)

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<!\w)(\+?\d[\d ()./-]{7,}\d)(?!\w)")
REDACTED = "[redacted]"
ERASE_MODES = ("anonymise", "delete")


class PrivacyError(ValueError):
    """A request that cannot be carried out, with the reason."""


def _row(obj: Any) -> dict[str, Any]:
    """Every column of a row, JSON-ready."""
    out = {}
    for attr in inspect(obj).mapper.column_attrs:
        value = getattr(obj, attr.key)
        if isinstance(value, bytes):
            continue
        out[attr.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def export_contact(session: Session, contact: Contact) -> dict[str, Any]:
    """Everything Feedloop holds about one person, as one JSON document (subject access request)."""
    verbatims = list(session.scalars(select(Verbatim).where(Verbatim.contact_id == contact.id)))
    vids = [v.id for v in verbatims]
    doc: dict[str, Any] = {
        "exported_at": utcnow().isoformat() + "Z",
        "contact": _row(contact),
        "account": _row(contact.account) if contact.account else None,
        "responses": [_row(r) for r in session.scalars(select(Response).where(Response.contact_id == contact.id))],
        "verbatims": [
            {**_row(v), "analyses": [_row(a) for a in session.scalars(
                select(Analysis).where(Analysis.verbatim_id == v.id))]}
            for v in verbatims
        ],
        "recovery_tasks": [
            {**_row(t), "timeline": [_row(e) for e in t.events]}
            for t in session.scalars(select(RecoveryTask).where(RecoveryTask.contact_id == contact.id))
        ],
        "advocate_flags": [_row(f) for f in session.scalars(select(AdvocateFlag).where(
            AdvocateFlag.contact_id == contact.id))],
        "advocacy_invites": [_row(i) for i in session.scalars(select(AdvocacyInvite).where(
            AdvocacyInvite.contact_id == contact.id))],
        "corrections": [_row(h) for h in session.scalars(select(HumanLabel).where(
            HumanLabel.verbatim_id.in_(vids)))] if vids else [],
    }
    # Tables added by other features that point at contacts (outbox emails, advocacy activities, ...).
    known = {"responses", "verbatims", "recovery_tasks", "advocate_flags", "advocacy_invites"}
    for table_name, rows in _other_contact_rows(session, contact.id, known).items():
        doc[table_name] = rows
    return doc


def _contact_fk_tables(known: set[str]) -> list[Any]:
    return [
        table for table in Base.metadata.sorted_tables
        if table.name not in known and table.name != "contacts"
        and any(fk.column.table.name == "contacts" for col in table.columns for fk in col.foreign_keys)
    ]


def _other_contact_rows(session: Session, contact_id: int, known: set[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for table in _contact_fk_tables(known):
        cols = [c for c in table.columns if any(fk.column.table.name == "contacts" for fk in c.foreign_keys)]
        rows = session.execute(select(table).where(or_(*[c == contact_id for c in cols]))).mappings().all()
        out[table.name] = [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items() if not isinstance(v, bytes)}
            for row in rows
        ]
    return out


def redact(text: str, names: list[str]) -> str:
    """Remove emails, phone numbers and the given names from free text."""
    text = EMAIL_RE.sub(REDACTED, text)
    text = PHONE_RE.sub(REDACTED, text)
    for name in sorted({n for n in names if n and len(n) > 1}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", REDACTED, text, flags=re.IGNORECASE)
    return text


@dataclass
class ErasureReport:
    """What an erasure removed (counts only: the report itself must hold no personal data)."""

    verbatims_deleted: int = 0
    verbatims_anonymised: int = 0
    responses_detached: int = 0
    invites_deleted: int = 0
    webhook_deliveries_deleted: int = 0
    other_rows: dict[str, int] = field(default_factory=dict)
    requeue_verbatim_ids: list[int] = field(default_factory=list)


def erase_contact(session: Session, contact: Contact, mode: str = "anonymise") -> ErasureReport:
    """Remove a person: personal data gone, their text deleted or anonymised, derived data deleted."""
    if mode not in ERASE_MODES:
        raise PrivacyError(f"mode must be one of {', '.join(ERASE_MODES)}.")
    report = ErasureReport()
    names = _name_variants(contact)
    verbatims = list(session.scalars(select(Verbatim).where(Verbatim.contact_id == contact.id)))
    vids = [v.id for v in verbatims]
    response_ids = list(session.scalars(select(Response.id).where(Response.contact_id == contact.id)))

    report.webhook_deliveries_deleted = _delete_webhook_payloads(session, contact.id, vids, response_ids)
    if vids:
        # Analyses and embeddings are derived from the text: they go in both modes.
        session.execute(delete(Analysis).where(Analysis.verbatim_id.in_(vids)))
        session.execute(delete(VerbatimEmbedding).where(VerbatimEmbedding.verbatim_id.in_(vids)))
    for verbatim in verbatims:
        if mode == "delete":
            session.delete(verbatim)
            report.verbatims_deleted += 1
        else:
            verbatim.text = redact(verbatim.text, names)
            verbatim.contact_id = None
            verbatim.external_id = None
            verbatim.analysis_status = "pending"
            verbatim.analysis_attempts = 0  # the redacted text is a new reading
            verbatim.action_status = None
            verbatim.claim_token = None
            report.verbatims_anonymised += 1
            report.requeue_verbatim_ids.append(verbatim.id)
    report.invites_deleted = session.execute(
        delete(AdvocacyInvite).where(AdvocacyInvite.contact_id == contact.id)).rowcount or 0
    for task in session.scalars(select(RecoveryTask).where(RecoveryTask.contact_id == contact.id)):
        for event in task.events:
            if event.body:
                event.body = redact(event.body, names)
        task.contact_id = None
    report.responses_detached = session.execute(
        update(Response).where(Response.contact_id == contact.id).values(contact_id=None, locale=None)
    ).rowcount or 0
    report.other_rows = _erase_other_rows(session, contact, names)
    session.flush()
    report.other_rows.update(_scrub_everywhere(session, _specific_identifiers(contact)))
    session.delete(contact)
    session.flush()
    return report


def _name_variants(contact: Contact) -> list[str]:
    """The full name, its parts and the email's local part: what may appear in text about them."""
    names = [contact.email, contact.email.split("@")[0]]
    if contact.name:
        names.append(contact.name)
        names.extend(part for part in contact.name.split() if len(part) > 2)
    return names


def _specific_identifiers(contact: Contact) -> list[str]:
    """Identifiers specific enough to redact anywhere in the database (not bare first names)."""
    ids = [contact.email, contact.email.split("@")[0]]
    if contact.name and len(contact.name.split()) > 1:
        ids.append(contact.name)
    return [i for i in ids if len(i) >= 5]


# Tables whose text about the person is handled above, or that hold no free text about customers.
_SCRUB_SKIP = {"verbatims", "analyses", "verbatim_embeddings", "model_versions", "contacts", "alembic_version"}


def _scrub_everywhere(session: Session, identifiers: list[str]) -> dict[str, int]:
    """Redact the person's name and email wherever else they were copied: emails sent, notes, audit details."""
    from sqlalchemy import JSON, String, Text, cast, func

    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in _SCRUB_SKIP:
            continue
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            continue
        for column in table.columns:
            if column.primary_key or not isinstance(column.type, (String, Text, JSON)):
                continue
            as_text = func.lower(cast(column, Text))
            matches = session.execute(
                select(pk[0], column).where(or_(*[as_text.like(f"%{i.lower()}%") for i in identifiers]))
            ).all()
            for key, value in matches:
                session.execute(update(table).where(pk[0] == key).values({column.name: _redact_value(value,
                                                                                                   identifiers)}))
            if matches:
                counts[f"{table.name}.{column.name}"] = len(matches)
    return counts


def _redact_value(value: Any, identifiers: list[str]) -> Any:
    """Redact strings inside any JSON-like value."""
    if isinstance(value, str):
        return redact(value, identifiers)
    if isinstance(value, list):
        return [_redact_value(v, identifiers) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v, identifiers) for k, v in value.items()}
    return value


def _delete_webhook_payloads(session: Session, contact_id: int, vids: list[int], rids: list[int]) -> int:
    """Webhook payloads copy answers and comments: delete the ones about this person."""
    doomed = [
        d.id for d in session.scalars(select(WebhookDelivery))
        if d.payload.get("contact_id") == contact_id or d.payload.get("verbatim_id") in vids
        or d.payload.get("response_id") in rids
    ]
    if doomed:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.replay_of_id.in_(doomed))
                        .values(replay_of_id=None))
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(doomed)))
    return len(doomed)


def _erase_other_rows(session: Session, contact: Contact, names: list[str]) -> dict[str, int]:
    """Rows of other features that point at the contact are deleted: they exist only because of them."""
    counts: dict[str, int] = {}
    known = {"responses", "verbatims", "recovery_tasks", "advocate_flags", "advocacy_invites"}
    for table in _contact_fk_tables(known):
        cols = [c for c in table.columns if any(fk.column.table.name == "contacts" for fk in c.foreign_keys)]
        result = session.execute(delete(table).where(or_(*[c == contact.id for c in cols])))
        if result.rowcount:
            counts[table.name] = result.rowcount
    return counts


def retention_cutoff(months: int, now: datetime | None = None) -> datetime:
    """The moment before which verbatims fall under the retention rule (30-day months)."""
    return (now or utcnow()) - timedelta(days=30 * months)


def apply_retention(session: Session, months: int, mode: str, limit: int = 5000,
                    now: datetime | None = None) -> int:
    """Delete or anonymise verbatims older than the retention period, a chunk at a time."""
    if months < 1:
        raise PrivacyError("retention must be at least one month.")
    if mode not in ERASE_MODES:
        raise PrivacyError(f"mode must be one of {', '.join(ERASE_MODES)}.")
    cutoff = retention_cutoff(months, now)
    query = select(Verbatim).where(Verbatim.created_at < cutoff).order_by(Verbatim.id).limit(limit)
    if mode == "anonymise":
        query = query.where(Verbatim.contact_id.is_not(None) | (Verbatim.text != REDACTED))
    verbatims = list(session.scalars(query))
    if not verbatims:
        return 0
    ids = [v.id for v in verbatims]
    session.execute(delete(VerbatimEmbedding).where(VerbatimEmbedding.verbatim_id.in_(ids)))
    if mode == "anonymise":
        for analysis in session.scalars(select(Analysis).where(Analysis.verbatim_id.in_(ids))):
            scrub_analysis(analysis)
    for verbatim in verbatims:
        if mode == "delete":
            session.delete(verbatim)
        else:
            # Old text is dropped entirely; the analysis (categories, sentiment) stays for trend charts.
            verbatim.text = REDACTED
            verbatim.contact_id = None
            verbatim.external_id = None
    session.flush()
    return len(verbatims)


def scrub_analysis(analysis: Analysis) -> None:
    """Keep an analysis's conclusions but drop every quoted span and name it holds."""
    analysis.categories = [{**c, "evidence": None} for c in analysis.categories]
    analysis.clauses = []
    analysis.evidence = {}
    analysis.people = []


def audit_erasure(session: Session, contact_id: int, report: ErasureReport, actor: Any, mode: str) -> AuditEvent:
    """The audit entry keeps the fact and the counts, never the person's data."""
    from survey.services.audit import record

    return record(session, "contact_erased", actor=actor, target_type="contact", target_id=contact_id,
                  details={"mode": mode, "verbatims_deleted": report.verbatims_deleted,
                           "verbatims_anonymised": report.verbatims_anonymised,
                           "responses_detached": report.responses_detached,
                           "invites_deleted": report.invites_deleted,
                           "webhook_deliveries_deleted": report.webhook_deliveries_deleted,
                           "other_rows": report.other_rows})
