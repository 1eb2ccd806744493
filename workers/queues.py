"""Named queues on the app's Redis, all with the JSON serializer (pickle is unsafe)."""

from __future__ import annotations

from rq import Queue
from rq.serializers import JSONSerializer

from webapp.extensions import get_redis

QUEUE_NAMES = ("nlp", "actions", "email", "default")


def get_queue(name: str) -> Queue:
    """A queue by purpose: nlp, actions, email or default."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis(), serializer=JSONSerializer)


def all_queues() -> list[Queue]:
    """Every queue, in the order a worker should serve them."""
    return [get_queue(name) for name in QUEUE_NAMES]
