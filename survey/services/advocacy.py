"""Who is an advocate, of which kind, and what to do: flags, types, CSM notices, holds, moves.

Called by the action job for every analysed verbatim (idempotent: a second run finds what the first made),
by the recovery service when a task opens (holds), and by contact edits, imports and the API (champion moves).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.database import utcnow
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
    RecoveryTask,
    User,
    Verbatim,
)
from survey.models.actions import OPEN_TASK_STATUSES

FLAG_LABELS = {
    "promoter_praise": "Promoter praise",
    "unsolicited_praise": "Unsolicited praise",
    "referral": "Already recommends us",
}
TYPE_LABELS = {
    "educator": "Educator",
    "validator": "Validator",
    "status_seeker": "Status seeker",
    "collaborator": "Collaborator",
}
TYPE_HINTS = {
    "educator": "explains how they use it",
    "validator": "confirms results",
    "status_seeker": "wants to tell their success story",
    "collaborator": "wants to shape the product",
}
# ask type -> (label, the advocate type it suits; None: anyone)
ASKS: dict[str, tuple[str, str | None]] = {
    "webinar": ("Webinar", "educator"),
    "community_answer": ("Community answer", "educator"),
    "panel": ("Customer panel", "educator"),
    "reference_call": ("Reference call", "validator"),
    "review_site": ("Review on G2, Capterra or TrustRadius", "validator"),
    "case_study": ("Case study", "status_seeker"),
    "spotlight": ("Customer spotlight", "status_seeker"),
    "conference_talk": ("Conference talk", "status_seeker"),
    "advisory_board": ("Customer advisory board", "collaborator"),
    "beta_programme": ("Beta programme", "collaborator"),
    "referral": ("Referral", None),
}
DEFAULT_ASK = {
    "educator": "webinar",
    "validator": "reference_call",
    "status_seeker": "case_study",
    "collaborator": "advisory_board",
}
ACTIVITY_LABELS = {
    **{k: v[0] for k, v in ASKS.items()},
    "review_site": "Review-site review",
    "new_company_deal": "Deal at their new company",
}
# Points per completed act, for the advocate leaderboard: effort and reach, roughly.
POINTS = {
    "community_answer": 20,
    "review_site": 30,
    "reference_call": 40,
    "beta_programme": 40,
    "spotlight": 50,
    "referral": 50,
    "panel": 60,
    "advisory_board": 60,
    "webinar": 80,
    "case_study": 100,
    "conference_talk": 120,
    "new_company_deal": 100,
}
WON_REFERRAL_BONUS = 100
PENDING_INVITE_STATUSES = ("drafted", "approved", "on_hold", "sent")
RECOVERY_HOLD = "Open recovery task on the account"
MOVED_HOLD = "Champion moved company"
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "web.de",
        "aol.com",
    }
)

# Cues per advocate type, matched on whole words in what the contact wrote (lower case).
TYPE_CUES: dict[str, tuple[str, ...]] = {
    "educator": (
        "how we use",
        "we use",
        "set up",
        "showed",
        "show our",
        "taught",
        "teach",
        "trained",
        "training",
        "onboarded",
        "walked",
        "walk through",
        "explain",
        "tip",
        "tips",
        "workflow",
        "our process",
        "playbook",
        "template",
        "guide",
        "community",
        "webinar",
        "rolled it out",
        "every team",
    ),
    "validator": (
        "saved",
        "saves",
        "cut",
        "reduced",
        "increased",
        "doubled",
        "tripled",
        "roi",
        "results",
        "faster",
        "paid for itself",
        "hours",
        "accuracy",
        "accurate",
        "fewer",
        "less time",
        "grew",
        "since we switched",
        "compared to",
        "measurable",
        "revenue",
    ),
    "status_seeker": (
        "proud",
        "award",
        "promoted",
        "our story",
        "success story",
        "showcase",
        "spotlight",
        "speak",
        "speaking",
        "conference",
        "linkedin",
        "transformation",
        "i led",
        "my team",
        "recognition",
        "the board",
        "our ceo",
        "shout",
    ),
    "collaborator": (
        "roadmap",
        "feature request",
        "beta",
        "early access",
        "would love to see",
        "wish",
        "suggest",
        "idea",
        "ideas",
        "shape",
        "advisory",
        "partner",
        "happy to help",
        "test new",
        "feedback",
        "next version",
        "request",
    ),
}
_NUMBER_RESULT = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:%|percent|x\b|hours?\b|days?\b|minutes?\b)")
_CUE_PATTERNS = {
    t: [(cue, re.compile(r"\b" + re.escape(cue) + r"\b")) for cue in cues] for t, cues in TYPE_CUES.items()
}
_SENIOR = re.compile(r"\b(vp|vice president|head|director|chief|founder|ceo|cto|coo|cfo|cmo|cro)\b", re.I)
ACTIVITY_TYPE_OF = {k: v[1] for k, v in ASKS.items() if v[1]}


@dataclass
class AdvocacyOutcome:
    """What the advocacy step of the action job made or found."""

    flag_id: int | None = None
    invite_id: int | None = None
    advocate_id: int | None = None
    notice_ids: list[int] = field(default_factory=list)


# ---------------------------------------------------------------- the action job's advocacy step


def flag_kind(analysis: Analysis, score_bucket: str | None) -> str | None:
    """Promoter praise, unsolicited praise (any other channel or score), or an existing recommendation."""
    if analysis.praise:
        return "promoter_praise" if score_bucket == "promoter" else "unsolicited_praise"
    if analysis.referral_signal:
        return "referral"
    return None


def advocacy_follow_up(
    session: Session, verbatim: Verbatim, analysis: Analysis | None, score_bucket: str | None
) -> AdvocacyOutcome:
    """Flag the advocate, credit the CSM, notify them, draft the right ask; running it twice adds nothing."""
    outcome = AdvocacyOutcome()
    if analysis is None:
        return outcome
    kind = flag_kind(analysis, score_bucket)
    if kind is None:
        return outcome
    flag = _get_or_create(
        session,
        AdvocateFlag,
        AdvocateFlag.verbatim_id == verbatim.id,
        lambda: AdvocateFlag(
            verbatim_id=verbatim.id,
            contact_id=verbatim.contact_id,
            account_id=verbatim.account_id,
            kind=kind,
            praise_targets=list(analysis.praise_targets),
            created_at=verbatim.created_at or utcnow(),
        ),
    )
    outcome.flag_id = flag.id
    contact = session.get(Contact, verbatim.contact_id) if verbatim.contact_id else None
    account = session.get(Account, verbatim.account_id) if verbatim.account_id else None
    outcome.notice_ids = _notify_csm(session, flag, analysis, account)
    if contact is None:
        return outcome
    advocate = ensure_advocate(session, contact, at=flag.created_at)
    outcome.advocate_id = advocate.id
    existing = session.scalar(select(AdvocacyInvite).where(AdvocacyInvite.verbatim_id == verbatim.id))
    if existing is not None:
        outcome.invite_id = existing.id
    elif score_bucket != "detractor" and may_draft(session, contact) is None:
        from survey.services.invites import draft_invite

        invite = draft_invite(session, contact, verbatim, analysis, advocate=advocate)
        hold_if_recovering(session, invite)
        outcome.invite_id = invite.id
    return outcome


def may_draft(session: Session, contact: Contact) -> str | None:
    """Why no invite may be drafted for this contact (None: it may)."""
    if contact.unsubscribed:
        return "Unsubscribed"
    if not contact.marketing_consent:
        return "No marketing consent"
    pending = session.scalar(
        select(AdvocacyInvite.id)
        .where(AdvocacyInvite.contact_id == contact.id, AdvocacyInvite.status.in_(PENDING_INVITE_STATUSES))
        .limit(1)
    )
    if pending is not None:
        return "An invite is already in progress"
    return None


def _get_or_create(session: Session, model: type, where: Any, build: Any) -> Any:
    """The row matching `where`, or a new one; a concurrent insert of the same key is found."""
    row = session.scalar(select(model).where(where))
    if row is not None:
        return row
    row = build()
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        row = session.scalar(select(model).where(where))
        if row is None:
            raise
    return row


def account_has_open_task(session: Session, account_id: int | None) -> bool:
    """No asks while the account is being recovered."""
    if account_id is None:
        return False
    return (
        session.scalar(
            select(RecoveryTask.id)
            .where(RecoveryTask.account_id == account_id, RecoveryTask.status.in_(OPEN_TASK_STATUSES))
            .limit(1)
        )
        is not None
    )


# ---------------------------------------------------------------- advocates and their type


def ensure_advocate(session: Session, contact: Contact, at: Any = None) -> Advocate:
    """The contact's advocate row (created once, credited to today's CSM and segment), with a fresh type."""
    account = contact.account
    advocate = _get_or_create(
        session,
        Advocate,
        Advocate.contact_id == contact.id,
        lambda: Advocate(
            contact_id=contact.id,
            account_id=contact.account_id,
            csm_id=account.owner_id if account else None,
            segment=account.segment if account else None,
            created_at=at or utcnow(),
        ),
    )
    if at is not None and at < advocate.created_at:
        advocate.created_at = at  # history analysed out of order: the advocate dates from the earliest signal
    advocate_type, reasons = infer_advocate_type(session, contact)
    advocate.inferred_type, advocate.type_reasons = advocate_type, reasons
    session.flush()
    return advocate


def infer_advocate_type(session: Session, contact: Contact) -> tuple[str, list[str]]:
    """Educator, validator, status seeker or collaborator, from what they wrote, did and are (their title)."""
    texts = list(
        session.scalars(
            select(Verbatim.text)
            .where(Verbatim.contact_id == contact.id)
            .order_by(Verbatim.id.desc())
            .limit(30)
        )
    )
    done = list(
        session.scalars(
            select(AdvocacyActivity.activity_type).where(AdvocacyActivity.contact_id == contact.id)
        )
    )
    return type_from_evidence(texts, done, contact.title)


def type_from_evidence(texts: list[str], activities: list[str], title: str | None) -> tuple[str, list[str]]:
    """The type with the most evidence; every cue found is kept as a reason marketing can read."""
    scores: Counter[str] = Counter()
    reasons: dict[str, list[str]] = {t: [] for t in TYPE_CUES}
    for text in texts:
        lowered = text.lower()
        for advocate_type, patterns in _CUE_PATTERNS.items():
            for cue, pattern in patterns:
                if pattern.search(lowered):
                    scores[advocate_type] += 1
                    reasons[advocate_type].append(f"wrote \u201c{cue}\u201d")
        for match in _NUMBER_RESULT.finditer(lowered):
            scores["validator"] += 2
            reasons["validator"].append(f"quoted a result (\u201c{match.group(0).strip()}\u201d)")
    for activity in activities:
        advocate_type = ACTIVITY_TYPE_OF.get(activity)
        if advocate_type:
            scores[advocate_type] += 2
            reasons[advocate_type].append(f"did a {ACTIVITY_LABELS[activity].lower()} before")
    if title and _SENIOR.search(title):
        scores["status_seeker"] += 1
        reasons["status_seeker"].append(f"senior title ({title})")
    if not scores:
        return "validator", ["praised us without a telling cue: a reference is the natural first ask"]
    order = ("validator", "educator", "status_seeker", "collaborator")  # ties go to the simplest ask
    best = max(order, key=lambda t: (scores[t], -order.index(t)))
    return best, list(dict.fromkeys(reasons[best]))[:6]


def set_type_override(session: Session, advocate: Advocate, advocate_type: str | None) -> None:
    """Marketing overrides the inferred type (None goes back to the inference)."""
    if advocate_type is not None and advocate_type not in TYPE_LABELS:
        raise ValueError(f"unknown advocate type {advocate_type!r}")
    advocate.type_override = advocate_type
    session.flush()


def suggested_ask(advocate_type: str, referral_signal: bool) -> str:
    """A referral ask for anyone who signals one; otherwise the ask that suits the type."""
    return "referral" if referral_signal else DEFAULT_ASK.get(advocate_type, "reference_call")


# ---------------------------------------------------------------- praise in the text


def praise_spans(analysis: Analysis | None, text: str) -> list[tuple[int, int]]:
    """Character spans of the praise: the positive clauses that praise a target, else the praise cue words."""
    if analysis is None:
        return []
    cues = [(int(e["start"]), int(e["end"])) for e in (analysis.evidence or {}).get("praise", [])]
    spans = []
    previous_praised = False
    for clause in analysis.clauses or []:
        praised = bool(clause.get("praise_targets")) and clause.get("polarity") == "positive"
        opens_with_contrast = _CONTRAST.match(str(clause.get("text", ""))) is not None
        if praised and not (previous_praised and opens_with_contrast):
            # "Good value... but setting up feels like it needs a degree": a turn after praise is no praise
            spans.append(_praising_part(text, int(clause["start"]), int(clause["end"]), cues))
        previous_praised = praised and not (previous_praised and opens_with_contrast)
    if not spans:
        spans = cues
    spans = sorted((s, e) for s, e in spans if 0 <= s < e <= len(text))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


_CONTRAST = re.compile(r"[\s,;.…-]*\b(?:but|however|though|although|except|yet|sadly|unfortunately)\b", re.I)


def _praising_part(text: str, start: int, end: int, cues: list[tuple[int, int]]) -> tuple[int, int]:
    """A clause cut at 'but', 'however'...: the side holding the praise cue, so no complaint is quoted."""
    cuts = [start]
    for match in _CONTRAST.finditer(text, start, end):
        cuts.append(match.start())
        cuts.append(match.end())
    cuts.append(end)
    pieces = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1]]
    if not pieces:
        return start, end
    chosen = [p for p in pieces if any(p[0] <= cs < p[1] for cs, _ce in cues)] or pieces[:1]
    s, e = chosen[0][0], chosen[-1][1]
    while s < e and not text[s].isalnum():
        s += 1
    return s, e


def quote_pieces(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_praise) so a template can escape each piece and mark the praise."""
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for s, e in spans:
        if s > pos:
            pieces.append((text[pos:s], False))
        pieces.append((text[s:e], True))
        pos = e
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


