"""Advocacy invites from draft to done: templates quoting the customer, guardrails, signed links, acts.

Guardrails apply at send time, whoever sends (a marketer, a review campaign, the scheduled send): marketing
consent, unsubscribe, no open recovery task on the account, and the shared ask budget (one ask per contact per
ASK_BUDGET_DAYS across surveys and advocacy, claimed atomically on contacts.last_asked_at with the survey
fatigue rule's own `claim_ask`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import (
    AdvocacyActivity,
    AdvocacyInvite,
    Advocate,
    Analysis,
    ChampionMove,
    Contact,
    InviteTemplate,
    ReviewCampaign,
    Survey,
    User,
    Verbatim,
)
from survey.services.advocacy import (
    ASKS,
    PENDING_INVITE_STATUSES,
    POINTS,
    RECOVERY_HOLD,
    WON_REFERRAL_BONUS,
    account_has_open_task,
    ensure_advocate,
    praise_quote,
    suggested_ask,
)
from survey.services.fatigue import claim_ask, next_ask_at

LINK_SALT = "feedloop.advocacy-invite.v1"
REVIEW_SITES = {"g2": "G2", "capterra": "Capterra", "trustradius": "TrustRadius"}
REVIEW_RULE = (
    "Review sites (G2, Capterra, TrustRadius) forbid asking only happy customers. Review-site asks go "
    "out as a review campaign to every eligible customer alike."
)
PLACEHOLDERS = ("first_name", "quote", "company", "product", "sender", "site")

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "webinar": (
        "Would you show peers how you use {product}?",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nThe way your team works with {product} is "
        "exactly what other customers ask us about. Would you join a relaxed 30-minute webinar and walk "
        "peers through it? We do the slides and the prep.\n\n{sender}",
    ),
    "community_answer": (
        "Your tip could help other {product} users",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nWould you share that tip as an "
        "answer in our community? A few lines are plenty.\n\n{sender}",
    ),
    "panel": (
        "Join a customer panel?",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nWe're putting together a short customer "
        "panel and would love your perspective on stage (or on screen).\n\n{sender}",
    ),
    "reference_call": (
        "Could you tell a peer what {product} did for {company}?",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nNow and then a company like "
        "{company} is deciding whether {product} is right for them. Would you take one 20-minute "
        "reference call? We'll brief you and never share your details without asking.\n\n{sender}",
    ),
    "review_site": (
        "How is {product} working for you? Share an honest review on {site}",
        "Hi {first_name},\n\nWe ask every customer the same thing: would you share an honest review "
        "of {product} on {site}? Good or critical, every perspective helps other buyers decide. It "
        "takes about ten minutes.\n\n{sender}",
    ),
    "case_study": (
        "Let's tell {company}'s story",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nThat's a story worth telling. Would you "
        "be open to a short case study about what {company} achieved? You review every word before "
        "anything is published.\n\n{sender}",
    ),
    "spotlight": (
        "A customer spotlight on {company}?",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nWe'd love to feature you and your team "
        "in our customer spotlight. One short interview is all it takes.\n\n{sender}",
    ),
    "conference_talk": (
        "Speak about your success with {product}?",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nWould you share that success on "
        "stage at our customer conference? We cover travel and help with the talk.\n\n{sender}",
    ),
    "advisory_board": (
        "Help shape what {product} does next",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nWe're inviting a few customers to "
        "our advisory board: four calls a year with our product leads, and first look at the "
        "roadmap. Would you join?\n\n{sender}",
    ),
    "beta_programme": (
        "Early access to what we're building next",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nWould you like early access to new "
        "{product} features in our beta programme? Your feedback decides what ships.\n\n{sender}",
    ),
    "referral": (
        "Thank you for recommending {product}",
        "Hi {first_name},\n\nYou told us: \u201c{quote}\u201d\n\nThank you! If someone in your network "
        "could use the same, would you introduce us? Reply with a name, or forward this email.\n\n{sender}",
    ),
}


class AskRefused(Exception):
    """A guardrail stops this ask; `reasons` are what the marketer reads, `code` what the code checks."""

    def __init__(self, code: str, reasons: list[str], next_at: datetime | None = None) -> None:
        super().__init__("; ".join(reasons))
        self.code = code
        self.reasons = reasons
        self.next_at = next_at


class LinkExpired(ValueError):
    """The link is genuine but too old."""


class LinkInvalid(ValueError):
    """The link was altered, truncated, or made with another key."""


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# ---------------------------------------------------------------- templates and drafts


def template_for(session: Session, ask_type: str) -> tuple[str, str]:
    """Marketing's edited wording for the ask, else the default."""
    row = session.scalar(select(InviteTemplate).where(InviteTemplate.ask_type == ask_type))
    if row is not None:
        return row.subject, row.body
    return DEFAULT_TEMPLATES.get(ask_type, DEFAULT_TEMPLATES["reference_call"])


