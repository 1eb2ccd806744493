"""Warnings about an outage, once per interval per process with a count, instead of one per request."""

from __future__ import annotations

import logging
import threading
import time


class QuietWarning:
    """Logs the first warning of an interval and counts the rest: an outage under load would flood the log."""

    def __init__(self, logger: logging.Logger, every_seconds: float = 10.0) -> None:
        self.logger = logger
        self.every_seconds = every_seconds
        self._lock = threading.Lock()
        self._until = 0.0
        self._skipped = 0

    def warn(self, message: str, *args: object) -> None:
        """Log `message % args` unless one went out less than `every_seconds` ago (then count it)."""
        with self._lock:
            now = time.monotonic()
            if now < self._until:
                self._skipped += 1
                return
            skipped, self._skipped, self._until = self._skipped, 0, now + self.every_seconds
        more = f" ({skipped} more since the last warning)" if skipped else ""
        self.logger.warning(message + "%s", *args, more)

    def reset(self) -> None:
        """Forget the interval (tests start from a clean state)."""
        with self._lock:
            self._until, self._skipped = 0.0, 0
