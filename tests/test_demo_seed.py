"""The demo seed behind `feedloop seed-demo`: varied, linked, pending data for a visitor's first look."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey import demo
from survey.models import Account, Category, Contact, Response, Survey, User, Verbatim
from survey.scoring import bucket
from survey.services.users import verify_password

NOW = datetime(2025, 6, 2, 12, 0)


@pytest.fixture
def seeded(db_session: Session) -> demo.SeedResult:
    result = demo.seed(db_session, now=NOW)
    assert result is not None
    return result


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_creates_the_promised_minimums(db_session: Session, seeded: demo.SeedResult) -> None:
    """At least 10 accounts, 60 contacts and 300 NPS answers, and the result counts what was stored."""
    nps_answers = db_session.scalar(
        select(func.count(Response.id)).join(Survey).where(Survey.public_key == "demo-nps")
    )
    assert seeded.accounts == _count(db_session, Account) >= 10
    assert seeded.contacts == _count(db_session, Contact) >= 60
    assert seeded.responses == _count(db_session, Response)
    assert nps_answers is not None and nps_answers >= 300


def test_demo_surveys_match_the_public_demo_link(db_session: Session, seeded: demo.SeedResult) -> None:
    """/s/demo-nps is an active, non-anonymous Pipewise NPS survey, alongside a support CSAT survey."""
    surveys = {s.public_key: s for s in db_session.scalars(select(Survey))}
    nps_survey = surveys["demo-nps"]
    assert (nps_survey.kind, nps_survey.status, nps_survey.anonymous) == ("nps", "active", False)
    assert nps_survey.product_name == "Pipewise" and "Pipewise" in nps_survey.question
    assert surveys["demo-csat"].kind == "csat"


def test_one_staff_user_per_role_with_the_demo_password(db_session: Session, seeded: demo.SeedResult) -> None:
    """Every role can log in with its documented demo email and demo1234, and the CSMs own accounts."""
    users = {u.email: u for u in db_session.scalars(select(User))}
    expected = {"admin@example.com": "admin", "csm@example.com": "csm", "csm2@example.com": "csm",
                "product@example.com": "product", "marketing@example.com": "marketing"}
    assert {email: users[email].role for email in expected} == expected
    assert verify_password(users["csm@example.com"].password_hash, demo.DEMO_PASSWORD)
    owners = set(db_session.scalars(select(Account.owner_id)))
    assert {users["csm@example.com"].id, users["csm2@example.com"].id, None} <= owners


def test_every_nps_bucket_is_present_in_a_realistic_mix(db_session: Session, seeded: demo.SeedResult) -> None:
    """Promoters, passives and detractors (including 0-3 scores) all appear, roughly 45/30/25."""
    scores = list(db_session.scalars(
        select(Response.score).join(Survey).where(Survey.public_key == "demo-nps")
    ))
    buckets = Counter(bucket("nps", s) for s in scores)
    assert set(buckets) == {"promoter", "passive", "detractor"}
    assert 0.35 < buckets["promoter"] / len(scores) < 0.55
    assert 0.15 < buckets["detractor"] / len(scores) < 0.35
    assert any(s is not None and s <= 3 for s in scores)


def test_answers_fall_within_the_last_180_days(db_session: Session, seeded: demo.SeedResult) -> None:
    """Timestamps are relative to `now`, and contact.last_asked_at is each contact's latest answer."""
    answered = list(db_session.scalars(select(Response.answered_at)))
    assert all(NOW - timedelta(days=180) <= t <= NOW for t in answered)
    latest = dict(db_session.execute(
        select(Response.contact_id, func.max(Response.answered_at)).group_by(Response.contact_id)
    ).all())
    for contact in db_session.scalars(select(Contact).where(Contact.id.in_(latest))):
        assert contact.last_asked_at == latest[contact.id]


def test_verbatims_are_varied_and_come_from_several_channels(
    db_session: Session, seeded: demo.SeedResult
) -> None:
    """At least 150 distinct texts, and tickets, emails, reviews and notes with unique external ids."""
    verbatims = list(db_session.scalars(select(Verbatim)))
    assert len({v.text for v in verbatims}) >= 150
    sources = Counter(v.source for v in verbatims)
    assert {"survey", "support_ticket", "email", "review", "note"} <= set(sources)
    others = [v for v in verbatims if v.source != "survey"]
    assert len(others) >= 25
    assert all(v.external_id and v.response_id is None for v in others)
    assert len({(v.source, v.external_id) for v in others}) == len(others)


def test_survey_comments_link_to_their_response_contact_and_account(
    db_session: Session, seeded: demo.SeedResult
) -> None:
    """Each survey comment points at its response and that response's contact and account."""
    rows = db_session.execute(
        select(Verbatim, Response).join(Response, Verbatim.response_id == Response.id)
    ).all()
    assert len(rows) == db_session.scalar(select(func.count(Verbatim.id)).where(Verbatim.source == "survey"))
    for verbatim, response in rows:
        assert (verbatim.contact_id, verbatim.account_id) == (response.contact_id, response.account_id)
        assert verbatim.contact_id is not None and verbatim.account_id is not None


def test_every_verbatim_is_pending_and_returned_for_queueing(
    db_session: Session, seeded: demo.SeedResult
) -> None:
    """All created verbatims await analysis, and verbatim_ids lists exactly them for the caller to enqueue."""
    statuses = dict(db_session.execute(select(Verbatim.id, Verbatim.analysis_status)).all())
    assert sorted(seeded.verbatim_ids) == sorted(statuses)
    assert set(statuses.values()) == {"pending"}


def test_categories_are_seeded_from_the_default_taxonomy(
    db_session: Session, seeded: demo.SeedResult
) -> None:
    """One named category per taxonomy key, so analysis and filters use the same taxonomy."""
    keys = [key for key, *_ in demo._default_taxonomy()]
    categories = list(db_session.scalars(select(Category)))
    assert sorted(c.key for c in categories) == sorted(keys)
    assert all(c.name and c.description for c in categories)


def test_only_if_empty_seeds_once(db_session: Session) -> None:
    """The second `seed-demo --if-empty` returns None and adds nothing."""
    assert demo.seed(db_session, only_if_empty=True, now=NOW) is not None
    models = (User, Account, Contact, Response, Verbatim, Category)
    before = {model: _count(db_session, model) for model in models}
    assert demo.seed(db_session, only_if_empty=True, now=NOW) is None
    assert {model: _count(db_session, model) for model in before} == before


def test_only_if_empty_skips_a_database_with_any_survey(db_session: Session) -> None:
    """A database that already has a user's own survey is left alone."""
    db_session.add(Survey(public_key="customer-owned", name="Ours", question="How likely...?"))
    db_session.flush()
    assert demo.seed(db_session, only_if_empty=True, now=NOW) is None
    assert _count(db_session, Account) == 0


def test_seed_reuses_staff_created_before_it(db_session: Session) -> None:
    """An admin made with create-user before seeding keeps their row and password; the rest are added."""
    db_session.add(User(email="admin@example.com", name="Real Admin", role="admin", password_hash="kept"))
    db_session.flush()
    assert demo.seed(db_session, now=NOW) is not None
    admin = db_session.scalar(select(User).where(User.email == "admin@example.com"))
    assert admin is not None and admin.password_hash == "kept"
    assert _count(db_session, User) == 5
