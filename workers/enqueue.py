"""The only place that enqueues: unique job ids per entity, and a Redis outage never loses work."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import redis
from flask import current_app
from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from workers import jobs
from webapp.extensions import get_redis
from webapp.quiet_log import QuietWarning
from workers.queues import get_queue

log = logging.getLogger(__name__)
FAILURE_TTL = 7 * 86400
RESULT_TTL = 3600
# Job states in which a job will still run by itself: re-enqueueing would duplicate it.
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


_redis_down = QuietWarning(log)


def _warn_redis_down(what: str, exc: Exception) -> None:
    """One warning per 10 s per process, with a count: an outage under load would log every answer."""
    _redis_down.warn("Redis unavailable, %s: %s", what, exc)


def _abandoned(job: Job, status: JobStatus) -> bool:
    """A job 'started' longer ago than its timeout allows: its worker died (SIGKILL, lost machine)."""
    if status != JobStatus.STARTED or job.started_at is None:
        return False
    from datetime import UTC, datetime

    started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=UTC)
    limit = int(current_app.config["SWEEP_STALE_CLAIM_SECONDS"])
    return (datetime.now(UTC) - started).total_seconds() > max(limit, 0)


def _enqueue_unique(queue_name: str, func: Any, *args: Any, job_id: str, **options: Any) -> Job | None:
    """Enqueue once per job id; a finished or failed leftover is replaced; Redis down returns None."""
    queue = get_queue(queue_name)
    options.setdefault("failure_ttl", FAILURE_TTL)
    options.setdefault("result_ttl", RESULT_TTL)
    try:
        for _attempt in range(2):
            try:
                # RQ adds the queue to its `rq:queues` set on every enqueue, in a round trip of its own; the
                # pipeline collects that and is sent once a minute per queue, which halves a submission's trips.
                registry = queue.connection.pipeline()
                job = queue.enqueue(func, *args, job_id=job_id, unique=True, pipeline=registry, **options)
                _register_queue(queue, registry)
                return job
            except DuplicateJobError:
                try:
                    existing = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
                except NoSuchJobError:
                    continue  # it expired between the two calls: try again
                status = existing.get_status(refresh=True)
                if status in _LIVE and not _abandoned(existing, status):
                    return existing
                # Finished, failed, stopped or canceled (or started by a worker that died): the database
                # says the work is still needed, so replace it.
                existing.delete()
        return None
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        _warn_redis_down(f"{job_id} left for the sweeper", exc)
        return None


_registered: dict[tuple[int, str], float] = {}
QUEUE_REGISTRY_SECONDS = 60.0


def _register_queue(queue: Any, registry: Any) -> None:
    """Send RQ's queue registration (SADD rq:queues) at most once a minute per connection and queue."""
    key = (id(queue.connection), queue.name)
    now = time.monotonic()
    if now - _registered.get(key, -QUEUE_REGISTRY_SECONDS) >= QUEUE_REGISTRY_SECONDS:
        registry.execute()
        _registered[key] = now


def forget_queue_registrations() -> None:
    """After Redis was flushed or replaced: the next enqueue to each queue registers it again."""
    _registered.clear()


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


def enqueue_analysis_many(verbatim_ids: Iterable[int]) -> int:
    """Queue analysis for many never-tried verbatims (a sweep, an import, an erasure): a job per batch.

    A job analyses its verbatim together with the oldest never-tried pending ones, up to
    FEEDLOOP_NLP_BATCH_SIZE, and a job that finds a full batch queues the next round (workers.jobs), so one
    job per batch-size ids reaches every one of them. A job per verbatim would mostly find its verbatim taken,
    and still cost a worker a dozen Redis calls. Verbatims due a retry need a job each (batches leave them to
    their backoff: workers.sweeper). Returns how many jobs are queued or already live.
    """
    batch = max(1, int(current_app.config["NLP_BATCH_SIZE"]))
    ids = sorted(set(verbatim_ids))
    return sum(1 for vid in ids[::batch] if enqueue_analysis(vid) is not None)


# While this key exists an analysis round is queued or running, and that round looks for pending verbatims
# after deleting it (workers.jobs.finish_analysis_round). Expiry bounds what a lost job can hold up.
ANALYSIS_KICK_KEY = "feedloop:analysis-kick"
ANALYSIS_KICK_MS = 2000


def kick_analysis(verbatim_id: int) -> bool:
    """Have this just-committed verbatim analysed: a job when none is due, else one Redis write.

    Answers arrive faster than jobs finish, and one job analyses a whole batch, so a second job per answer
    would find its verbatim already taken. Losing the SET race is safe: the key was set before and is deleted
    only by a job that then reads the pending verbatims, and this one was committed before the SET. False when
    Redis is down (the sweeper has it).
    """
    try:
        if not get_redis().set(ANALYSIS_KICK_KEY, verbatim_id, nx=True, px=ANALYSIS_KICK_MS):
            return True
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        _warn_redis_down(f"verbatim {verbatim_id} left for the sweeper", exc)
        return False
    return enqueue_analysis(verbatim_id) is not None


