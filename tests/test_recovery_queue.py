"""The recovery queue: priority ordering, SLA, permissions, filters in the URL and in-place htmx updates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Account, Analysis, Contact, RecoveryTask, Response, Survey, TaskEvent, User, Verbatim
from survey.services.actions import act_on_verbatim
from survey.services.recovery import add_business_days, sla_state
from tests.factories import make_account, make_contact, make_survey, make_user
from tests.test_web import login

SLA = {"high": 1, "medium": 3, "low": 5}
HIGH_ARR = 100_000


def analysed_verbatim(session: Session, *, account: Account | None, contact: Contact | None, score: int | None,
                      text: str, causes: tuple[tuple[str, str], ...] = (), praise: tuple[tuple[str, str], ...] = (),
                      churn: str | None = None, source: str = "survey", sentiment: str = "negative") -> Verbatim:
    """A verbatim with a stored analysis (root causes and praise with evidence spans), ready for the action job."""
    response = None
    if score is not None:
        survey = session.scalar(select(Survey).where(Survey.public_key == "rq-nps")) or make_survey(session, key="rq-nps")
        response = Response(survey_id=survey.id, contact_id=contact.id if contact else None,
                            account_id=account.id if account else None, score=score, answered_at=utcnow())
        session.add(response)
        session.flush()
    verbatim = Verbatim(text=text, source=source, response_id=response.id if response else None,
                        contact_id=contact.id if contact else None, account_id=account.id if account else None,
                        analysis_status="done", action_status="pending")
    session.add(verbatim)
    session.flush()

    def span(phrase: str) -> dict[str, Any]:
        start = text.index(phrase)
        return {"start": start, "end": start + len(phrase), "text": phrase}

    categories = [{"key": k, "confidence": 0.9, "polarity": "negative", "evidence": span(p)} for k, p in causes]
    categories += [{"key": k, "confidence": 0.8, "polarity": "positive", "evidence": span(p)} for k, p in praise]
    session.add(Analysis(verbatim_id=verbatim.id, model_version="test", sentiment=sentiment, categories=categories,
                         category_keys=[c["key"] for c in categories], churn_risk=churn is not None,
                         praise=bool(praise), evidence={"churn": [span(churn)] if churn else [], "praise": []}))
    session.flush()
    return verbatim


def make_task(session: Session, *, account: Account | None, contact: Contact | None, score: int | None = 4,
              text: str = "Reports are slow and exports time out.",
              causes: tuple[tuple[str, str], ...] = (("performance", "Reports are slow"),),
              praise: tuple[tuple[str, str], ...] = (), churn: str | None = None, source: str = "survey",
              due_in: timedelta | None = None) -> RecoveryTask:
    """A task opened by the real action service from an analysed verbatim; due_in moves its SLA clock."""
    verbatim = analysed_verbatim(session, account=account, contact=contact, score=score, text=text, causes=causes,
                                 praise=praise, churn=churn, source=source)
    outcome = act_on_verbatim(session, verbatim, sla_days=SLA, high_arr=HIGH_ARR)
    task = session.get(RecoveryTask, outcome.recovery_task_id)
    assert task is not None
    if due_in is not None:
        task.due_at = utcnow() + due_in
        task.created_at = min(task.created_at, task.due_at - timedelta(days=1))
    session.flush()
    return task


def csrf_headers(client: Any) -> dict[str, str]:
    """The CSRF token htmx sends from <body hx-headers>, for POSTs made the way the page makes them."""
    html = client.get("/recovery").get_data(as_text=True)
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return {"X-CSRFToken": match.group(1)}


def signed_in(client: Any, email: str) -> dict[str, str]:
    """Log in and return the CSRF header for later POSTs."""
    login(client, email)
    return csrf_headers(client)


def row_ids(html: str) -> list[int]:
    """Task ids in the order the queue lists them."""
    return [int(i) for i in re.findall(r'id="task-row-(\d+)"', html)]


def _book(db_session: Session, csm: User) -> dict[str, RecoveryTask]:
    """Four tasks whose stakes and deadlines put them in a known order."""
    soon = utcnow().date() + timedelta(days=10)
    big = make_account(db_session, owner=csm, name="Kestrel Robotics", arr=300_000, renewal_date=soon)
    mid = make_account(db_session, owner=csm, name="Halcyon Security", arr=50_000)
    small = make_account(db_session, owner=csm, name="Quarry Labs", arr=10_000)
    late = make_account(db_session, owner=csm, name="Bluebird Staffing", arr=10_000)
    tasks = {
        "big": make_task(db_session, account=big, contact=make_contact(db_session, big), score=2),
        "churn": make_task(db_session, account=mid, contact=make_contact(db_session, mid), score=None,
                           text="We are evaluating Gong before renewal.", causes=(),
                           churn="evaluating Gong", source="email"),
        "small": make_task(db_session, account=small, contact=make_contact(db_session, small), score=6),
        "late": make_task(db_session, account=late, contact=make_contact(db_session, late), score=6,
                          due_in=timedelta(days=-3)),
    }
    db_session.commit()
    return tasks


def test_queue_orders_by_arr_score_churn_renewal_and_time_left(client: Any, db_session: Session) -> None:
    """Big ARR + low score + renewal soon first, then churn talk, then an overdue small one, then the rest."""
    csm = make_user(db_session, role="csm", email="casey@example.com")
    tasks = _book(db_session, csm)
    login(client, "casey@example.com")
    html = client.get("/recovery").get_data(as_text=True)
    assert row_ids(html) == [tasks[k].id for k in ("big", "churn", "late", "small")]
    assert "renews in 10 days" in html and "talks about leaving" in html and "overdue 3d" in html
    # Sorting by ARR is a choice in the URL.
    html = client.get("/recovery?sort=arr").get_data(as_text=True)
    assert row_ids(html)[0] == tasks["big"].id and row_ids(html)[1] == tasks["churn"].id


def test_filters_and_sort_live_in_the_url(client: Any, db_session: Session) -> None:
    """Priority, reason, root cause and search narrow the rows; tab links keep the other filters."""
    csm = make_user(db_session, role="csm", email="casey@example.com")
    tasks = _book(db_session, csm)
    login(client, "casey@example.com")
    html = client.get("/recovery?reason=churn_risk&sort=due").get_data(as_text=True)
    assert row_ids(html) == [tasks["churn"].id]
    assert 'href="/recovery?scope=unassigned&amp;sort=due&amp;reason=churn_risk"' in html
    assert row_ids(client.get("/recovery?q=kestrel").get_data(as_text=True)) == [tasks["big"].id]
    assert tasks["churn"].id not in row_ids(client.get("/recovery?cause=performance").get_data(as_text=True))
    assert client.get("/recovery?sort=loudest").status_code == 400
    assert client.get("/recovery?scope=everything").status_code == 400


def test_queue_row_shows_root_causes_and_highlighted_evidence(client: Any, db_session: Session) -> None:
    """Each row shows account, contact, score, age, SLA state, root-cause chips and the marked evidence."""
    csm = make_user(db_session, role="csm", email="casey@example.com")
    account = make_account(db_session, owner=csm, name="Northwind Freight", plan="Enterprise", arr=312_000)
    contact = make_contact(db_session, account, name="Robin Diaz", title="VP Sales")
    make_task(db_session, account=account, contact=contact, score=3,
              text="Support is great but the Salesforce sync breaks every week.",
              causes=(("integrations", "the Salesforce sync breaks every week"),),
              praise=(("support_service", "Support is great"),))
    db_session.commit()
    login(client, "casey@example.com")
    html = client.get("/recovery").get_data(as_text=True)
    assert "Northwind Freight" in html and "Robin Diaz, VP Sales" in html and "$312,000 ARR" in html
    assert 'class="ev ev-cause"' in html and "the Salesforce sync breaks every week" in html
    assert 'class="ev ev-praise"' in html and "support service" in html and "integrations" in html
    assert "Due in" in html and 'class="score detractor"' in html


def test_sla_counts_business_days_and_states() -> None:
    """Due dates skip weekends; a task is overdue, due soon, on track, or met/missed by its first contact."""
    friday = datetime(2025, 6, 6, 15, 0)
    assert add_business_days(friday, 1) == datetime(2025, 6, 9, 15, 0)
    assert add_business_days(friday, 3) == datetime(2025, 6, 11, 15, 0)
    now = datetime(2025, 6, 10, 12, 0)
    task = RecoveryTask(status="open", due_at=now - timedelta(hours=30), created_at=now - timedelta(days=3))
    assert sla_state(task, now).key == "overdue" and sla_state(task, now).label == "overdue 30h"
    task.due_at = now + timedelta(hours=5)
    assert sla_state(task, now).key == "due_soon"
    task.due_at = now + timedelta(days=3)
    assert sla_state(task, now).key == "on_track"
    task.first_contacted_at = now
    assert sla_state(task, now).key == "met"
    task.due_at = now - timedelta(days=2)
    assert sla_state(task, now).key == "missed"


def test_new_task_due_date_follows_the_sla_of_its_priority(db_session: Session) -> None:
    """A high-priority task is due one business day after it opens, a low one five (configurable)."""
    csm = make_user(db_session, role="csm")
    big = make_account(db_session, owner=csm, arr=400_000)
    small = make_account(db_session, owner=csm, arr=5_000)
    high = make_task(db_session, account=big, contact=make_contact(db_session, big), score=1)
    low = make_task(db_session, account=small, contact=make_contact(db_session, small), score=6)
    assert high.priority == "high" and low.priority == "low"
    assert high.due_at == add_business_days(high.created_at, 1)
    assert low.due_at == add_business_days(low.created_at, 5)


def test_csm_sees_own_accounts_and_unassigned_tasks_admin_sees_all(client: Any, db_session: Session) -> None:
    """A CSM cannot list or open a colleague's task (404), sees unassigned ones; admins see everything."""
    casey = make_user(db_session, role="csm", email="casey@example.com")
    jordan = make_user(db_session, role="csm", email="jordan@example.com")
    make_user(db_session, role="admin", email="admin@example.com")
    make_user(db_session, role="product", email="priya@example.com")
    own = make_account(db_session, owner=casey)
    other = make_account(db_session, owner=jordan)
    nobody = make_account(db_session, owner=None)
    mine = make_task(db_session, account=own, contact=make_contact(db_session, own))
    theirs = make_task(db_session, account=other, contact=make_contact(db_session, other))
    free = make_task(db_session, account=nobody, contact=make_contact(db_session, nobody))
    db_session.commit()
    csrf = signed_in(client, "casey@example.com")
    assert set(row_ids(client.get("/recovery").get_data(as_text=True))) == {mine.id}
    assert set(row_ids(client.get("/recovery?scope=unassigned").get_data(as_text=True))) == {free.id}
    assert theirs.id not in row_ids(client.get("/recovery?scope=all").get_data(as_text=True))
    assert client.get(f"/recovery/{theirs.id}").status_code == 404
    assert client.post(f"/recovery/{theirs.id}/claim", headers=csrf).status_code == 404
    assert client.get(f"/recovery/{free.id}").status_code == 200
    client.post("/logout")
    login(client, "admin@example.com")
    assert set(row_ids(client.get("/recovery").get_data(as_text=True))) == {mine.id, theirs.id, free.id}
    client.post("/logout")
    login(client, "priya@example.com")
    assert client.get("/recovery").status_code == 403
    assert client.get(f"/recovery/{free.id}").status_code == 403


