"""What advocacy brings: CS-qualified advocates per CSM and segment, conversion, revenue, leaderboards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from survey.database import utcnow
from survey.models import (
    AdvocacyActivity,
    AdvocacyInvite,
    Advocate,
    AdvocateFlag,
    ChampionMove,
    User,
)
from survey.services.advocacy import ASKS, TYPE_LABELS

SENT_STATUSES = ("sent", "accepted", "declined", "completed", "expired")
ACCEPTED_STATUSES = ("accepted", "completed")
UNASSIGNED = "No CSM"


def month_labels(now: datetime, months: int) -> list[str]:
    """'2025-01'... for the last `months` months, oldest first."""
    labels = []
    year, month = now.year, now.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return labels[::-1]


def csqa_over_time(session: Session, months: int = 6, now: datetime | None = None) -> dict[str, Any]:
    """CS-qualified advocates created per month, one series per CSM and one per segment."""
    now = now or utcnow()
    labels = month_labels(now, months)
    names = dict(session.execute(select(User.id, User.name)).all())
    by_csm: dict[str, list[int]] = defaultdict(lambda: [0] * months)
    by_segment: dict[str, list[int]] = defaultdict(lambda: [0] * months)
    for csm_id, segment, created in session.execute(
        select(Advocate.csm_id, Advocate.segment, Advocate.created_at)
    ):
        key = f"{created.year:04d}-{created.month:02d}"
        if key not in labels:
            continue
        i = labels.index(key)
        by_csm[names.get(csm_id, UNASSIGNED) if csm_id else UNASSIGNED][i] += 1
        by_segment[segment or "No segment"][i] += 1
    pretty = [datetime.strptime(label, "%Y-%m").strftime("%b %Y") for label in labels]
    return {
        "labels": pretty,
        "by_csm": [{"label": k, "data": v} for k, v in sorted(by_csm.items())],
        "by_segment": [{"label": k, "data": v} for k, v in sorted(by_segment.items())],
    }


@dataclass
class CsmRow:
    """One line of the CSQA leaderboard."""

    name: str
    advocates: int
    last_90_days: int
    acts: int
    won_revenue: int


def csm_leaderboard(session: Session, now: datetime | None = None) -> list[CsmRow]:
    """CSMs by the advocates their customers became, then by what those advocates did."""
    now = now or utcnow()
    since = now - timedelta(days=90)
    names = dict(session.execute(select(User.id, User.name)).all())
    rows: dict[int | None, CsmRow] = {}
    for csm_id, created in session.execute(select(Advocate.csm_id, Advocate.created_at)):
        row = rows.setdefault(
            csm_id, CsmRow(names.get(csm_id, UNASSIGNED) if csm_id else UNASSIGNED, 0, 0, 0, 0)
        )
        row.advocates += 1
        row.last_90_days += created >= since
    for csm_id, acts, won in session.execute(
        select(
            Advocate.csm_id,
            func.count(AdvocacyActivity.id),
            func.coalesce(func.sum(AdvocacyActivity.won_revenue), 0),
        )
        .join(Advocate, Advocate.id == AdvocacyActivity.advocate_id)
        .group_by(Advocate.csm_id)
    ):
        row = rows.setdefault(
            csm_id, CsmRow(names.get(csm_id, UNASSIGNED) if csm_id else UNASSIGNED, 0, 0, 0, 0)
        )
        row.acts, row.won_revenue = int(acts), int(won)
    return sorted(rows.values(), key=lambda r: (-r.advocates, -r.acts, r.name))


def segment_totals(session: Session) -> list[tuple[str, int]]:
    """CSQAs per segment, largest first."""
    rows = session.execute(select(Advocate.segment, func.count(Advocate.id)).group_by(Advocate.segment)).all()
    return sorted(((s or "No segment", int(n)) for s, n in rows), key=lambda r: -r[1])


@dataclass
class ConversionRow:
    """Sent, accepted and completed invites for one ask type or advocate type."""

    key: str
    label: str
    sent: int
    accepted: int
    completed: int

    @property
    def rate(self) -> float | None:
        """Accepted (or completed) per sent invite."""
        return None if not self.sent else self.accepted / self.sent


def conversion(session: Session) -> dict[str, list[ConversionRow]]:
    """Invite conversion by ask type and by advocate type (only invites that were actually sent count)."""
    out: dict[str, list[ConversionRow]] = {}
    for name, column, labels in (
        ("by_ask", AdvocacyInvite.ask_type, {k: v[0] for k, v in ASKS.items()}),
        ("by_type", AdvocacyInvite.advocate_type, TYPE_LABELS),
    ):
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for key, status, n in session.execute(
            select(column, AdvocacyInvite.status, func.count(AdvocacyInvite.id))
            .where(AdvocacyInvite.status.in_(SENT_STATUSES))
            .group_by(column, AdvocacyInvite.status)
        ):
            c = counts[key or "unknown"]
            c[0] += n
            if status in ACCEPTED_STATUSES:
                c[1] += n
            if status == "completed":
                c[2] += n
        names = {**labels, "unknown": "Not yet typed (review campaign)"}
        out[name] = sorted(
            (ConversionRow(k, names.get(k, k.replace("_", " ").capitalize()), *v) for k, v in counts.items()),
            key=lambda r: (-r.sent, r.label),
        )
    return out


def referral_totals(session: Session) -> dict[str, int]:
    """Referrals recorded, the pipeline they opened and the revenue they won."""
    count, pipeline, won, wins = session.execute(
        select(
            func.count(AdvocacyActivity.id),
            func.coalesce(func.sum(AdvocacyActivity.pipeline_value), 0),
            func.coalesce(func.sum(AdvocacyActivity.won_revenue), 0),
            func.count(AdvocacyActivity.id).filter(AdvocacyActivity.won_revenue > 0),
        ).where(AdvocacyActivity.activity_type.in_(("referral", "new_company_deal")))
    ).one()
    return {"referrals": int(count), "pipeline": int(pipeline), "won": int(won), "wins": int(wins)}


@dataclass
class AdvocateRow:
    """One line of the advocate points leaderboard."""

    advocate: Advocate
    points: int
    acts: int
    won_revenue: int


def advocate_leaderboard(session: Session, limit: int = 10) -> list[AdvocateRow]:
    """Advocates by points earned for completed acts."""
    rows = session.execute(
        select(
            AdvocacyActivity.advocate_id,
            func.sum(AdvocacyActivity.points),
            func.count(AdvocacyActivity.id),
            func.coalesce(func.sum(AdvocacyActivity.won_revenue), 0),
        )
        .where(AdvocacyActivity.advocate_id.is_not(None))
        .group_by(AdvocacyActivity.advocate_id)
        .order_by(func.sum(AdvocacyActivity.points).desc(), AdvocacyActivity.advocate_id)
        .limit(limit)
    ).all()
    advocates = {
        a.id: a
        for a in session.scalars(
            select(Advocate)
            .options(joinedload(Advocate.contact), joinedload(Advocate.account))
            .where(Advocate.id.in_([r[0] for r in rows]))
        )
    }
    return [AdvocateRow(advocates[a], int(p), int(n), int(w)) for a, p, n, w in rows if a in advocates]


def second_order(session: Session) -> dict[str, Any]:
    """Customers won through champions who moved: deals at their new company and their later referrals."""
    moves = session.execute(select(ChampionMove.id, ChampionMove.contact_id, ChampionMove.detected_at)).all()
    moved_since = {}
    for _id, contact_id, at in moves:
        moved_since[contact_id] = min(at, moved_since.get(contact_id, at))
    customers: set[str] = set()
    revenue = 0
    for act in session.scalars(select(AdvocacyActivity).where(AdvocacyActivity.won_revenue > 0)):
        moved_at = moved_since.get(act.contact_id)
        from_move = act.champion_move_id is not None
        later_referral = (
            act.activity_type == "referral" and moved_at is not None and act.occurred_on >= moved_at.date()
        )
        if from_move or later_referral:
            name = act.referred_company or (act.champion_move.new_company if act.champion_move else None)
            customers.add(name or f"deal {act.id}")
            revenue += act.won_revenue
    return {"moves": len(moves), "customers": len(customers), "revenue": revenue, "names": sorted(customers)}


def hub_stats(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The numbers the hub opens with."""
    now = now or utcnow()
    open_flags = AdvocateFlag.dismissed_at.is_(None)
    kinds = dict(
        session.execute(
            select(AdvocateFlag.kind, func.count(AdvocateFlag.id))
            .where(open_flags)
            .group_by(AdvocateFlag.kind)
        ).all()
    )
    sent = (
        session.scalar(select(func.count(AdvocacyInvite.id)).where(AdvocacyInvite.status.in_(SENT_STATUSES)))
        or 0
    )
    accepted = (
        session.scalar(
            select(func.count(AdvocacyInvite.id)).where(AdvocacyInvite.status.in_(ACCEPTED_STATUSES))
        )
        or 0
    )
    referral = referral_totals(session)
    return {
        "advocates": session.scalar(select(func.count(Advocate.id))) or 0,
        "new_advocates_30d": session.scalar(
            select(func.count(Advocate.id)).where(Advocate.created_at >= now - timedelta(days=30))
        )
        or 0,
        "unsolicited": kinds.get("unsolicited_praise", 0),
        "flags": sum(kinds.values()),
        "to_review": session.scalar(
            select(func.count(AdvocacyInvite.id)).where(AdvocacyInvite.status.in_(("drafted", "approved")))
        )
        or 0,
        "conversion": None if not sent else accepted / sent,
        "sent": sent,
        "pipeline": referral["pipeline"],
        "won": referral["won"],
        "moves_new": session.scalar(select(func.count(ChampionMove.id)).where(ChampionMove.status == "new"))
        or 0,
    }
