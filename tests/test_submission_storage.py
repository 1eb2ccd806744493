"""What one accepted answer writes: the response and, when it needs analysis, its verbatim, complete and linked.

On PostgreSQL both rows come from one statement, on SQLite from two; the rows must be the same either way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from survey.models import Response, Verbatim
from tests.factories import make_account, make_contact, make_survey


def test_a_known_contacts_comment_is_stored_linked_and_waiting_for_analysis(client: Any, db_session: Any) -> None:
    make_survey(db_session, key="store-nps")
    account = make_account(db_session)
    contact = make_contact(db_session, account, email="ro@customer.example")
    db_session.commit()
    resp = client.post("/s/store-nps/responses", json={"score": 4, "comment": "Exports time out.",
                                                       "email": "Ro@Customer.example", "submission_id": "s-1"})
    assert resp.status_code == 201
    db_session.expire_all()
    response = db_session.get(Response, resp.get_json()["response_id"])
    verbatim = db_session.scalar(select(Verbatim).where(Verbatim.response_id == response.id))
    assert (response.contact_id, response.account_id, response.score) == (contact.id, account.id, 4)
    assert (verbatim.text, verbatim.source, verbatim.contact_id, verbatim.account_id) == (
        "Exports time out.", "survey", contact.id, account.id)
    assert (verbatim.analysis_status, verbatim.analysis_attempts) == ("pending", 0)
    assert verbatim.created_at == response.answered_at


def test_a_silent_detractor_gets_an_empty_verbatim_and_a_silent_promoter_none(client: Any, db_session: Any) -> None:
    make_survey(db_session, key="store-nps")
    db_session.commit()
    detractor = client.post("/s/store-nps/responses", json={"score": 2})
    promoter = client.post("/s/store-nps/responses", json={"score": 10})
    assert detractor.status_code == promoter.status_code == 201
    db_session.expire_all()
    texts = db_session.execute(select(Verbatim.response_id, Verbatim.text, Verbatim.analysis_status)).all()
    assert texts == [(detractor.get_json()["response_id"], "", "pending")]


def test_a_repeated_submission_writes_nothing_new(client: Any, db_session: Any) -> None:
    make_survey(db_session, key="store-nps")
    db_session.commit()
    first = client.post("/s/store-nps/responses", json={"score": 3, "comment": "Slow.", "submission_id": "dup-1"})
    again = client.post("/s/store-nps/responses", json={"score": 3, "comment": "Slow.", "submission_id": "dup-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["response_id"] == first.get_json()["response_id"]
    assert db_session.scalar(select(func.count(Response.id))) == 1
    assert db_session.scalar(select(func.count(Verbatim.id))) == 1