def praise_quote(verbatim: Verbatim, analysis: Analysis | None, limit: int = 280) -> str:
    """The customer's own kind words, without the complaint around them, trimmed at a word boundary."""
    text = verbatim.text
    spans = praise_spans(analysis, text)
    if not (spans and analysis and analysis.praise) and analysis is not None:
        # no praise, but a recommendation: quote the sentences that carry it
        hits = [(int(e["start"]), int(e["end"])) for e in (analysis.evidence or {}).get("referral", [])]
        spans = [(int(c["start"]), int(c["end"])) for c in analysis.clauses or []
                 if any(int(c["start"]) <= hs < int(c["end"]) for hs, _he in hits)]
    quote = " ".join(text[s:e].strip() for s, e in spans) if spans else text
    quote = " ".join(quote.split())
    if len(quote) <= limit:
        return quote
    return quote[:limit].rsplit(" ", 1)[0] + "\u2026"


def praised_people(analysis: Analysis | None, text: str) -> list[str]:
    """Names that appear inside a praising clause (the people the praise is for)."""
    if analysis is None or not analysis.people:
        return []
    praise_text = " ".join(text[s:e] for s, e in praise_spans(analysis, text))
    return [p for p in analysis.people if re.search(r"\b" + re.escape(p) + r"\b", praise_text)]


