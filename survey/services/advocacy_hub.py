"""Read-only queries behind the advocate hub's lists (one query per kind of row, no N+1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from survey.models import (
    Account,
    AdvocacyActivity,
    AdvocacyInvite,
    Advocate,
    AdvocateFlag,
    Analysis,
    ChampionMove,
    Contact,
    PraiseNotice,
    Response,
    Verbatim,
)
from survey.services.advocacy import (
    PENDING_INVITE_STATUSES,
    praise_spans,
    praised_people,
    quote_pieces,
)
from survey.services.fatigue import next_ask_at

FLAG_KINDS = ("promoter_praise", "unsolicited_praise", "referral")
TARGETS = ("product", "support", "person", "company")
INVITE_TABS = {
    "review": ("Ready to review", ("drafted", "approved")),
    "on_hold": ("On hold", ("on_hold",)),
    "sent": ("Waiting for answer", ("sent",)),
    "accepted": ("Accepted", ("accepted",)),
    "done": ("Completed", ("completed",)),
    "closed": ("Declined or expired", ("declined", "expired")),
}
PAGE = 100


@dataclass
class FlagRow:
    """A flagged verbatim with everything the hub shows next to it."""

    flag: AdvocateFlag
    verbatim: Verbatim
    analysis: Analysis | None
    pieces: list[tuple[str, bool]]
    people: list[str]
    advocate: Advocate | None
    invite: AdvocacyInvite | None
    score: int | None
    next_ask: datetime | None

    @property
    def consent(self) -> str:
        """granted, none, unsubscribed or anonymous."""
        contact = self.flag.contact
        if contact is None:
            return "anonymous"
        if contact.unsubscribed:
            return "unsubscribed"
        return "granted" if contact.marketing_consent else "none"

    @property
    def target_labels(self) -> list[str]:
        """'product', 'support', 'Sam (person)'..."""
        out = []
        for target in self.flag.praise_targets or []:
            if target == "person" and self.people:
                out.extend(self.people)
            else:
                out.append(target)
        return out


def _latest_analyses(session: Session, verbatim_ids: list[int]) -> dict[int, Analysis]:
    out: dict[int, Analysis] = {}
    if verbatim_ids:
        for a in session.scalars(
            select(Analysis).where(Analysis.verbatim_id.in_(verbatim_ids)).order_by(Analysis.id)
        ):
            out[a.verbatim_id] = a
    return out


def flag_rows(
    session: Session,
    *,
    kind: str | None = None,
    target: str | None = None,
    query: str | None = None,
    budget_days: int = 30,
    flag_ids: list[int] | None = None,
) -> list[FlagRow]:
    """Flags newest first, filtered by kind, praise target or a name/company/text search."""
    stmt = (
        select(AdvocateFlag)
        .options(
            joinedload(AdvocateFlag.verbatim).joinedload(Verbatim.response),
            joinedload(AdvocateFlag.contact),
            joinedload(AdvocateFlag.account).joinedload(Account.owner),
        )
        .where(AdvocateFlag.dismissed_at.is_(None))
        .order_by(AdvocateFlag.created_at.desc(), AdvocateFlag.id.desc())
    )
    if flag_ids is not None:
        stmt = stmt.where(AdvocateFlag.id.in_(flag_ids))
    if kind in FLAG_KINDS:
        stmt = stmt.where(AdvocateFlag.kind == kind)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = (
            stmt.join(Verbatim, Verbatim.id == AdvocateFlag.verbatim_id)
            .outerjoin(Contact, Contact.id == AdvocateFlag.contact_id)
            .outerjoin(Account, Account.id == AdvocateFlag.account_id)
            .where(
                or_(
                    Verbatim.text.ilike(like),
                    Contact.name.ilike(like),
                    Contact.email.ilike(like),
                    Account.name.ilike(like),
                )
            )
        )
    flags = list(session.scalars(stmt.limit(PAGE * 3)).unique())
    if target in TARGETS:
        flags = [f for f in flags if target in (f.praise_targets or [])]
    flags = flags[:PAGE]
    analyses = _latest_analyses(session, [f.verbatim_id for f in flags])
    contact_ids = [f.contact_id for f in flags if f.contact_id]
    advocates = {
        a.contact_id: a for a in session.scalars(select(Advocate).where(Advocate.contact_id.in_(contact_ids)))
    }
    invites: dict[int, AdvocacyInvite] = {}
    for invite in session.scalars(
        select(AdvocacyInvite).where(AdvocacyInvite.contact_id.in_(contact_ids)).order_by(AdvocacyInvite.id)
    ):
        current = invites.get(invite.contact_id)
        # the invite in progress wins over a finished one; otherwise the newest
        if (
            current is None
            or invite.status in PENDING_INVITE_STATUSES
            or current.status not in PENDING_INVITE_STATUSES
        ):
            invites[invite.contact_id] = invite
    rows = []
    for flag in flags:
        verbatim = flag.verbatim
        analysis = analyses.get(verbatim.id)
        contact = flag.contact
        rows.append(
            FlagRow(
                flag=flag,
                verbatim=verbatim,
                analysis=analysis,
                pieces=quote_pieces(verbatim.text, praise_spans(analysis, verbatim.text)),
                people=praised_people(analysis, verbatim.text),
                advocate=advocates.get(flag.contact_id or -1),
                invite=invites.get(flag.contact_id or -1),
                score=verbatim.response.score if verbatim.response else None,
                next_ask=next_ask_at(contact, budget_days) if contact else None,
            )
        )
    return rows


def invites_in(session: Session, tab: str) -> list[AdvocacyInvite]:
    """The invites of one hub tab, most recently touched first."""
    statuses = INVITE_TABS.get(tab, INVITE_TABS["review"])[1]
    return list(
        session.scalars(
            select(AdvocacyInvite)
            .options(
                joinedload(AdvocacyInvite.contact),
                joinedload(AdvocacyInvite.account),
                joinedload(AdvocacyInvite.outbox_email),
            )
            .where(AdvocacyInvite.status.in_(statuses))
            .order_by(AdvocacyInvite.id.desc())
            .limit(PAGE * 2)
        ).unique()
    )


def tab_counts(counts: dict[str, int]) -> dict[str, int]:
    """Invites per hub tab, from invites per status."""
    return {tab: sum(counts.get(s, 0) for s in statuses) for tab, (_label, statuses) in INVITE_TABS.items()}


def activities(session: Session, limit: int = 200) -> list[AdvocacyActivity]:
    """Completed acts, newest first."""
    return list(
        session.scalars(
            select(AdvocacyActivity)
            .options(
                joinedload(AdvocacyActivity.contact),
                joinedload(AdvocacyActivity.account),
                joinedload(AdvocacyActivity.champion_move),
            )
            .order_by(AdvocacyActivity.occurred_on.desc(), AdvocacyActivity.id.desc())
            .limit(limit)
        ).unique()
    )


def champion_moves(session: Session) -> list[ChampionMove]:
    """Moves to act on first, then the rest, newest first."""
    moves = (
        session.scalars(
            select(ChampionMove)
            .options(
                joinedload(ChampionMove.contact),
                joinedload(ChampionMove.old_account),
                joinedload(ChampionMove.new_account).joinedload(Account.owner),
            )
            .order_by(ChampionMove.detected_at.desc(), ChampionMove.id.desc())
            .limit(PAGE)
        )
        .unique()
        .all()
    )
    order = {"new": 0, "contacted": 1, "won": 2, "dismissed": 3}
    return sorted(moves, key=lambda m: order.get(m.status, 9))


def advocates_for_select(session: Session) -> list[Advocate]:
    """Advocates by name, for the 'record an activity' form."""
    return list(
        session.scalars(
            select(Advocate)
            .options(joinedload(Advocate.contact).joinedload(Contact.account))
            .join(Contact, Contact.id == Advocate.contact_id)
            .order_by(Contact.name)
        ).unique()
    )


def praise_for(session: Session, user_id: int, limit: int = 100) -> list[tuple[PraiseNotice, FlagRow]]:
    """A CSM's praise notices with their quotes, newest first."""
    notices = list(
        session.scalars(
            select(PraiseNotice)
            .where(PraiseNotice.user_id == user_id)
            .order_by(PraiseNotice.created_at.desc(), PraiseNotice.id.desc())
            .limit(limit)
        )
    )
    rows = (
        {r.flag.id: r for r in flag_rows(session, flag_ids=[n.flag_id for n in notices])} if notices else {}
    )
    return [(n, rows[n.flag_id]) for n in notices if n.flag_id in rows]


def source_row(session: Session, invite: AdvocacyInvite) -> FlagRow | None:
    """The flagged verbatim an invite was drafted from, highlighted."""
    if invite.verbatim_id is None:
        return None
    flag_id = session.scalar(select(AdvocateFlag.id).where(AdvocateFlag.verbatim_id == invite.verbatim_id))
    if flag_id is None:
        return None
    rows = flag_rows(session, flag_ids=[flag_id])
    return rows[0] if rows else None


def nps_of(session: Session, contact_id: int) -> int | None:
    """The contact's latest NPS-style score, if any."""
    return session.scalar(
        select(Response.score)
        .where(Response.contact_id == contact_id, Response.score.is_not(None))
        .order_by(Response.answered_at.desc())
        .limit(1)
    )
