"""The periodic insights sync job, run by a real worker: read model caught up, themes only once the backlog drained."""

from __future__ import annotations

from typing import Any

from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from survey.models import InsightFact, ThemeRun, Verbatim
from tests.factories import make_survey
from tests.insights_helpers import answer
from workers.queues import all_queues


def _failed_jobs(app: Any) -> list[str]:
    with app.app_context():
        return [job_id for q in all_queues() for job_id in FailedJobRegistry(queue=q).get_job_ids()]


def test_sync_job_catches_up_and_queues_themes_after_the_backlog(app: Any, client: Any, db_session: Any,
                                                                 run_worker: Any) -> None:
    """No job fails; facts cover every analysed answer; theme detection runs once nothing is pending."""
    make_survey(db_session, key="sync-nps")
    db_session.commit()
    answer(client, "sync-nps", 3, "Exports time out every morning and support never replies.")
    answer(client, "sync-nps", 9, "The dashboards are great and onboarding was smooth.")
    run_worker()
    from workers.enqueue import enqueue_insights_sync

    with app.app_context():
        assert enqueue_insights_sync() is not None
    run_worker()
    assert _failed_jobs(app) == []
    db_session.expire_all()
    assert db_session.scalar(select(func.count(InsightFact.verbatim_id))) == 2
    assert db_session.scalar(select(func.count(ThemeRun.id))) == 1


def test_sync_job_leaves_themes_for_later_while_verbatims_wait(app: Any, db_session: Any, run_worker: Any) -> None:
    """A pending verbatim means the day's clustering would miss it: no theme run yet, and no failure either."""
    db_session.add(Verbatim(text="Pricing went up again.", source="note", analysis_status="pending"))
    db_session.commit()
    from workers.insights_jobs import sync_insights

    with app.app_context():
        result = sync_insights()
    assert result["more"] is False
    assert db_session.scalar(select(func.count(ThemeRun.id))) == 0
    with app.app_context():
        from webapp.extensions import get_redis

        assert not any(k.startswith(b"rq:job:detect-themes") for k in get_redis().keys("rq:job:*"))
