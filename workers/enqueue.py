"""The only place that enqueues: unique job ids per entity, and a Redis outage never loses work."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis
from flask import current_app
from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from workers import jobs
from workers.queues import get_queue

log = logging.getLogger(__name__)
FAILURE_TTL = 7 * 86400
RESULT_TTL = 3600
# Job states in which a job will still run by itself: re-enqueueing would duplicate it.
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def _enqueue_unique(queue_name: str, func: Any, *args: Any, job_id: str, **options: Any) -> Job | None:
    """Enqueue once per job id; a finished or failed leftover is replaced; Redis down returns None."""
    queue = get_queue(queue_name)
    options.setdefault("failure_ttl", FAILURE_TTL)
    options.setdefault("result_ttl", RESULT_TTL)
    try:
        for _attempt in range(2):
            try:
                return queue.enqueue(func, *args, job_id=job_id, unique=True, **options)
            except DuplicateJobError:
                try:
                    existing = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
                except NoSuchJobError:
                    continue  # it expired between the two calls: try again
                if existing.get_status(refresh=True) in _LIVE:
                    return existing
                existing.delete()  # finished, failed, stopped or canceled: the database says it is needed again
        return None
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("Redis unavailable, %s left for the sweeper: %s", job_id, exc)
        return None


def _retry() -> Retry:
    """Backoff from config (FEEDLOOP_JOB_RETRY_INTERVALS): retries need the worker's scheduler."""
    intervals = [int(i) for i in current_app.config["JOB_RETRY_INTERVALS"]]
    return Retry(max=len(intervals), interval=intervals)


def enqueue_analysis(verbatim_id: int) -> Job | None:
    """Queue NLP analysis once per verbatim; a duplicate request is a no-op."""
    return _enqueue_unique(
        "nlp",
        jobs.analyze_verbatim,
        verbatim_id,
        job_id=f"analyze-verbatim-{verbatim_id}",
        job_timeout=600,
        retry=_retry(),
    )


def enqueue_actions(verbatim_id: int) -> Job | None:
    """Queue the follow-up decision (task, flag, invite) for an analysed verbatim."""
    return _enqueue_unique(
        "actions",
        jobs.act_on_verbatim,
        verbatim_id,
        job_id=f"act-on-verbatim-{verbatim_id}",
        job_timeout=120,
        retry=_retry(),
    )


def enqueue_retrain(requested_by: int | None = None) -> Job | None:
    """Queue one retraining at a time; corrections made meanwhile are picked up by the next."""
    return _enqueue_unique("nlp", jobs.retrain_model, requested_by, job_id="retrain-model", job_timeout=3600)


def enqueue_reanalysis(continuation: bool = False) -> Job | None:
    """Queue the re-analysis of whatever an older model or taxonomy produced."""
    return _enqueue_unique("default", jobs.reanalyze_stale, job_id="reanalyze-stale" + ("-next" if continuation else ""),
                           job_timeout=600)


def schedule_sweep(after_seconds: int) -> Job | None:
    """Keep one sweep scheduled per time slot, whichever worker asks first."""
    queue = get_queue("default")
    try:
        from rq.utils import now

        due = now() + timedelta(seconds=after_seconds)
        slot = int(due.timestamp()) // max(after_seconds, 1)
        job_id = f"sweep-slot-{slot}"
        try:
            return queue.enqueue_at(
                due, jobs.sweep, job_id=job_id, unique=True, failure_ttl=86400, result_ttl=600
            )
        except DuplicateJobError:
            return None
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("Redis unavailable, sweep not scheduled: %s", exc)
        return None
