"""A later step updates the same response: comments replace the verbatim's text and its stale analysis."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from survey.models import Analysis, RecoveryTaskVerbatim, Response, Verbatim, VerbatimEmbedding
from survey.services.analysis import claim_batch
from survey.services.answers import set_comment, set_score, submit
from survey.services.responses import Submission
from tests.factories import make_account, make_contact, make_survey, make_user


def _answer(
    db_session: Any, survey: Any, score: int, email: str | None = None, comment: str = ""
) -> Response:
    result = submit(
        db_session, survey, Submission(score=score, comment=comment, email=email, submission_id=None)
    )
    db_session.commit()
    return result.response


def test_late_comment_on_analysed_detractor_reanalyses_the_same_verbatim(
    client: Any, db_session: Any, run_worker: Any
) -> None:
    """Empty detractor verbatim analysed and tasked; a later comment resets it, keeps its task, reruns."""
    csm = make_user(db_session, role="csm")
    contact = make_contact(db_session, make_account(db_session, owner=csm))
    make_survey(db_session, key="late-nps")
    db_session.commit()
    first = client.post(
        "/s/late-nps/responses", json={"score": 2, "email": contact.email, "submission_id": "late-1"}
    )
    assert first.status_code == 201
    run_worker()
    db_session.expire_all()
    verbatim = db_session.scalar(select(Verbatim))
    assert verbatim.text == "" and verbatim.analysis_status == "done" and verbatim.action_status == "done"
    task_link = db_session.scalar(
        select(RecoveryTaskVerbatim).where(RecoveryTaskVerbatim.verbatim_id == verbatim.id)
    )
    assert task_link is not None
    again = client.post(
        "/s/late-nps/responses",
        json={"submission_id": "late-1", "comment": "Exports time out and support never answers."},
    )
    assert again.status_code == 200
    db_session.expire_all()
    same = db_session.get(Verbatim, verbatim.id)
    assert (
        same.text.startswith("Exports time out")
        and same.analysis_status == "pending"
        and same.action_status is None
    )
    assert db_session.scalar(select(func.count(Analysis.id))) == 0
    assert db_session.get(VerbatimEmbedding, verbatim.id) is None
    run_worker()
    db_session.expire_all()
    same = db_session.get(Verbatim, verbatim.id)
    assert same.analysis_status == "done" and same.action_status == "done"
    assert db_session.scalar(select(func.count(Analysis.id)).where(Analysis.verbatim_id == same.id)) == 1
    assert db_session.get(RecoveryTaskVerbatim, task_link.id).task_id == task_link.task_id
    assert db_session.scalar(select(func.count(Response.id))) == 1


def test_comment_while_a_worker_analyses_replaces_the_verbatim(app_ctx: Any, db_session: Any) -> None:
    """If a worker holds the claim, the verbatim is replaced so its stale result cannot mark new text done."""
    survey = make_survey(db_session, key="race-nps")
    response = _answer(db_session, survey, score=3)
    old = db_session.scalar(select(Verbatim).where(Verbatim.response_id == response.id))
    assert claim_batch(db_session, old.id, limit=1)  # what a worker does before running the model
    db_session.commit()
    new_id = set_comment(db_session, response, "Too slow")
    db_session.commit()
    assert new_id != old.id
    db_session.expire_all()
    assert db_session.get(Verbatim, old.id) is None
    fresh = db_session.get(Verbatim, new_id)
    assert (
        fresh.text == "Too slow" and fresh.analysis_status == "pending" and fresh.response_id == response.id
    )


def test_unchanged_comment_is_a_no_op(app_ctx: Any, db_session: Any) -> None:
    """Sending the same comment again queues nothing."""
    survey = make_survey(db_session, key="same-nps")
    response = _answer(db_session, survey, score=9, comment="Lovely")
    assert set_comment(db_session, response, "Lovely") is None


def test_first_comment_on_a_promoter_creates_the_verbatim(app_ctx: Any, db_session: Any) -> None:
    """A promoter who scored without a comment has no verbatim until the follow-up brings one."""
    survey = make_survey(db_session, key="promo-nps")
    response = _answer(db_session, survey, score=10)
    assert db_session.scalar(select(Verbatim).where(Verbatim.response_id == response.id)) is None
    vid = set_comment(db_session, response, "Support is superb")
    db_session.commit()
    assert db_session.get(Verbatim, vid).text == "Support is superb" and response.updated_at is not None


def test_score_change_to_detractor_opens_an_empty_verbatim(app_ctx: Any, db_session: Any) -> None:
    """Changing a silent promoter into a detractor gives the recovery flow its verbatim."""
    survey = make_survey(db_session, key="flip-nps")
    response = _answer(db_session, survey, score=9)
    vid = set_score(db_session, response, 1)
    db_session.commit()
    assert vid is not None and db_session.get(Verbatim, vid).text == "" and response.score == 1