# ---------------------------------------------------------------- telling the CSM


def _notify_csm(
    session: Session, flag: AdvocateFlag, analysis: Analysis, account: Account | None
) -> list[int]:
    """A notice for the account's CSM on unsolicited praise, and for any CSM praised by name."""
    reasons_by_user: dict[int, list[str]] = {}
    if account is not None and account.owner_id and flag.kind == "unsolicited_praise":
        reasons_by_user.setdefault(account.owner_id, []).append("unsolicited")
    names = praised_people(analysis, flag.verbatim.text) if analysis.praise else []
    if names:
        for user in session.scalars(
            select(User).where(User.role.in_(("csm", "admin")), User.active.is_(True))
        ):
            first = user.name.split(" ")[0]
            owns = account is not None and account.owner_id == user.id
            if any(n.lower() == user.name.lower() or (owns and n.lower() == first.lower()) for n in names):
                reasons_by_user.setdefault(user.id, []).append("named")
    ids = []
    for user_id, reasons in reasons_by_user.items():
        notice = _get_or_create(
            session,
            PraiseNotice,
            (PraiseNotice.flag_id == flag.id) & (PraiseNotice.user_id == user_id),
            lambda user_id=user_id, reasons=reasons: PraiseNotice(
                flag_id=flag.id, user_id=user_id, reasons=reasons, created_at=flag.created_at
            ),
        )
        ids.append(notice.id)
    return ids


