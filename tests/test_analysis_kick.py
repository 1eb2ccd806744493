"""Answers start analysis rounds: one job per round, not per answer, and no answer is left out of a round."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from survey.models import Verbatim
from tests.analysis_helpers import analysed_counts
from tests.factories import make_survey
from webapp.extensions import get_redis
from workers.enqueue import ANALYSIS_KICK_KEY
from workers.jobs import finish_analysis_round
from workers.queues import get_queue


def _answer(client: Any, i: int) -> int:
    resp = client.post("/s/kick-nps/responses", json={"score": 2 + i % 8, "comment": f"Exports keep failing ({i})."})
    assert resp.status_code == 201
    return int(resp.get_json()["response_id"])


def _queued(app: Flask) -> int:
    with app.app_context():
        return get_queue("nlp").count


def test_a_burst_of_answers_queues_one_job_and_all_are_analysed_once(
    app: Flask, client: Any, db_session: Any, run_worker: Any
) -> None:
    make_survey(db_session, key="kick-nps")
    db_session.commit()
    for i in range(40):
        _answer(client, i)
    assert _queued(app) == 1  # the first answer's job; the other 39 found a round already due
    run_worker()
    assert analysed_counts(db_session) == (40, 40, 40)
    assert get_redis(app).exists(ANALYSIS_KICK_KEY) == 0  # the round ended: the next answer starts a new one


def test_an_answer_that_finds_a_round_running_is_in_the_next_one(
    app: Flask, client: Any, db_session: Any, run_worker: Any
) -> None:
    """The kick lost its race: no job of its own, yet the running round's end queues one for it."""
    make_survey(db_session, key="kick-nps")
    db_session.commit()
    get_redis(app).set(ANALYSIS_KICK_KEY, "elsewhere", px=60_000)  # a round is running on another worker
    _answer(client, 1)
    assert _queued(app) == 0
    with app.app_context():
        finish_analysis_round(app)  # what that worker does when its batch is done
    assert _queued(app) == 1
    run_worker()
    assert analysed_counts(db_session) == (1, 1, 1)


def test_a_lost_round_holds_nothing_up_for_long(
    app: Flask, client: Any, db_session: Any, run_worker: Any
) -> None:
    """A round whose job vanished (Redis restarted, say) stops suppressing jobs when its key expires."""
    make_survey(db_session, key="kick-nps")
    db_session.commit()
    get_redis(app).set(ANALYSIS_KICK_KEY, "lost", px=200)
    _answer(client, 1)
    time.sleep(0.3)
    _answer(client, 2)
    assert _queued(app) == 1
    run_worker()
    assert analysed_counts(db_session) == (2, 2, 2)


def test_rounds_continue_until_nothing_is_pending(
    app: Flask, client: Any, db_session: Any, run_worker: Any
) -> None:
    """Ten answers, batches of four, one job queued by the answers: three rounds analyse them all."""
    make_survey(db_session, key="kick-nps")
    db_session.commit()
    app.config["NLP_BATCH_SIZE"] = 4
    try:
        for i in range(10):
            _answer(client, i)
        assert _queued(app) == 1
        run_worker()
    finally:
        app.config["NLP_BATCH_SIZE"] = 32
    assert analysed_counts(db_session) == (10, 10, 10)


def test_a_job_whose_verbatim_was_taken_still_ends_its_round(
    app: Flask, client: Any, db_session: Any, run_worker: Any
) -> None:
    """The job a kick queued finds its verbatim analysed by an earlier batch: it must still end the round."""
    make_survey(db_session, key="kick-nps")
    db_session.commit()
    _answer(client, 1)  # sets the kick and queues its job
    db_session.execute(update(Verbatim).values(analysis_status="done"))  # an earlier batch took it
    db_session.commit()
    _answer(client, 2)  # finds the round due: no job of its own
    assert _queued(app) == 1
    run_worker()
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Verbatim.id)).where(Verbatim.analysis_status == "pending")) == 0


def test_redis_down_leaves_answers_for_the_sweeper(app_config: dict[str, Any], db_session: Any) -> None:
    """No Redis: answers are stored and stay pending, for the sweeper to queue when Redis is back."""
    from webapp import create_app

    make_survey(db_session, key="kick-nps")
    db_session.commit()
    dead = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"}).test_client()
    for i in range(3):
        _answer(dead, i)
    assert db_session.scalar(select(func.count(Verbatim.id)).where(Verbatim.analysis_status == "pending")) == 3