def clear_analysis_kick(app: Any) -> bool:
    """End the current analysis round's kick (the caller then reads what is pending); False if Redis is down."""
    try:
        get_redis(app).delete(ANALYSIS_KICK_KEY)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return False
    return True


def holds_analysis_kick(app: Any, verbatim_id: int) -> bool:
    """Whether this verbatim's answer set the current kick."""
    try:
        return get_redis(app).get(ANALYSIS_KICK_KEY) == str(verbatim_id).encode()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return False


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


def enqueue_webhook_delivery(delivery_id: int) -> Job | None:
    """Queue one webhook delivery (retried with backoff while the receiver refuses it)."""
    from workers import webhook_jobs

    return _enqueue_unique("default", webhook_jobs.deliver_webhook, delivery_id,
                           job_id=f"deliver-webhook-{delivery_id}", job_timeout=60, retry=_retry())


def enqueue_retention(continuation: bool = False) -> Job | None:
    """Queue the retention clean-up (once a day from the sweep, and in chunks until done)."""
    from survey.database import utcnow

    suffix = "next" if continuation else utcnow().strftime("%Y%m%d")
    return _enqueue_unique("default", jobs.apply_retention, job_id=f"apply-retention-{suffix}", job_timeout=600,
                           result_ttl=2 * 86400)


def enqueue_import(import_id: int) -> Job | None:
    """Queue a CSV import (its progress lives on the import_jobs row)."""
    from workers import import_jobs

    return _enqueue_unique("default", import_jobs.run_import, import_id, job_id=f"run-import-{import_id}",
                           job_timeout=3600)


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


def enqueue_send_email(outbox_id: int) -> Job | None:
    """Queue the delivery of one outbox email; its id makes a second request a no-op."""
    from workers import email_jobs

    return _enqueue_unique(
        "email",
        email_jobs.send_survey_email,
        outbox_id,
        job_id=f"send-email-{outbox_id}",
        job_timeout=120,
        retry=_retry(),
    )


def schedule_programmes(after_seconds: int) -> Job | None:
    """Keep one relationship-programme run scheduled per time slot, whichever sweep asks first."""
    from workers import email_jobs

    queue = get_queue("default")
    try:
        from rq.utils import now

        due = now() + timedelta(seconds=after_seconds)
        slot = int(due.timestamp()) // max(after_seconds, 1)
        try:
            return queue.enqueue_at(due, email_jobs.run_programmes, job_id=f"run-programmes-{slot}", unique=True,
                                    failure_ttl=FAILURE_TTL, result_ttl=RESULT_TTL, job_timeout=1800)
        except DuplicateJobError:
            return None
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("Redis unavailable, programme run not scheduled: %s", exc)
        return None


# ---------------------------------------------------------------- recovery workflow (issue 5)


def enqueue_recovery_check() -> Job | None:
    """Queue one pass over recovery tasks (escalations, follow-ups, digests, follow-up answers); one at a time."""
    from workers import recovery_jobs

    return _enqueue_unique("default", recovery_jobs.check_recovery_tasks, job_id="check-recovery-tasks",
                           job_timeout=600)


def enqueue_escalation(task_id: int) -> Job | None:
    """Queue the escalation of an overdue task to the admins; the task row says whether it already happened."""
    from workers import recovery_jobs

    return _enqueue_unique("email", recovery_jobs.escalate_task, task_id, job_id=f"escalate-task-{task_id}",
                           job_timeout=120, retry=_retry())


def enqueue_digest(user_id: int, day: str) -> Job | None:
    """Queue a CSM's daily digest; the outbox's event key makes it once per CSM and day."""
    from workers import recovery_jobs

    return _enqueue_unique("email", recovery_jobs.send_digest, user_id, day, job_id=f"send-digest-user-{user_id}",
                           job_timeout=120, retry=_retry())


def enqueue_followup(task_id: int) -> Job | None:
    """Queue the follow-up survey of a resolved task; the task row remembers the email it sent."""
    from workers import recovery_jobs

    return _enqueue_unique("email", recovery_jobs.send_followup, task_id, job_id=f"send-followup-task-{task_id}",
                           job_timeout=120, retry=_retry())


def enqueue_praise_notices(verbatim_id: int) -> Job | None:
    """Queue the CSM emails for praise in this verbatim; the notices' emailed_at makes a rerun send nothing."""
    from workers import advocacy_jobs

    return _enqueue_unique("email", advocacy_jobs.notify_praise, verbatim_id,
                           job_id=f"notify-praise-verbatim-{verbatim_id}", job_timeout=120, retry=_retry())


