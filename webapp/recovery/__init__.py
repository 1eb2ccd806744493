"""The CSM's detractor-recovery area: the queue, each task, and the metrics that show recovery worked."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("recovery", __name__)

from webapp.recovery import metrics, queue, task  # noqa: E402,F401  (register the routes)