def save_template(
    session: Session, ask_type: str, subject: str, body: str, user: User | None
) -> InviteTemplate:
    """Store marketing's wording; a stray brace or unknown placeholder is refused with the reason."""
    if ask_type not in ASKS:
        raise ValueError(f"Unknown ask type {ask_type!r}.")
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ValueError("Subject and body are both needed.")
    for text in (subject, body):
        try:
            text.format_map({k: "" for k in PLACEHOLDERS})
        except (KeyError, ValueError, IndexError) as exc:
            raise ValueError(
                f"Use only these placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)} "
                f"({type(exc).__name__}: {exc})."
            ) from None
    row = session.scalar(select(InviteTemplate).where(InviteTemplate.ask_type == ask_type))
    if row is None:
        row = InviteTemplate(ask_type=ask_type, subject=subject, body=body)
        session.add(row)
    row.subject, row.body, row.updated_at = subject, body, utcnow()
    row.updated_by_id = user.id if user else None
    session.flush()
    return row


def product_name(session: Session) -> str:
    """What customers call the product: the newest active survey's product name."""
    name = session.scalar(
        select(Survey.product_name).where(Survey.status == "active").order_by(Survey.id.desc()).limit(1)
    )
    return name or "our product"


def sender_name(product: str) -> str:
    """Who signs an invite: the product's team."""
    return "The team" if product == "our product" else f"The {product} team"


def fill(template: str, contact: Contact, quote: str, product: str, sender: str, site: str = "") -> str:
    """The template with the customer's name, words and company in it."""
    values = {
        "first_name": (contact.name or "there").split(" ")[0],
        "quote": quote,
        "company": contact.account.name if contact.account else "your company",
        "product": product,
        "sender": sender,
        "site": site,
    }
    return template.format_map(_Blank(values))


def draft_invite(
    session: Session,
    contact: Contact,
    verbatim: Verbatim | None,
    analysis: Analysis | None,
    advocate: Advocate | None = None,
    ask_type: str | None = None,
) -> AdvocacyInvite:
    """A drafted invite quoting the customer's praise back to them, with the ask that suits their type."""
    advocate = advocate or ensure_advocate(session, contact)
    if ask_type is None:
        ask_type = suggested_ask(advocate.advocate_type, bool(analysis and analysis.referral_signal))
    if ask_type == "review_site":
        raise AskRefused("review_rule", [REVIEW_RULE])
    subject, body = template_for(session, ask_type)
    product = product_name(session)
    quote = praise_quote(verbatim, analysis) if verbatim is not None else ""
    sender = sender_name(product)
    linked = (
        verbatim is not None
        and session.scalar(select(AdvocacyInvite.id).where(AdvocacyInvite.verbatim_id == verbatim.id)) is None
    )
    invite = AdvocacyInvite(
        contact_id=contact.id,
        account_id=contact.account_id,
        verbatim_id=verbatim.id if linked and verbatim else None,
        ask_type=ask_type,
        advocate_type=advocate.advocate_type,
        status="drafted",
        subject=fill(subject, contact, quote, product, sender)[:300],
        body=fill(body, contact, quote, product, sender),
    )
    session.add(invite)
    session.flush()
    return invite


