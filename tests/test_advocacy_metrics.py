"""CS-qualified advocates per CSM and segment, conversion by ask and type, referral revenue, points."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from survey.models import Advocate
from survey.services import advocacy_metrics as metrics
from survey.services.advocacy import ensure_advocate
from survey.services.invites import draft_invite, record_activity
from tests.advocacy_helpers import sign_in
from tests.factories import make_account, make_contact, make_user

NOW = datetime(2025, 6, 15, 12, 0)


def _book(db_session: Any) -> dict[str, Any]:
    """Casey (Enterprise) gets three advocates over two months, Jordan (SMB) one; one unowned account one."""
    casey = make_user(db_session, role="csm", name="Casey Morgan")
    jordan = make_user(db_session, role="csm", name="Jordan Lee")
    big = make_account(db_session, owner=casey, segment="Enterprise")
    small = make_account(db_session, owner=jordan, segment="SMB")
    orphan = make_account(db_session, segment="SMB")
    people = {}
    for name, account, created in (
        ("a", big, datetime(2025, 5, 3)),
        ("b", big, datetime(2025, 6, 1)),
        ("c", big, datetime(2025, 6, 9)),
        ("d", small, datetime(2025, 6, 2)),
        ("e", orphan, datetime(2024, 12, 1)),
    ):
        contact = make_contact(db_session, account, marketing_consent=True, name=f"Person {name.upper()}")
        ensure_advocate(db_session, contact, at=created)
        people[name] = contact
    return {"casey": casey, "jordan": jordan, "people": people}


def test_csqa_counts_per_csm_and_segment_over_time(db_session: Any) -> None:
    """Advocates are credited to the account's CSM and segment in the month they appeared."""
    _book(db_session)
    series = metrics.csqa_over_time(db_session, months=3, now=NOW)
    assert series["labels"] == ["Apr 2025", "May 2025", "Jun 2025"]
    by_csm = {s["label"]: s["data"] for s in series["by_csm"]}
    assert by_csm == {"Casey Morgan": [0, 1, 2], "Jordan Lee": [0, 0, 1]}  # December's is outside the window
    by_segment = {s["label"]: s["data"] for s in series["by_segment"]}
    assert by_segment == {"Enterprise": [0, 1, 2], "SMB": [0, 0, 1]}
    board = metrics.csm_leaderboard(db_session, now=NOW)
    assert [(r.name, r.advocates, r.last_90_days) for r in board] == [
        ("Casey Morgan", 3, 3),
        ("Jordan Lee", 1, 1),
        ("No CSM", 1, 0),
    ]
    assert metrics.segment_totals(db_session) == [("Enterprise", 3), ("SMB", 2)]


def test_csqa_credit_stays_with_the_csm_of_the_day(db_session: Any) -> None:
    """A later change of account owner does not move advocates already credited."""
    book = _book(db_session)
    account = book["people"]["a"].account
    account.owner_id = book["jordan"].id
    ensure_advocate(db_session, book["people"]["a"])  # a new signal from the same person
    advocate = db_session.scalar(select(Advocate).where(Advocate.contact_id == book["people"]["a"].id))
    assert advocate.csm_id == book["casey"].id


def test_conversion_by_ask_and_advocate_type(db_session: Any) -> None:
    """Only sent invites count; accepted and completed ones convert."""
    people = _book(db_session)["people"]
    statuses = {"a": "completed", "b": "declined", "c": "accepted", "d": "drafted"}
    for key, status in statuses.items():
        invite = draft_invite(
            db_session, people[key], None, None, ask_type="webinar" if key != "d" else "case_study"
        )
        invite.status = status
    db_session.flush()
    conversion = metrics.conversion(db_session)
    webinar = next(r for r in conversion["by_ask"] if r.key == "webinar")
    assert (webinar.sent, webinar.accepted, webinar.completed) == (3, 2, 1)
    assert round(webinar.rate or 0, 3) == 0.667
    assert all(r.key != "case_study" for r in conversion["by_ask"])
    assert [(r.key, r.sent) for r in conversion["by_type"]] == [("validator", 3)]


def test_referral_revenue_and_points_leaderboard(db_session: Any) -> None:
    """Referral pipeline and won revenue add up; points rank advocates (a won referral earns a bonus)."""
    people = _book(db_session)["people"]
    record_activity(
        db_session,
        contact=people["a"],
        activity_type="referral",
        occurred_on=date(2025, 6, 1),
        user=None,
        referred_company="Granite Peak",
        pipeline_value=64_000,
        won_revenue=52_000,
    )
    record_activity(
        db_session,
        contact=people["b"],
        activity_type="referral",
        occurred_on=date(2025, 6, 2),
        user=None,
        referred_company="Larkspur",
        pipeline_value=120_000,
    )
    record_activity(
        db_session, contact=people["b"], activity_type="review_site", occurred_on=date(2025, 6, 3), user=None
    )
    assert metrics.referral_totals(db_session) == {
        "referrals": 2,
        "pipeline": 184_000,
        "won": 52_000,
        "wins": 1,
    }
    board = metrics.advocate_leaderboard(db_session)
    assert [(r.advocate.contact.name, r.points, r.acts) for r in board] == [
        ("Person A", 150, 1),
        ("Person B", 80, 2),
    ]


def test_results_page_renders_charts_with_data_tables(client: Any, db_session: Any) -> None:
    """The results page carries chart data for Chart.js and the same numbers as tables (no inline script)."""
    _book(db_session)
    db_session.commit()
    sign_in(client, db_session)
    resp = client.get("/advocacy/insights")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "data-adv-chart=" in page and "CSQA leaderboard" in page
    assert "Casey Morgan" in page and "<script>" not in page
