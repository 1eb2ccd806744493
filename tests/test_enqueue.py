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