def edit_invite(session: Session, invite: AdvocacyInvite, *, subject: str, body: str, ask_type: str) -> None:
    """Marketing's edits to a draft (or an approved invite, which then needs approving again)."""
    if invite.status not in ("drafted", "approved", "on_hold"):
        raise AskRefused("not_editable", [f"A {invite.status} invite can no longer be edited."])
    if ask_type not in ASKS:
        raise AskRefused("ask_type", [f"Unknown ask type {ask_type!r}."])
    if ask_type == "review_site" and invite.campaign_id is None:
        raise AskRefused("review_rule", [REVIEW_RULE])
    if not subject.strip() or not body.strip():
        raise AskRefused("empty", ["Subject and message are both needed."])
    invite.subject, invite.body, invite.ask_type = subject.strip()[:300], body.strip(), ask_type
    if invite.status == "approved":
        invite.status, invite.approved_at, invite.approved_by_id, invite.send_after = (
            "drafted",
            None,
            None,
            None,
        )
    session.flush()


# ---------------------------------------------------------------- guardrails


@dataclass(frozen=True)
class Eligibility:
    """Whether this contact may be asked now, and if not why (and when they may be)."""

    blockers: list[str]
    budget_ok: bool
    next_at: datetime | None

    @property
    def ok(self) -> bool:
        return not self.blockers and self.budget_ok


def eligibility(
    session: Session, invite: AdvocacyInvite, budget_days: int, now: datetime | None = None
) -> Eligibility:
    """Every guardrail, checked without changing anything (the hub shows it next to the Send button)."""
    now = now or utcnow()
    contact = invite.contact
    blockers = []
    if contact.unsubscribed:
        blockers.append("Unsubscribed from all emails")
    if not contact.marketing_consent:
        blockers.append("No marketing consent")
    if account_has_open_task(session, invite.account_id):
        blockers.append(RECOVERY_HOLD)
    if invite.ask_type == "review_site" and invite.campaign_id is None:
        blockers.append(REVIEW_RULE)
    due = next_ask_at(contact, budget_days)
    budget_ok = due is None or due <= now
    return Eligibility(blockers, budget_ok, None if budget_ok else due)


def approve(session: Session, invite: AdvocacyInvite, user: User | None, now: datetime | None = None) -> None:
    """Marketing signs the wording off; sending is a separate step (or scheduled for the budget)."""
    if invite.status not in ("drafted", "approved"):
        raise AskRefused("status", [f"Only a drafted invite can be approved (this one is {invite.status})."])
    invite.status = "approved"
    invite.approved_at = now or utcnow()
    invite.approved_by_id = user.id if user else None
    session.flush()


def claim_send(
    session: Session,
    invite: AdvocacyInvite,
    *,
    user: User | None,
    budget_days: int,
    link_days: int,
    now: datetime | None = None,
) -> str:
    """Check every guardrail, spend the contact's ask budget and mark the invite sent; returns the link nonce.

    Raises AskRefused (code "budget" with next_at when only the budget stands in the way). The caller renders
    the email into the outbox, commits, then enqueues its delivery.
    """
    now = now or utcnow()
    if invite.status not in ("drafted", "approved"):
        raise AskRefused("status", [f"This invite is {invite.status.replace('_', ' ')}; it cannot be sent."])
    check = eligibility(session, invite, budget_days, now)
    if check.blockers:
        raise AskRefused("guardrail", check.blockers)
    if not claim_ask(session, invite.contact_id, budget_days, now):
        session.refresh(invite.contact)
        raise AskRefused(
            "budget", [_budget_reason(invite.contact, budget_days)], next_ask_at(invite.contact, budget_days)
        )
    if invite.status == "drafted" or invite.approved_at is None:
        invite.approved_at = now
        invite.approved_by_id = user.id if user else invite.approved_by_id
    invite.status = "sent"
    invite.sent_at = now
    invite.send_after = None
    invite.link_nonce = secrets.token_hex(16)
    invite.expires_at = now + timedelta(days=link_days)
    from survey.services.audit import record

    record(session, "invite_sent", actor=user, target_type="invite", target_id=invite.id,
           details={"ask_type": invite.ask_type})
    session.flush()
    return invite.link_nonce


def _budget_reason(contact: Contact, budget_days: int) -> str:
    asked = contact.last_asked_at
    due = next_ask_at(contact, budget_days)
    when = f"on {asked:%-d %b}" if asked else "recently"
    return (
        f"Asked {when} (surveys and advocacy share one ask per {budget_days} days); "
        f"next ask from {due:%-d %b %Y}"
        if due
        else "Asked recently"
    )