def enqueue_scheduled_invite(invite_id: int, at: Any = None) -> Job | None:
    """Send an approved invite when its contact's ask budget opens (at `at`, a naive UTC datetime, or now).

    One job per invite: a new time replaces the scheduled one; the invite row (send_after) is the truth, so a
    lost job is found again by the advocacy sweep.
    """
    from datetime import UTC

    from workers import advocacy_jobs

    job_id = f"send-invite-{invite_id}"
    queue = get_queue("email")
    try:
        try:
            existing = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
            if existing.get_status(refresh=True) == JobStatus.STARTED:
                return existing
            existing.delete()
        except NoSuchJobError:
            pass
        if at is None:
            return _enqueue_unique("email", advocacy_jobs.send_scheduled_invite, invite_id, job_id=job_id,
                                   job_timeout=120, retry=_retry())
        return queue.enqueue_at(at.replace(tzinfo=UTC), advocacy_jobs.send_scheduled_invite, invite_id,
                                job_id=job_id, failure_ttl=FAILURE_TTL, result_ttl=RESULT_TTL, job_timeout=120)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("Redis unavailable, %s left for the advocacy sweep: %s", job_id, exc)
        return None


def enqueue_advocacy_sweep() -> Job | None:
    """Queue one advocacy sweep (expiries, lifted holds, scheduled sends); one at a time."""
    from workers import advocacy_jobs

    return _enqueue_unique("default", advocacy_jobs.sweep_advocacy, job_id="sweep-advocacy", job_timeout=600)


# ---------------------------------------------------------------- product insights (issue 6)


def enqueue_insights_sync() -> Job | None:
    """Queue one catch-up of the insights read model and the vector index (then today's themes, if missing)."""
    from workers import insights_jobs

    return _enqueue_unique("default", insights_jobs.sync_insights, job_id="sync-insights-all", job_timeout=1800)


def enqueue_index_rebuild() -> Job | None:
    """Queue a rebuild of the vector search index from the stored embeddings."""
    from workers import insights_jobs

    return _enqueue_unique("default", insights_jobs.rebuild_search_index, job_id="rebuild-search-index",
                           job_timeout=3600)


def enqueue_theme_detection(period_end: str) -> Job | None:
    """Queue theme detection for the period ending at period_end (ISO); the period row makes it idempotent."""
    from workers import insights_jobs

    return _enqueue_unique("nlp", insights_jobs.detect_themes, period_end,
                           job_id=f"detect-themes-{period_end.replace(':', '').replace('-', '')}",
                           job_timeout=1800, retry=_retry())


def enqueue_reanalysis_run(run_id: int) -> Job | None:
    """Queue the start of a tracked re-analysis (it fixes the target version, then re-queues stale analyses)."""
    from workers import insights_jobs

    return _enqueue_unique("nlp", insights_jobs.start_reanalysis, run_id, job_id=f"start-reanalysis-{run_id}",
                           job_timeout=600, retry=_retry())


def enqueue_fix_drafts(note_id: int) -> Job | None:
    """Queue the drafting of "we fixed it" messages for a fix note."""
    from workers import insights_jobs

    return _enqueue_unique("default", insights_jobs.draft_fix_messages, note_id, job_id=f"draft-fix-note-{note_id}",
                           job_timeout=600, retry=_retry())


def enqueue_advocacy_demo(attempt: int = 0, after_seconds: int = 0) -> Job | None:
    """Queue the advocate hub's demo history; it waits (re-queuing itself) until the demo is analysed."""
    from workers import advocacy_jobs

    job_id = f"seed-advocacy-demo-{attempt}"
    if not after_seconds:
        return _enqueue_unique("default", advocacy_jobs.seed_demo_when_ready, attempt, job_id=job_id,
                               job_timeout=600)
    queue = get_queue("default")
    try:
        return queue.enqueue_in(timedelta(seconds=after_seconds), advocacy_jobs.seed_demo_when_ready, attempt,
                                job_id=job_id, failure_ttl=FAILURE_TTL, result_ttl=RESULT_TTL, job_timeout=600)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("Redis unavailable, advocacy demo not seeded: %s", exc)
        return None


def enqueue_recovery_demo(attempt: int = 0, after_seconds: int = 0) -> Job | None:
    """Queue the demo's recovery history; it re-queues itself (needs the scheduler) until analysis is done."""
    from workers import recovery_jobs

    queue = get_queue("default")
    job_id = f"seed-recovery-demo-{attempt}"
    try:
        if after_seconds:
            try:
                return queue.enqueue_in(timedelta(seconds=after_seconds), recovery_jobs.seed_recovery_demo_when_ready,
                                        attempt, job_id=job_id, unique=True, failure_ttl=FAILURE_TTL,
                                        result_ttl=RESULT_TTL)
            except DuplicateJobError:
                return None
        return _enqueue_unique("default", recovery_jobs.seed_recovery_demo_when_ready, attempt, job_id=job_id,
                               job_timeout=600)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("Redis unavailable, demo recovery history not queued: %s", exc)
        return None
