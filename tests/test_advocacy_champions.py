"""Champions who move: detection on a domain or company change, outreach, and second-order customers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from survey.models import AdvocacyInvite, ChampionMove
from survey.services.advocacy import detect_champion_moved, ensure_advocate
from survey.services.advocacy_metrics import second_order
from survey.services.invites import draft_invite, record_activity
from tests.advocacy_helpers import count, csrf_of, sign_in
from tests.factories import make_account, make_contact, make_user


def _advocate(db_session: Any, **kw: Any) -> Any:
    csm = make_user(db_session, role="csm", name="Jordan Lee")
    account = make_account(db_session, owner=csm, name="Lumen Learning Co", domain="lumenlearning.example")
    contact = make_contact(
        db_session,
        account,
        email="tessa.kim@lumenlearning.example",
        name="Tessa Kim",
        marketing_consent=True,
        **kw,
    )
    ensure_advocate(db_session, contact)
    db_session.commit()
    return contact


def test_edit_to_a_new_domain_flags_champion_moved(client: Any, db_session: Any) -> None:
    """A marketer edits a known advocate's email to a new company's domain: one move, outreach suggested."""
    contact = _advocate(db_session)
    waiting = draft_invite(db_session, contact, None, None)
    db_session.commit()
    sign_in(client, db_session)
    url = f"/advocacy/contacts/{contact.id}/edit"
    token = csrf_of(client.get(url).get_data(as_text=True))
    resp = client.post(
        url,
        data={
            "csrf_token": token,
            "name": "Tessa Kim",
            "email": "tessa@harborline.example",
            "account_id": "",
            "marketing_consent": "on",
        },
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/advocacy/champions")
    move = db_session.scalar(select(ChampionMove))
    assert (move.old_email, move.new_email, move.new_company, move.source) == (
        "tessa.kim@lumenlearning.example",
        "tessa@harborline.example",
        "harborline.example",
        "edit",
    )
    assert (
        db_session.get(AdvocacyInvite, waiting.id).status == "on_hold"
    )  # her words were about the old company
    page = client.get("/advocacy/champions").get_data(as_text=True)
    assert "Champion moved" in page and "a warm lead" in page


def test_move_to_an_existing_customer_names_it_and_its_csm(db_session: Any) -> None:
    """An account change to a known customer records that company and suggests an intro to its CSM."""
    contact = _advocate(db_session)
    owner = make_user(db_session, role="csm", name="Casey Morgan")
    target = make_account(db_session, owner=owner, name="Northwind Freight", domain="northwind.example")
    old_email, old_account = contact.email, contact.account_id
    contact.email, contact.account_id = "tessa.kim@northwind.example", target.id
    move = detect_champion_moved(db_session, contact, old_email, old_account, source="api")
    assert move is not None and (move.new_company, move.new_account_id) == ("Northwind Freight", target.id)
    from survey.services.advocacy import outreach_suggestion

    assert "introduce Tessa to Casey Morgan" in outreach_suggestion(move)


def test_not_every_change_is_a_move(db_session: Any) -> None:
    """Non-advocates, unchanged domains and a switch to personal mail are not moves; a repeat adds nothing."""
    contact = _advocate(db_session)
    stranger = make_contact(db_session, make_account(db_session), email="x@one.example")
    old = stranger.email
    stranger.email = "x@two.example"
    assert detect_champion_moved(db_session, stranger, old, stranger.account_id) is None
    old = contact.email
    contact.email = "tessa@lumenlearning.example"
    assert detect_champion_moved(db_session, contact, old, contact.account_id) is None
    contact.email = "tessa.kim@gmail.com"
    assert detect_champion_moved(db_session, contact, old, contact.account_id) is None
    contact.email = "tessa@harborline.example"
    first = detect_champion_moved(db_session, contact, old, contact.account_id, source="import")
    again = detect_champion_moved(db_session, contact, old, contact.account_id, source="import")
    assert first is not None and first.id == again.id and count(db_session, ChampionMove) == 1


def test_second_order_customers_count_deals_and_later_referrals(db_session: Any) -> None:
    """A deal at the champion's new company and a referral they make afterwards are second-order customers."""
    contact = _advocate(db_session)
    record_activity(
        db_session,
        contact=contact,
        activity_type="referral",
        occurred_on=date(2025, 1, 5),
        user=None,
        referred_company="Before The Move Ltd",
        pipeline_value=10_000,
        won_revenue=10_000,
    )
    old = contact.email
    contact.email = "tessa@harborline.example"
    move = detect_champion_moved(db_session, contact, old, contact.account_id, source="import")
    assert move is not None
    move.detected_at = datetime(2025, 4, 1)
    record_activity(
        db_session,
        contact=contact,
        activity_type="new_company_deal",
        occurred_on=date(2025, 5, 1),
        user=None,
        referred_company="Harborline Logistics",
        pipeline_value=58_000,
        won_revenue=58_000,
        champion_move=move,
    )
    record_activity(
        db_session,
        contact=contact,
        activity_type="referral",
        occurred_on=date(2025, 5, 20),
        user=None,
        referred_company="Saltmarsh Insurance",
        pipeline_value=45_000,
        won_revenue=38_000,
    )
    record_activity(
        db_session,
        contact=contact,
        activity_type="referral",
        occurred_on=date(2025, 5, 21),
        user=None,
        referred_company="Still Open Inc",
        pipeline_value=20_000,
    )
    result = second_order(db_session)
    assert result["customers"] == 2 and result["revenue"] == 96_000
    assert result["names"] == ["Harborline Logistics", "Saltmarsh Insurance"]
    assert move.status == "won"