def schedule_send(
    session: Session, invite: AdvocacyInvite, user: User | None, budget_days: int, now: datetime | None = None
) -> datetime:
    """Approve now and send as soon as the ask budget allows (the sweep or a scheduled job sends it)."""
    now = now or utcnow()
    if invite.status == "drafted":
        approve(session, invite, user, now)
    due = next_ask_at(invite.contact, budget_days) or now
    invite.send_after = max(due, now)
    session.flush()
    return invite.send_after


# ---------------------------------------------------------------- signed links


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=LINK_SALT)


def link_token(secret_key: str, invite: AdvocacyInvite) -> str:
    """The token in the invite's accept, decline and unsubscribe links (invite id and a one-time nonce)."""
    if not invite.link_nonce:
        raise ValueError("the invite has no live link")
    return _serializer(secret_key).dumps({"i": invite.id, "n": invite.link_nonce})


def read_token(secret_key: str, token: str, max_age_days: int) -> tuple[int, str]:
    """(invite id, nonce) of a genuine token; LinkExpired or LinkInvalid otherwise."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired:
        raise LinkExpired("expired") from None
    except BadSignature:
        raise LinkInvalid("signature") from None
    try:
        return int(data["i"]), str(data["n"])
    except (KeyError, TypeError, ValueError):
        raise LinkInvalid("payload") from None


def invite_for_token(
    session: Session, secret_key: str, token: str, max_age_days: int
) -> AdvocacyInvite | None:
    """The invite a token names, even once answered; None when forged. Raises LinkExpired."""
    try:
        invite_id, _nonce = read_token(secret_key, token, max_age_days)
    except LinkInvalid:
        return None
    return session.get(AdvocacyInvite, invite_id)


def link_is_live(invite: AdvocacyInvite, nonce: str, now: datetime | None = None) -> bool:
    """A link works once, while the invite waits for an answer and before it expires."""
    now = now or utcnow()
    return (
        invite.status == "sent"
        and invite.link_nonce is not None
        and secrets.compare_digest(invite.link_nonce, nonce)
        and (invite.expires_at is None or invite.expires_at > now)
    )


def respond(
    session: Session,
    invite_id: int,
    nonce: str,
    answer: str,
    note: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the customer's accept or decline once (a conditional UPDATE: a second click is a no-op)."""
    if answer not in ("accepted", "declined"):
        raise ValueError(answer)
    now = now or utcnow()
    result = session.execute(
        update(AdvocacyInvite)
        .where(
            AdvocacyInvite.id == invite_id,
            AdvocacyInvite.status == "sent",
            AdvocacyInvite.link_nonce == nonce,
            (AdvocacyInvite.expires_at.is_(None)) | (AdvocacyInvite.expires_at > now),
        )
        .values(
            status=answer,
            responded_at=now,
            link_nonce=None,
            response_note=(note or "").strip()[:2000] or None,
        )
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    if result.rowcount and answer == "accepted":
        from survey.services.webhooks import emit

        emit(session, "invite.accepted", {"invite_id": invite_id, "summary": f"advocacy invite {invite_id} accepted"})
    return bool(result.rowcount)


def unsubscribe_via_link(session: Session, invite: AdvocacyInvite) -> None:
    """The invite's unsubscribe link: no more emails of any kind, and the invite is declined if still open."""
    invite.contact.unsubscribed = True
    if invite.status == "sent":
        invite.status, invite.responded_at, invite.link_nonce = "declined", utcnow(), None
        invite.response_note = "Unsubscribed"
    session.flush()


# ---------------------------------------------------------------- completing: activities


def record_activity(
    session: Session,
    *,
    contact: Contact,
    activity_type: str,
    occurred_on: date,
    user: User | None,
    invite: AdvocacyInvite | None = None,
    link: str | None = None,
    referred_company: str | None = None,
    pipeline_value: int = 0,
    won_revenue: int = 0,
    notes: str | None = None,
    champion_move: ChampionMove | None = None,
) -> AdvocacyActivity:
    """Record a completed act (completing its invite); recording the same invite twice returns the first."""
    if activity_type not in POINTS:
        raise ValueError(f"Unknown activity type {activity_type!r}.")
    if pipeline_value < 0 or won_revenue < 0:
        raise ValueError("Pipeline and revenue cannot be negative.")
    if invite is not None:
        existing = session.scalar(select(AdvocacyActivity).where(AdvocacyActivity.invite_id == invite.id))
        if existing is not None:
            return existing
        if invite.status not in ("accepted", "sent", "completed"):
            raise ValueError(f"A {invite.status} invite cannot be completed.")
    advocate = ensure_advocate(session, contact)
    points = POINTS[activity_type] + (WON_REFERRAL_BONUS if won_revenue > 0 else 0)
    activity = AdvocacyActivity(
        advocate_id=advocate.id,
        contact_id=contact.id,
        account_id=contact.account_id,
        invite_id=invite.id if invite else None,
        champion_move_id=champion_move.id if champion_move else None,
        activity_type=activity_type,
        occurred_on=occurred_on,
        link=(link or "").strip()[:500] or None,
        referred_company=(referred_company or "").strip()[:200] or None,
        pipeline_value=pipeline_value,
        won_revenue=won_revenue,
        points=points,
        notes=(notes or "").strip() or None,
        created_by_id=user.id if user else None,
    )
    try:
        with session.begin_nested():
            session.add(activity)
            session.flush()
    except IntegrityError:
        found = (
            session.scalar(select(AdvocacyActivity).where(AdvocacyActivity.invite_id == invite.id))
            if invite
            else None
        )
        if found is None:
            raise
        return found
    if invite is not None:
        invite.status = "completed"
        invite.completed_at = utcnow()
        invite.link_nonce = None
    if champion_move is not None and won_revenue > 0:
        champion_move.status = "won"
    session.flush()
    return activity


# ---------------------------------------------------------------- review campaigns: everyone alike


@dataclass
class CampaignAudience:
    """Who a review campaign would reach, and how many were left out for which guardrail."""

    contacts: list[Contact]
    skipped: dict[str, int]
    by_bucket: dict[str, int]


def campaign_audience(session: Session, budget_days: int, now: datetime | None = None) -> CampaignAudience:
    """Every contact the guardrails allow, whatever they scored: the same ask for happy and unhappy alike."""
    from survey.models import Account, RecoveryTask, Response
    from survey.models.actions import OPEN_TASK_STATUSES
    from survey.scoring import bucket

    now = now or utcnow()
    cutoff = now - timedelta(days=budget_days)
    recovering = set(
        session.scalars(
            select(RecoveryTask.account_id).where(
                RecoveryTask.status.in_(OPEN_TASK_STATUSES), RecoveryTask.account_id.is_not(None)
            )
        )
    )
    pending = set(
        session.scalars(
            select(AdvocacyInvite.contact_id).where(AdvocacyInvite.status.in_(PENDING_INVITE_STATUSES))
        )
    )
    skipped = {
        "no consent": 0,
        "unsubscribed": 0,
        "asked recently": 0,
        "open recovery task": 0,
        "invite in progress": 0,
        "inactive account": 0,
    }
    chosen: list[Contact] = []
    rows = session.execute(
        select(Contact, Account.active)
        .outerjoin(Account, Account.id == Contact.account_id)
        .order_by(Contact.id)
    ).all()
    for contact, active in rows:
        if contact.unsubscribed:
            skipped["unsubscribed"] += 1
        elif not contact.marketing_consent:
            skipped["no consent"] += 1
        elif active is False:
            skipped["inactive account"] += 1
        elif contact.account_id in recovering:
            skipped["open recovery task"] += 1
        elif contact.id in pending:
            skipped["invite in progress"] += 1
        elif contact.last_asked_at is not None and contact.last_asked_at > cutoff:
            skipped["asked recently"] += 1
        else:
            chosen.append(contact)
    latest: dict[int, int] = {}
    if chosen:
        ids = [c.id for c in chosen]
        for contact_id, score in session.execute(
            select(Response.contact_id, Response.score)
            .join(Survey, Survey.id == Response.survey_id)
            .where(Survey.kind == "nps", Response.contact_id.in_(ids), Response.score.is_not(None))
            .order_by(Response.answered_at)
        ):
            latest[contact_id] = score
    by_bucket = {"promoter": 0, "passive": 0, "detractor": 0, "no score": 0}
    for contact in chosen:
        by_bucket[bucket("nps", latest.get(contact.id)) or "no score"] += 1
    return CampaignAudience(chosen, {k: v for k, v in skipped.items() if v}, by_bucket)


def create_review_campaign(
    session: Session,
    *,
    site: str,
    subject: str,
    body: str,
    user: User | None,
    budget_days: int,
    now: datetime | None = None,
) -> tuple[ReviewCampaign, list[AdvocacyInvite]]:
    """One identical, approved review-site invite per eligible contact; the caller sends them."""
    if site not in REVIEW_SITES:
        raise ValueError(f"Unknown review site {site!r}.")
    audience = campaign_audience(session, budget_days, now)
    campaign = ReviewCampaign(
        site=site,
        subject=subject.strip()[:300],
        body=body.strip(),
        eligible=len(audience.contacts),
        skipped=audience.skipped,
        created_by_id=user.id if user else None,
        created_at=now or utcnow(),
    )
    session.add(campaign)
    session.flush()
    product = product_name(session)
    sender = sender_name(product)
    invites = []
    for contact in audience.contacts:
        advocate = session.scalar(select(Advocate).where(Advocate.contact_id == contact.id))
        invite = AdvocacyInvite(
            contact_id=contact.id,
            account_id=contact.account_id,
            ask_type="review_site",
            site=site,
            campaign_id=campaign.id,
            advocate_type=advocate.advocate_type if advocate else None,
            status="approved",
            approved_at=now or utcnow(),
            approved_by_id=user.id if user else None,
            subject=fill(campaign.subject, contact, "", product, sender, REVIEW_SITES[site])[:300],
            body=fill(campaign.body, contact, "", product, sender, REVIEW_SITES[site]),
        )
        session.add(invite)
        invites.append(invite)
    session.flush()
    return campaign, invites


# ---------------------------------------------------------------- the sweep


def expire_invites(session: Session, now: datetime | None = None) -> int:
    """Sent invites nobody answered in time become expired (their links die with them)."""
    now = now or utcnow()
    result = session.execute(
        update(AdvocacyInvite)
        .where(
            AdvocacyInvite.status == "sent",
            AdvocacyInvite.expires_at.is_not(None),
            AdvocacyInvite.expires_at <= now,
        )
        .values(status="expired", link_nonce=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(result.rowcount or 0)


def due_scheduled_sends(session: Session, now: datetime | None = None) -> list[int]:
    """Approved invites whose ask budget has opened up."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(AdvocacyInvite.id)
            .where(
                AdvocacyInvite.status == "approved",
                AdvocacyInvite.send_after.is_not(None),
                AdvocacyInvite.send_after <= now,
            )
            .order_by(AdvocacyInvite.send_after)
            .limit(500)
        )
    )


def status_counts(session: Session) -> dict[str, int]:
    """Invites per status, for the hub's tabs."""
    return {
        s: n
        for s, n in session.execute(
            select(AdvocacyInvite.status, func.count(AdvocacyInvite.id)).group_by(AdvocacyInvite.status)
        )
    }


def asked_via(session: Session, contact: Contact) -> str | None:
    """Whether the contact's last ask was an advocacy invite or a survey, for the 'last asked' column."""
    if contact.last_asked_at is None:
        return None
    sent = session.scalar(
        select(func.max(AdvocacyInvite.sent_at)).where(AdvocacyInvite.contact_id == contact.id)
    )
    return "advocacy invite" if sent is not None and sent >= contact.last_asked_at else "survey"


def campaign_invite_summary(session: Session, campaign_id: int) -> dict[str, int]:
    """A campaign's invites per status."""
    return {
        s: n
        for s, n in session.execute(
            select(AdvocacyInvite.status, func.count(AdvocacyInvite.id))
            .where(AdvocacyInvite.campaign_id == campaign_id)
            .group_by(AdvocacyInvite.status)
        )
    }


def invite_context(invite: AdvocacyInvite) -> dict[str, Any]:
    """Labels the email and the public pages share."""
    return {
        "ask_label": ASKS.get(invite.ask_type, (invite.ask_type, None))[0],
        "site_label": REVIEW_SITES.get(invite.site or "", ""),
    }
