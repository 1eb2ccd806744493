"""Enqueueing: one job per entity id, and queues stay visible to RQ's own tools (`rq info`, the admin page)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq import Queue

from webapp.extensions import get_redis
from workers.enqueue import enqueue_analysis
from workers.queues import get_queue


def test_the_first_enqueue_registers_the_queue_and_ids_stay_unique(app: Flask, db_session: Any) -> None:
    redis = get_redis(app)
    with app.app_context():
        first = enqueue_analysis(41)
        again = enqueue_analysis(41)
        enqueue_analysis(42)
        queue = get_queue("nlp")
        assert queue.key.encode() in redis.smembers(Queue.redis_queues_keys)
        assert first is not None and again is not None and first.id == again.id == "analyze-verbatim-41"
        assert queue.job_ids == ["analyze-verbatim-41", "analyze-verbatim-42"]


def test_a_redis_outage_under_load_warns_once_not_per_answer(
    app_config: dict[str, Any], db_session: Any, caplog: Any
) -> None:
    """Answers during an outage are each left for the sweeper, but the log says so once, not fifty times."""
    import logging

    from tests.factories import make_survey
    from webapp import create_app
    from workers import enqueue

    make_survey(db_session, key="quiet-nps")
    db_session.commit()
    enqueue._redis_down.reset()
    client = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"}).test_client()
    with caplog.at_level(logging.WARNING, logger="workers.enqueue"):
        statuses = {client.post("/s/quiet-nps/responses", json={"score": 3, "comment": f"Slow {i}"}).status_code
                    for i in range(50)}
    warnings = [r.getMessage() for r in caplog.records if r.name == "workers.enqueue"]
    assert statuses == {201}
    assert len(warnings) == 1 and "left for the sweeper" in warnings[0]


def test_a_worker_stops_without_waiting_for_its_command_listener(app: Any) -> None:
    """Stopping a worker ends its command listener promptly, whatever the listener was doing.

    The slow case, set up here on purpose, is a listener that has already seen the unsubscribe and gone back to
    waiting: with RQ's 60 s listener sleep and redis-py 8.2 (whose stop() waits for the thread) that took a
    minute, at the end of every burst run and every shutdown.
    """
    import threading
    import time

    from webapp.extensions import get_redis
    from workers.queues import all_queues
    from workers.worker import FeedloopWorker

    with app.app_context():
        worker = FeedloopWorker(all_queues(), connection=get_redis(app), app=app)
    worker.subscribe()
    listener = worker.pubsub_thread
    assert listener is not None and listener.is_alive()
    time.sleep(0.3)  # the listener is waiting for messages, as in a running worker
    worker.pubsub.unsubscribe()
    deadline = time.monotonic() + 5
    while worker.pubsub.subscribed and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # it has handled the unsubscribe and waits again
    stopping = threading.Thread(target=worker.unsubscribe, daemon=True)
    stopping.start()
    stopping.join(timeout=15)
    assert not stopping.is_alive(), "stopping the worker is still waiting for its listener thread"
    assert not listener.is_alive()
