"""Builders shared by the insights tests: a taxonomy, accounts on plans, and analysed answers via the real worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from survey.database import utcnow
from survey.models import Category, Response, Verbatim
from survey.services import insights_facts
from tests.factories import make_account, make_contact, make_survey, make_user


def seed_taxonomy(session: Any) -> None:
    from nlp.taxonomy import Taxonomy

    for c in Taxonomy.default().categories:
        session.add(Category(key=c.key, name=c.name, description=c.description, seed_examples=c.seed_examples))
    session.flush()


def answer(client: Any, key: str, score: int, comment: str, email: str | None = None) -> int:
    body: dict[str, Any] = {"score": score, "comment": comment}
    if email:
        body["email"] = email
    resp = client.post(f"/s/{key}/responses", json=body)
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    return int(resp.get_json()["response_id"])


def backdate(session: Any, response_id: int, when: datetime) -> None:
    """Move an answer (and its verbatim) into the past, then let the read model see it."""
    session.execute(update(Response).where(Response.id == response_id).values(answered_at=when))
    session.execute(update(Verbatim).where(Verbatim.response_id == response_id).values(created_at=when))
    session.flush()


def build_history(client: Any, session: Any, run_worker: Any, answers: list[tuple[int, str, str, int]]) -> dict[str, Any]:
    """Answers (score, comment, plan, days ago) from contacts at accounts on those plans, analysed by the worker."""
    seed_taxonomy(session)
    owner = make_user(session, role="csm", email="owner@example.com", name="Olivia Owner")
    make_user(session, role="product", email="product@example.com", name="Pat Product")
    survey = make_survey(session, key="ins-nps", name="Relationship NPS")
    accounts = {}
    for plan, arr, segment in (("Starter", 8_000, "SMB"), ("Growth", 40_000, "Mid-market"),
                               ("Enterprise", 300_000, "Enterprise")):
        accounts[plan] = make_account(session, owner=owner, name=f"{plan} Co", plan=plan, arr=arr, segment=segment)
    session.commit()
    ids = []
    for i, (score, comment, plan, days_ago) in enumerate(answers):
        contact = make_contact(session, accounts[plan], name=f"Casey Contact{i}", email=f"c{i}@{plan.lower()}.example")
        session.commit()
        rid = answer(client, "ins-nps", score, comment, contact.email)
        ids.append(rid)
        if days_ago:
            backdate(session, rid, utcnow() - timedelta(days=days_ago))
    session.commit()
    run_worker()
    session.expire_all()
    insights_facts.rebuild(session)
    session.commit()
    return {"survey": survey, "accounts": accounts, "owner": owner, "response_ids": ids}


def label(session: Any, response_id: int, categories: list[str], sentiment: str, praise: bool = False) -> int:
    """Pin a verbatim's analysis with human labels, so tests do not depend on the model's judgement."""
    from survey.services.learning import record_correction

    verbatim = verbatim_of(session, response_id)
    record_correction(session, verbatim, "categories", categories, None)
    record_correction(session, verbatim, "sentiment", sentiment, None)
    record_correction(session, verbatim, "praise", praise, None)
    return verbatim.id


def row_ids(html: str) -> list[int]:
    """Verbatim ids of the rows on a rendered list, in order."""
    import re

    return [int(x) for x in re.findall(r'id="row-(\d+)"', html)]


def verbatim_of(session: Any, response_id: int) -> Verbatim:
    return session.scalar(select(Verbatim).where(Verbatim.response_id == response_id))


def login(client: Any, email: str, password: str = "password123") -> None:
    from tests.test_web import login as web_login

    resp = web_login(client, email, password)
    assert resp.status_code == 303, resp.get_data(as_text=True)