def _htmx(target: str, csrf: dict[str, str]) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": "http://localhost/recovery", **csrf}


def test_claim_updates_the_row_in_place(client: Any, db_session: Session) -> None:
    """Claiming with htmx returns just the row (plus tab counts out of band), varying on HX-Request."""
    casey = make_user(db_session, role="csm", email="casey@example.com")
    nobody = make_account(db_session, owner=None, name="Copperleaf Analytics")
    task = make_task(db_session, account=nobody, contact=make_contact(db_session, nobody))
    db_session.commit()
    csrf = signed_in(client, "casey@example.com")
    resp = client.post(f"/recovery/{task.id}/claim", data={"next": "/recovery?scope=unassigned&sort=due"},
                       headers=_htmx(f"task-row-{task.id}", csrf))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html and "HX-Request" in resp.headers["Vary"]
    assert f'id="task-row-{task.id}"' in html and "You" in html and "Claim</button>" not in html
    assert 'id="queue-tabs" class="tabs" aria-label="Which tasks" hx-swap-oob="true"' in html
    assert "You claimed Copperleaf Analytics." in html
    db_session.expire_all()
    task = db_session.get(RecoveryTask, task.id)
    assert task.owner_id == casey.id and task.claimed_at is not None
    assert [e.kind for e in task.events][-1] == "claimed"
    # A second claim is refused with a reason, still in place.
    again = client.post(f"/recovery/{task.id}/claim", headers=_htmx(f"task-row-{task.id}", csrf))
    assert "You already own this task." in again.get_data(as_text=True)


