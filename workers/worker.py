"""The Feedloop worker: one process, the model loaded once, every job inside an app context."""

from __future__ import annotations

from typing import Any

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
