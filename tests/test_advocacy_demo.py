"""The demo fills the advocate hub: every invite stage, activities with revenue, a champion who moved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from survey import demo
from survey.models import (
    AdvocacyActivity,
    AdvocacyInvite,
    AdvocateFlag,
    ChampionMove,
    PraiseNotice,
    ReviewCampaign,
)
from survey.services.advocacy_demo import seed_advocacy_demo
from survey.services.advocacy_metrics import referral_totals, second_order
from tests.test_web import login
from workers.enqueue import enqueue_analysis

NOW = datetime(2025, 6, 2, 12, 0)


def test_demo_data_fills_the_hub(app: Any, client: Any, db_session: Any, run_worker: Any) -> None:
    """After the demo is analysed and acted on, the advocacy seed fills the hub; twice is once."""
    result = demo.seed(db_session, now=NOW)
    assert result is not None
    db_session.commit()
    with app.app_context():
        for vid in result.verbatim_ids:
            enqueue_analysis(vid)
    run_worker()
    db_session.expire_all()
    kinds = dict(
        db_session.execute(select(AdvocateFlag.kind, func.count()).group_by(AdvocateFlag.kind)).all()
    )
    assert kinds.get("unsolicited_praise", 0) >= 5 and kinds.get("promoter_praise", 0) >= 20
    seed_advocacy_demo(db_session, now=NOW)
    db_session.commit()
    statuses = set(db_session.scalars(select(AdvocacyInvite.status)))
    assert {"drafted", "approved", "sent", "accepted", "declined", "completed", "expired"} <= statuses
    totals = referral_totals(db_session)
    assert totals["won"] > 0 and totals["pipeline"] > totals["won"]
    assert db_session.scalar(select(func.count(ChampionMove.id))) == 2
    assert second_order(db_session)["customers"] >= 1
    assert db_session.scalar(select(func.count(ReviewCampaign.id))) == 1
    assert db_session.scalar(select(func.count(PraiseNotice.id))) >= 3
    before = db_session.scalar(select(func.count(AdvocacyActivity.id)))
    seed_advocacy_demo(db_session, now=NOW)
    assert db_session.scalar(select(func.count(AdvocacyActivity.id))) == before

    assert login(client, "marketing@example.com", demo.DEMO_PASSWORD).status_code == 303
    for path in (
        "/advocacy",
        "/advocacy/invites",
        "/advocacy/invites?tab=done",
        "/advocacy/activities",
        "/advocacy/champions",
        "/advocacy/insights",
        "/advocacy/reviews",
        "/advocacy/templates",
    ):
        resp = client.get(path)
        assert resp.status_code == 200, path
    assert "Unsolicited praise" in client.get("/advocacy").get_data(as_text=True)