def unread_notice_count(session: Session, user_id: int) -> int:
    """How many praise notices the CSM has not opened yet."""
    return (
        session.scalar(
            select(func.count(PraiseNotice.id)).where(
                PraiseNotice.user_id == user_id, PraiseNotice.read_at.is_(None)
            )
        )
        or 0
    )


# ---------------------------------------------------------------- holds


def _hold(invite: AdvocacyInvite, reason: str) -> None:
    invite.held_from = invite.status if invite.status != "on_hold" else invite.held_from
    invite.status = "on_hold"
    invite.hold_reason = reason
    invite.send_after = None


def hold_if_recovering(session: Session, invite: AdvocacyInvite) -> bool:
    """A new draft for an account under recovery starts on hold."""
    if account_has_open_task(session, invite.account_id):
        _hold(invite, RECOVERY_HOLD)
        session.flush()
        return True
    return False


def hold_invites_for_account(session: Session, account_id: int | None) -> int:
    """A recovery task opened: the account's invites waiting to be sent go on hold; returns how many."""
    if account_id is None:
        return 0
    invites = session.scalars(
        select(AdvocacyInvite).where(
            AdvocacyInvite.account_id == account_id, AdvocacyInvite.status.in_(("drafted", "approved"))
        )
    ).all()
    for invite in invites:
        _hold(invite, RECOVERY_HOLD)
    session.flush()
    return len(invites)