def test_status_change_in_place_and_without_javascript(client: Any, db_session: Session) -> None:
    """Marking contacted records first contact; without htmx the same POST answers 303 back to the queue."""
    casey = make_user(db_session, role="csm", email="casey@example.com")
    account = make_account(db_session, owner=casey)
    task = make_task(db_session, account=account, contact=make_contact(db_session, account))
    db_session.commit()
    csrf = signed_in(client, "casey@example.com")
    resp = client.post(f"/recovery/{task.id}/status", data={"status": "contacted"},
                       headers=_htmx(f"task-row-{task.id}", csrf))
    assert "Mark in progress" in resp.get_data(as_text=True)
    resp = client.post(f"/recovery/{task.id}/status", data={"status": "in_progress", "next": "/recovery?sort=age"},
                       headers=csrf)
    assert resp.status_code == 303 and resp.headers["Location"] == "/recovery?sort=age"
    resp = client.post(f"/recovery/{task.id}/status", data={"status": "resolved"},
                       headers=_htmx(f"task-row-{task.id}", csrf))
    assert "Resolve or close a task with an outcome" in resp.get_data(as_text=True)
    db_session.expire_all()
    task = db_session.get(RecoveryTask, task.id)
    assert task.status == "in_progress" and task.first_contacted_at is not None
    kinds = db_session.scalars(select(TaskEvent.kind).where(TaskEvent.task_id == task.id)).all()
    assert kinds.count("status") == 2


