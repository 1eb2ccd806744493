"""Demo history for the advocate hub: invites at every stage, acts, referral revenue, champion moves.

Runs after the demo verbatims were analysed and acted on (flags, advocates and drafts exist). Everything
is dated relative to `now` and drawn from one seeded random generator; a second run changes nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import (
    Account,
    AdvocacyActivity,
    AdvocacyInvite,
    Advocate,
    Contact,
    PraiseNotice,
    ReviewCampaign,
    User,
)
from survey.services.advocacy import detect_champion_moved
from survey.services.invites import (
    DEFAULT_TEMPLATES,
    REVIEW_SITES,
    fill,
    product_name,
    record_activity,
    sender_name,
)

MARKETER = "marketing@example.com"
# (company, pipeline, won) per referral the demo's advocates brought in
REFERRALS = (
    ("Granite Peak Software", 64_000, 52_000),
    ("Larkspur Biotech", 120_000, 0),
    ("Saltmarsh Insurance", 45_000, 38_000),
    ("Redfern Mobility", 88_000, 0),
    ("Ashgrove Capital", 150_000, 96_000),
)
MOVED_TO = ("Harborline Logistics", "harborline.example")


def seed_advocacy_demo(session: Session, now: datetime | None = None) -> None:
    """Fill the hub: invites sent, answered and completed, activities, a review campaign, moves."""
    if session.scalar(select(func.count(AdvocacyActivity.id))):
        return  # already seeded (or real activity exists: leave it alone)
    now = now or utcnow()
    rng = random.Random(7)
    marketer = session.scalar(select(User).where(User.email == MARKETER))
    # History first: the oldest drafts (held today because a recovery task opened now, or not) were sent
    # months ago and answered; then a few current drafts from healthy accounts are approved or just sent.
    waiting = list(
        session.scalars(
            select(AdvocacyInvite)
            .where(AdvocacyInvite.status.in_(("drafted", "on_hold")))
            .order_by(AdvocacyInvite.created_at, AdvocacyInvite.id)
        )
    )
    for invite in waiting:  # a demo draft dates from the comment it quotes (the seed analysed months at once)
        if invite.verbatim is not None and invite.verbatim.created_at < invite.created_at:
            invite.created_at = invite.verbatim.created_at + timedelta(hours=rng.randint(2, 20))
    waiting.sort(key=lambda i: (i.created_at, i.id))
    history = [i for i in waiting if (now - i.created_at).days >= 30]
    current = [i for i in waiting if i.status == "drafted" and i not in history[:16]]
    plan_history = ["completed"] * 8 + ["accepted"] * 3 + ["declined"] * 3 + ["expired"] * 2
    plan_current = ["sent"] * 2 + ["approved"]
    past = history[: len(plan_history)]
    present = current[::-1][: len(plan_current)]  # the newest drafts
    plan = plan_history[: len(past)] + plan_current[: len(present)]
    invites = past + present
    done = 0
    for invite, target in zip(invites, plan, strict=False):
        invite.held_from = invite.hold_reason = None
        invite.status = "drafted"
        age = max((now - invite.created_at).days, 6)
        sent_at = invite.created_at + timedelta(days=min(3, age // 3), hours=rng.randint(1, 8))
        if target == "approved":
            invite.status, invite.approved_at = "approved", now - timedelta(hours=rng.randint(2, 30))
            invite.approved_by_id = marketer.id if marketer else None
            asked = invite.contact.last_asked_at
            if asked is not None and asked > now - timedelta(days=30):
                invite.send_after = asked + timedelta(days=30)  # waits for the shared ask budget
            continue
        invite.approved_at, invite.approved_by_id = (
            sent_at - timedelta(hours=2),
            marketer.id if marketer else None,
        )
        invite.status, invite.sent_at = "sent", sent_at
        invite.expires_at = sent_at + timedelta(days=21)
        invite.link_nonce = f"demo{invite.id:028d}"
        contact = invite.contact
        if contact.last_asked_at is None or contact.last_asked_at < sent_at:
            contact.last_asked_at = sent_at
        if target == "sent":
            invite.sent_at = now - timedelta(days=rng.randint(1, 6))
            invite.expires_at = invite.sent_at + timedelta(days=21)
            contact.last_asked_at = max(contact.last_asked_at, invite.sent_at)
            continue
        if target == "expired":
            invite.status, invite.link_nonce = "expired", None
            continue
        invite.status = "declined" if target == "declined" else "accepted"
        invite.responded_at = sent_at + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 9))
        invite.link_nonce = None
        if target == "declined":
            invite.response_note = rng.choice(("Swamped this quarter, maybe later.", None))
        if target == "completed":
            activity_type = invite.ask_type  # they did what they were asked
            occurred = (invite.responded_at + timedelta(days=rng.randint(5, 20))).date()
            company, pipeline, won = (
                REFERRALS[done % len(REFERRALS)] if activity_type == "referral" else (None, 0, 0)
            )
            activity = record_activity(
                session,
                contact=contact,
                invite=invite,
                user=marketer,
                activity_type=activity_type,
                occurred_on=min(occurred, now.date()),
                referred_company=company,
                pipeline_value=pipeline,
                won_revenue=won,
                link=None
                if activity_type == "referral"
                else f"https://pipewise.example/customers/{_slug(contact)}",
            )
            activity.created_at = datetime.combine(activity.occurred_on, datetime.min.time())
            invite.completed_at = activity.created_at
            done += 1
    _referrals(session, rng, marketer, now)
    _review_campaign(session, rng, marketer, now)
    _champion_moves(session, marketer, now)
    for notice in session.scalars(
        select(PraiseNotice).where(PraiseNotice.created_at < now - timedelta(days=10))
    ):
        notice.read_at = notice.emailed_at = notice.created_at + timedelta(hours=3)
    session.flush()


def _referrals(session: Session, rng: random.Random, marketer: User | None, now: datetime) -> None:
    """Referrals advocates made on their own, spread over the last months, some already won."""
    advocates = list(
        session.scalars(
            select(Advocate)
            .join(Contact, Contact.id == Advocate.contact_id)
            .where(Contact.marketing_consent.is_(True))
            .order_by(Advocate.id)
        )
    )
    rng.shuffle(advocates)
    for advocate, (company, pipeline, won) in zip(advocates, REFERRALS, strict=False):
        day = (now - timedelta(days=rng.randint(8, 160))).date()
        activity = record_activity(
            session,
            contact=advocate.contact,
            user=marketer,
            activity_type="referral",
            occurred_on=day,
            referred_company=company,
            pipeline_value=pipeline,
            won_revenue=won,
            notes="Introduced by email to our AE.",
        )
        activity.created_at = datetime.combine(day, datetime.min.time())
    reviewers = advocates[len(REFERRALS) : len(REFERRALS) + 4]
    for advocate in reviewers:
        day = (now - timedelta(days=rng.randint(10, 120))).date()
        site = rng.choice(sorted(REVIEW_SITES))
        activity = record_activity(
            session,
            contact=advocate.contact,
            user=marketer,
            activity_type=rng.choice(("community_answer", "beta_programme", "panel")),
            occurred_on=day,
            link=f"https://community.pipewise.example/t/{site}-{advocate.id}",
        )
        activity.created_at = datetime.combine(day, datetime.min.time())


def _review_campaign(session: Session, rng: random.Random, marketer: User | None, now: datetime) -> None:
    """A past G2 campaign that asked everyone eligible alike, with its answers."""
    started = now - timedelta(days=75)
    pending = set(session.scalars(select(AdvocacyInvite.contact_id)))
    contacts = [
        c
        for c in session.scalars(
            select(Contact)
            .where(Contact.marketing_consent.is_(True), Contact.unsubscribed.is_(False))
            .order_by(Contact.id)
        )
        if c.id not in pending
    ]
    chosen = contacts[:12]
    subject, body = DEFAULT_TEMPLATES["review_site"]
    campaign = ReviewCampaign(
        site="g2",
        subject=subject,
        body=body,
        eligible=len(chosen),
        skipped={"no consent": 40, "asked recently": 18, "open recovery task": 9},
        created_at=started,
        created_by_id=marketer.id if marketer else None,
    )
    session.add(campaign)
    session.flush()
    product = product_name(session)
    for contact in chosen:
        outcome = rng.choice(("completed", "completed", "declined", "expired", "accepted"))
        invite = AdvocacyInvite(
            contact_id=contact.id,
            account_id=contact.account_id,
            ask_type="review_site",
            site="g2",
            campaign_id=campaign.id,
            status="sent",
            created_at=started,
            approved_at=started,
            sent_at=started,
            approved_by_id=marketer.id if marketer else None,
            expires_at=started + timedelta(days=21),
            subject=fill(subject, contact, "", product, sender_name(product), "G2")[:300],
            body=fill(body, contact, "", product, sender_name(product), "G2"),
        )
        session.add(invite)
        session.flush()
        contact.last_asked_at = max(contact.last_asked_at or started, started)
        if outcome == "expired":
            invite.status = "expired"
            continue
        invite.responded_at = started + timedelta(days=rng.randint(0, 6))
        invite.status = "declined" if outcome == "declined" else "accepted"
        if outcome == "completed":
            day = (invite.responded_at + timedelta(days=rng.randint(1, 5))).date()
            activity = record_activity(
                session,
                contact=contact,
                invite=invite,
                user=marketer,
                activity_type="review_site",
                occurred_on=day,
                link=f"https://www.g2.com/products/pipewise/reviews/{invite.id}",
            )
            activity.created_at = datetime.combine(day, datetime.min.time())


def _champion_moves(session: Session, marketer: User | None, now: datetime) -> None:
    """Two champions change jobs: one to a prospect (already a won deal), one to an existing customer."""
    champions = list(
        session.scalars(
            select(Advocate)
            .join(AdvocacyActivity, AdvocacyActivity.advocate_id == Advocate.id)
            .group_by(Advocate.id)
            .order_by(func.sum(AdvocacyActivity.points).desc(), Advocate.id)
            .limit(6)
        )
    )
    if not champions:
        return
    first = champions[0].contact
    old_email, old_account = first.email, first.account_id
    local = old_email.split("@")[0]
    first.email, first.account_id = f"{local}@{MOVED_TO[1]}", None
    session.flush()
    move = detect_champion_moved(session, first, old_email, old_account, source="import")
    if move is not None:
        move.new_company = MOVED_TO[0]
        move.detected_at = now - timedelta(days=40)
        move.status = "won"
        move.note = "Reached out the week she started; signed a Growth plan."
        activity = record_activity(
            session,
            contact=first,
            user=marketer,
            activity_type="new_company_deal",
            occurred_on=(now - timedelta(days=12)).date(),
            referred_company=MOVED_TO[0],
            pipeline_value=58_000,
            won_revenue=58_000,
            champion_move=move,
            notes="Second-order customer: our champion's new company.",
        )
        activity.created_at = now - timedelta(days=12)
    if len(champions) > 1:
        second = champions[1].contact
        target = session.scalar(
            select(Account)
            .where(Account.id != second.account_id, Account.owner_id.is_not(None))
            .order_by(Account.arr.desc())
            .limit(1)
        )
        if target is not None and target.domain:
            old_email, old_account = second.email, second.account_id
            second.email, second.account_id = f"{second.email.split('@')[0]}@{target.domain}", target.id
            session.flush()
            moved = detect_champion_moved(session, second, old_email, old_account, source="api")
            if moved is not None:
                moved.detected_at = now - timedelta(days=2)


def _slug(contact: Contact) -> str:
    """The customer's domain name without its TLD, for a believable story URL."""
    domain = contact.account.domain if contact.account else None
    return (domain or "story").split(".")[0]
