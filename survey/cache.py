"""Per-process read caches for rows every anonymous request reads (a survey by key, the webhook endpoints).

A submission must not pay a database round trip for rows that change a few times a day. Each cache keeps
detached copies for a short TTL and is dropped as soon as any session in this process flushes a change to
the cached model, so the process that changed a survey sees it at once; other processes (more gunicorn
workers, more machines) see it within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")

_caches: list[RowCache[Any]] = []
_installed = [False]
_lock = threading.Lock()
_ttl = [5.0]


class RowCache(Generic[T]):
    """Values computed from one model's rows, kept `ttl` seconds and dropped when that model changes."""

    def __init__(self, model: type) -> None:
        self.model = model
        self._values: dict[Any, tuple[float, T]] = {}
        _install()
        _caches.append(self)

    def get(self, key: Any, load: Callable[[], T]) -> T:
        """The cached value for key, or load() stored for the TTL (no caching when the TTL is 0)."""
        ttl = _ttl[0]
        if ttl <= 0:
            return load()
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with _lock:
            if len(self._values) > 10_000:
                self._values.clear()
            self._values[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        """Forget everything (a change to the model was flushed in this process)."""
        with _lock:
            self._values.clear()


def _changed_models(session: Session) -> set[type]:
    return {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}


def _after_flush(session: Session, _context: Any) -> None:
    changed = _changed_models(session)
    for cache in _caches:
        if any(issubclass(model, cache.model) for model in changed):
            cache.clear()


def _on_bulk_statement(state: ORMExecuteState) -> None:
    """ORM-enabled UPDATE/DELETE statements bypass the flush: drop the caches they touch."""
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        for cache in _caches:
            if issubclass(mapper.class_, cache.model):
                cache.clear()


def _install() -> None:
    if not _installed[0]:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_bulk_statement)
        _installed[0] = True


def configure(ttl: float) -> None:
    """Set the TTL of every cache (FEEDLOOP_ROW_CACHE_SECONDS; 0 turns caching off)."""
    _ttl[0] = float(ttl)
    clear_all()


def clear_all() -> None:
    """Forget every cached row (tables were emptied behind the ORM's back, as the test suite does)."""
    for cache in _caches:
        cache.clear()
