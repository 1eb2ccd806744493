"""Who gets asked when: segments for bulk sends, relationship programmes spread over their period.

A relationship survey asks every eligible contact of active accounts once per `recurrence_days`. Each
contact has a fixed offset inside the period (a hash of survey and contact), so sends spread evenly over the
period instead of arriving in one burst, and stay put when contacts are added. A contact is due once the
current cycle has reached their offset and no email of this survey went to them in this cycle; the fatigue
rule can still hold them back (they are retried on later ticks of the same cycle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Account, Contact, OutboxEmail, Survey, User

# ARR bands an admin can pick for a bulk send: label -> [low, high) in whole currency units.
ARR_BANDS: dict[str, tuple[int, int | None]] = {
    "under-10k": (0, 10_000),
    "10k-50k": (10_000, 50_000),
    "50k-100k": (50_000, 100_000),
    "100k-plus": (100_000, None),
}


class SegmentError(ValueError):
    """A segment filter that does not exist."""


@dataclass(frozen=True)
class Segment:
    """Filters for a bulk send; None means 'any'."""

    plan: str | None = None
    arr_band: str | None = None
    owner_id: int | None = None


@dataclass(frozen=True)
class SegmentPreview:
    """How many contacts match, and how many of them the fatigue rule lets us ask now."""

    matching: int
    eligible: int


def parse_segment(plan: str | None, arr_band: str | None, owner: str | None) -> Segment:
    """Validate the admin's segment choice."""
    if arr_band and arr_band not in ARR_BANDS:
        raise SegmentError(f"Unknown ARR band {arr_band!r}; choose one of {', '.join(ARR_BANDS)}.")
    owner_id = None
    if owner:
        if not owner.isdigit():
            raise SegmentError("The account owner must be chosen from the list.")
        owner_id = int(owner)
    return Segment(plan=plan or None, arr_band=arr_band or None, owner_id=owner_id)


def _contacts_query(segment: Segment) -> Select[tuple[Contact]]:
    query = (
        select(Contact)
        .join(Account, Account.id == Contact.account_id)
        .where(Account.active.is_(True), Contact.unsubscribed.is_(False))
    )
    if segment.plan:
        query = query.where(Account.plan == segment.plan)
    if segment.arr_band:
        low, high = ARR_BANDS[segment.arr_band]
        query = query.where(Account.arr >= low)
        if high is not None:
            query = query.where(Account.arr < high)
    if segment.owner_id is not None:
        query = query.where(Account.owner_id == segment.owner_id)
    return query.order_by(Contact.id)


def segment_contacts(session: Session, segment: Segment) -> Sequence[Contact]:
    """Contacts of active accounts in the segment who have not unsubscribed."""
    return session.scalars(_contacts_query(segment)).all()


def preview(
    session: Session, segment: Segment, fatigue_days: int, now: datetime | None = None
) -> SegmentPreview:
    """Counts for the bulk-send form, before anything is sent."""
    cutoff = (now or utcnow()) - timedelta(days=fatigue_days)
    contacts = segment_contacts(session, segment)
    eligible = sum(1 for c in contacts if c.last_asked_at is None or c.last_asked_at <= cutoff)
    return SegmentPreview(matching=len(contacts), eligible=eligible)


def segment_choices(session: Session) -> tuple[list[str], list[User]]:
    """Plans in use and staff who own accounts, for the segment pickers."""
    plans = [
        p for p in session.scalars(select(Account.plan).where(Account.plan.is_not(None)).distinct()) if p
    ]
    owners = session.scalars(
        select(User).where(User.id.in_(select(Account.owner_id))).order_by(User.name)
    ).all()
    return sorted(plans), list(owners)


def period_offset(survey_id: int, contact_id: int, period_seconds: int) -> int:
    """The contact's fixed place inside the survey's period, uniform over [0, period)."""
    digest = hashlib.sha256(f"{survey_id}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % max(period_seconds, 1)


def cycle_start(survey: Survey, now: datetime) -> datetime | None:
    """Start of the relationship programme's current cycle (None when it is not running)."""
    if (
        survey.programme != "relationship"
        or not survey.recurrence_days
        or survey.programme_started_at is None
    ):
        return None
    period = timedelta(days=survey.recurrence_days)
    if now < survey.programme_started_at:
        return None
    cycles = (now - survey.programme_started_at) // period
    return survey.programme_started_at + cycles * period


def relationship_due(session: Session, survey: Survey, now: datetime | None = None) -> list[Contact]:
    """Contacts whose turn in the current cycle has come and who got no email of this survey in it."""
    now = now or utcnow()
    start = cycle_start(survey, now)
    if start is None or survey.status != "active" or "email" not in (survey.channels or []):
        return []
    assert survey.recurrence_days is not None
    period = int(timedelta(days=survey.recurrence_days).total_seconds())
    elapsed = int((now - start).total_seconds())
    already = exists().where(
        and_(
            OutboxEmail.survey_id == survey.id,
            OutboxEmail.contact_id == Contact.id,
            OutboxEmail.created_at >= start,
        )
    )
    candidates = session.scalars(_contacts_query(Segment()).where(~already)).all()
    return [c for c in candidates if period_offset(survey.id, c.id, period) <= elapsed]


def running_relationship_surveys(session: Session) -> Sequence[Survey]:
    """Active relationship surveys whose programme has started."""
    return session.scalars(
        select(Survey).where(
            Survey.status == "active",
            Survey.programme == "relationship",
            Survey.programme_started_at.is_not(None),
            Survey.recurrence_days.is_not(None),
        )
    ).all()