def release_hold(session: Session, invite: AdvocacyInvite) -> bool:
    """Put a held invite back where it was, unless the account is still being recovered."""
    if invite.status != "on_hold":
        return False
    if account_has_open_task(session, invite.account_id):
        return False
    invite.status = invite.held_from if invite.held_from in ("drafted", "approved") else "drafted"
    invite.held_from = None
    invite.hold_reason = None
    session.flush()
    return True


def release_recovered_holds(session: Session) -> int:
    """Lift recovery holds whose account has no open task any more (the sweep calls this)."""
    held = session.scalars(
        select(AdvocacyInvite).where(
            AdvocacyInvite.status == "on_hold", AdvocacyInvite.hold_reason == RECOVERY_HOLD
        )
    ).all()
    return sum(1 for invite in held if release_hold(session, invite))


# ---------------------------------------------------------------- champions who move


def email_domain(email: str | None) -> str:
    return (email or "").rsplit("@", 1)[-1].strip().lower()


def detect_champion_moved(
    session: Session,
    contact: Contact,
    old_email: str | None,
    old_account_id: int | None,
    source: str = "edit",
) -> ChampionMove | None:
    """Call after a contact's email or account changed: a known advocate at a new company is flagged once.

    `contact` already carries the new email and account. Returns the move (new or already recorded) or None
    when this is not a move: not an advocate, nothing changed, or only a switch to a personal mailbox.
    """
    advocate = session.scalar(select(Advocate).where(Advocate.contact_id == contact.id))
    if advocate is None:
        return None
    old_domain, new_domain = email_domain(old_email), email_domain(contact.email)
    account_changed = contact.account_id != old_account_id and contact.account_id is not None
    domain_changed = bool(new_domain) and new_domain != old_domain and new_domain not in FREE_MAIL
    if not (account_changed or domain_changed):
        return None
    new_account = session.get(Account, contact.account_id) if account_changed else None
    if new_account is None and domain_changed:
        new_account = session.scalar(select(Account).where(func.lower(Account.domain) == new_domain).limit(1))
    new_company = new_account.name if new_account else new_domain
    key = f"{contact.id}:{contact.email.lower()}:{new_account.id if new_account else ''}"[:400]
    move = _get_or_create(
        session,
        ChampionMove,
        ChampionMove.move_key == key,
        lambda: ChampionMove(
            move_key=key,
            contact_id=contact.id,
            advocate_id=advocate.id,
            old_email=old_email or "",
            new_email=contact.email,
            old_account_id=old_account_id,
            new_account_id=new_account.id if new_account else None,
            new_company=new_company,
            source=source if source in ("edit", "import", "api") else "edit",
            status="new",
            detected_at=utcnow(),
        ),
    )
    for invite in session.scalars(
        select(AdvocacyInvite).where(
            AdvocacyInvite.contact_id == contact.id, AdvocacyInvite.status.in_(("drafted", "approved"))
        )
    ):
        _hold(invite, MOVED_HOLD)  # the words were about the old company: marketing decides what to ask now
    session.flush()
    return move


def outreach_suggestion(move: ChampionMove) -> str:
    """What to do about a move, in one line."""
    first = ((move.contact.name if move.contact else None) or "them").split(" ")[0]
    if move.new_account is not None and move.new_account.owner is not None:
        return (
            f"{move.new_company} is already a customer: introduce {first} to {move.new_account.owner.name} "
            f"and ask them to champion the rollout there."
        )
    if move.new_account is not None:
        return f"{move.new_company} is already a customer: invite {first} to onboard their new team."
    return (
        f"Congratulate {first} on the new role and offer {move.new_company} a walkthrough: "
        f"a warm lead from someone who already loves the product."
    )