def test_admin_assigns_and_csm_hands_over(client: Any, db_session: Session) -> None:
    """An admin assigns any task; a CSM hands theirs to a colleague and it leaves their view."""
    casey = make_user(db_session, role="csm", email="casey@example.com", name="Casey Morgan")
    jordan = make_user(db_session, role="csm", email="jordan@example.com", name="Jordan Lee")
    make_user(db_session, role="admin", email="admin@example.com")
    nobody = make_account(db_session, owner=None)
    task = make_task(db_session, account=nobody, contact=make_contact(db_session, nobody))
    db_session.commit()
    csrf = signed_in(client, "admin@example.com")
    resp = client.post(f"/recovery/{task.id}/assign", data={"owner_id": str(casey.id)},
                       headers=_htmx(f"task-row-{task.id}", csrf))
    assert "Casey Morgan" in resp.get_data(as_text=True)
    client.post("/logout")
    csrf = signed_in(client, "casey@example.com")
    resp = client.post(f"/recovery/{task.id}/assign", data={"owner_id": str(jordan.id)},
                       headers=_htmx(f"task-row-{task.id}", csrf))
    html = resp.get_data(as_text=True)
    assert "is now with Jordan Lee" in html and "handed-over" in html
    assert client.get(f"/recovery/{task.id}").status_code == 404
    db_session.expire_all()
    assert db_session.get(RecoveryTask, task.id).owner_id == jordan.id


def test_queue_fragment_for_filters_and_empty_states(client: Any, db_session: Session) -> None:
    """The filter form's htmx request gets only the results; an empty view says what to do next."""
    make_user(db_session, role="csm", email="casey@example.com")
    nobody = make_account(db_session, owner=None)
    make_task(db_session, account=nobody, contact=make_contact(db_session, nobody))
    db_session.commit()
    csrf = signed_in(client, "casey@example.com")
    resp = client.get("/recovery?scope=mine", headers=_htmx("queue-results", csrf))
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "Your queue is clear" in html and "pick one up" in html
    assert 'id="queue-tabs" class="tabs" aria-label="Which tasks" hx-swap-oob="true"' in html  # tabs keep filters
    assert "HX-Request" in resp.headers["Vary"]
    page = client.get("/recovery?scope=mine", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in page.get_data(as_text=True)


def test_home_counts_overdue_as_uncontacted_past_due(db_session: Session) -> None:
    """Staff home's overdue count uses the queue's rule: open, not yet contacted, past the due date."""
    from survey.services.listing import home_summary

    casey = make_user(db_session, role="csm")
    account = make_account(db_session, owner=casey)
    late = make_task(db_session, account=account, contact=make_contact(db_session, account), due_in=timedelta(days=-1))
    other = make_account(db_session, owner=casey)
    called = make_task(db_session, account=other, contact=make_contact(db_session, other), due_in=timedelta(days=-1))
    called.first_contacted_at = utcnow() - timedelta(days=2)
    db_session.flush()
    summary = home_summary(db_session, casey)
    assert summary["open_tasks"] == 2 and summary["overdue_tasks"] == 1
    assert late.id != called.id
