"""The Feedloop worker: one process, the model loaded once, every job inside an app context."""

from __future__ import annotations

import logging
import os
import signal
import time
from typing import Any

import redis
from flask import Flask
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.serializers import JSONSerializer


class FeedloopWorker(SimpleWorker):
    """Runs jobs in-process (no fork), so the loaded transformer serves every job of this process."""

    flask_app: Flask | None = None

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        kwargs.setdefault("serializer", JSONSerializer)
        super().__init__(*args, **kwargs)
        self.flask_app = app

    stop_signalled = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        """Remember a SIGINT/SIGTERM: RQ only keeps it when busy, and an idle stop must not be restarted."""
        self.stop_signalled = True
        super().request_stop(signum, frame)

    # RQ listens for commands (stop a job, shut down) in a thread that wakes every 60 s. Since redis-py 8.2,
    # stopping that thread waits for it to wake, so every worker shutdown (and every burst run's end) took up to
    # a minute; woken every second, it stops at once. Same subscription as RQ's own, shorter sleep.
    PUBSUB_SLEEP_SECONDS = 1.0

    def subscribe(self) -> None:
        """Subscribe to this worker's command channel, with a listener that notices a stop within a second."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=self.PUBSUB_SLEEP_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def run_maintenance_tasks(self) -> None:
        """Besides RQ's own cleanup (abandoned jobs of dead workers), make sure a sweep stays scheduled."""
        super().run_maintenance_tasks()
        assert self.flask_app is not None
        with self.flask_app.app_context():
            from workers.enqueue import schedule_sweep

            schedule_sweep(int(self.flask_app.config["SWEEP_INTERVAL_SECONDS"]))

    def perform_job(self, job: Job, queue: Queue) -> bool:
        """Give each job a fresh app context, hence a fresh database session."""
        assert self.flask_app is not None
        with self.flask_app.app_context():
            return super().perform_job(job, queue)


log = logging.getLogger(__name__)


def work_until_stopped(app: Flask, queues: list[Queue], connection: redis.Redis, *, name: str | None,
                       burst: bool) -> None:
    """Run the worker; when Redis goes away, RQ quits, so wait for Redis and start over (same process, same model).

    RQ's loop treats a lost connection during a job's bookkeeping as fatal and quits. The database still holds
    every pending verbatim, so nothing is lost either way, but a worker that stays up means nobody has to restart
    it after an outage; the sweep it schedules on start re-enqueues what the outage left behind.
    """
    from workers.enqueue import schedule_sweep

    _children_die_with_us()
    restarts = 0
    while True:
        # Redis may be down already (the model takes a while to load): wait here rather than die in RQ's setup.
        if not burst and not _redis_up(connection) and not _wait_for_redis(connection):
            return
        schedule_sweep(1)
        worker_name = name if name is None or restarts == 0 else f"{name}-r{restarts}"
        # Maintenance (restarting a dead scheduler, re-seeding the sweep) runs once per sweep interval rather
        # than RQ's ten minutes, so a Redis that came back empty is swept within a minute.
        interval = max(5, int(app.config["SWEEP_INTERVAL_SECONDS"]))
        worker: FeedloopWorker | None = None
        try:
            worker = FeedloopWorker(queues, connection=connection, app=app, name=worker_name,
                                    maintenance_interval=interval)
            worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            if burst:
                raise
            log.warning("Redis lost (%s)", exc)
        if burst or (worker is not None and (worker.stop_signalled or worker._stop_requested)):
            return
        # Any other exit is RQ giving up on an error (almost always Redis): start over once Redis answers.
        if not _wait_for_redis(connection, first_delay=1.0):
            return
        restarts += 1
        log.warning("restarting the worker loop (restart %d)", restarts)


def _redis_up(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return False


def _wait_for_redis(connection: redis.Redis, first_delay: float = 0.0, max_wait: float = 5.0) -> bool:
    """Poll Redis with backoff until it answers; False when asked to stop meanwhile (SIGINT/SIGTERM)."""
    stop = {"requested": False}

    def request_stop(_signum: int, _frame: Any) -> None:
        stop["requested"] = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        time.sleep(first_delay)  # never a tight loop, whatever made RQ quit
        delay = 0.5
        while not stop["requested"]:
            if _redis_up(connection):
                return True
            log.warning("waiting for Redis to come back (next try in %.0f s)", delay)
            end = time.monotonic() + delay
            while time.monotonic() < end and not stop["requested"]:
                time.sleep(0.1)
            delay = min(delay * 2, max_wait)
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_DEATH_SIGNAL_SET = [False]


def _children_die_with_us() -> None:
    """RQ's scheduler is a forked child: if the worker is SIGKILLed it would live on as an orphan that keeps
    moving scheduled jobs. On Linux each child asks the kernel for SIGTERM when its parent dies."""
    if _DEATH_SIGNAL_SET[0] or not hasattr(os, "register_at_fork"):
        return

    def in_child() -> None:
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass  # not Linux: the orphan stops when its Redis lock expires

    os.register_at_fork(after_in_child=in_child)
    _DEATH_SIGNAL_SET[0] = True
