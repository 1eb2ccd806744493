"""Per-address fixed-window rate limits for anonymous endpoints, counted in Redis in one round trip.

Each limited request costs one small Lua script (INCR, PEXPIRE on the first hit, PTTL): the count and the
window's end come back together, so the X-RateLimit headers and Retry-After need no second read. When Redis
is unreachable the counts move to this process for a few seconds at a time: limits keep working per process and
no answer is refused for it.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, Callable, Iterable, TypeVar

import redis
from flask import Flask, current_app, g, request
from werkzeug.exceptions import TooManyRequests

_F = TypeVar("_F", bound=Callable[..., Any])
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RULE_RE = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(\d+\s+)?(second|minute|hour|day)s?\s*$", re.IGNORECASE)
REDIS_RETRY_SECONDS = 5.0  # after a Redis error, count in memory this long before trying Redis again
# Atomic per key: a window starts at its first hit and ends `ARGV[1]` ms later; a key that lost its expiry
# (it cannot, but an operator may PERSIST it) gets one again rather than counting forever.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


@dataclass(frozen=True)
class Rule:
    """At most `amount` requests per `seconds`, as configured (e.g. "120 per minute")."""

    amount: int
    seconds: int
    text: str


@dataclass(frozen=True)
class Window:
    """Where one client stands in the current window after this request."""

    rule: Rule
    count: int
    reset_in: float  # seconds until the window ends

    @property
    def exceeded(self) -> bool:
        return self.count > self.rule.amount

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_in))


class RateLimited(TooManyRequests):
    """429 carrying the window, so handlers can say the limit and when to retry."""

    def __init__(self, window: Window) -> None:
        super().__init__(description=window.rule.text)
        self.window = window


@cache
def parse_rule(text: str) -> Rule:
    """Read "120 per minute", "10/second" or "1000 per 5 minutes"; a bad setting fails loudly at first use."""
    match = _RULE_RE.match(str(text))
    if match is None:
        raise ValueError(f"rate limit {text!r} is not like '120 per minute' (units: second, minute, hour, day)")
    amount, multiple, unit = int(match[1]), int(match[2] or 1), match[3].lower()
    if amount < 1 or multiple < 1:
        raise ValueError(f"rate limit {text!r} must allow at least one request per period")
    return Rule(amount=amount, seconds=multiple * _UNITS[unit], text=str(text).strip())


class _MemoryCounts:
    """Per-process fixed windows, used only while Redis is unreachable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, rule: Rule) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            count, ends = self._counts.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + rule.seconds
                if len(self._counts) > 10_000:  # forget ended windows so a flood of addresses cannot grow this
                    self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            self._counts[key] = (count + 1, ends)
            return count + 1, ends - now


class RateLimiter:
    """The `limit` decorator and the after-request hook that adds X-RateLimit-* headers."""

    def __init__(self) -> None:
        self._memory = _MemoryCounts()
        self._redis_down_until = 0.0

    def init_app(self, app: Flask) -> None:
        from webapp.extensions import get_redis  # extensions creates the limiter, so not at import time

        # EVALSHA on the app's connection; redis-py loads the script again after a Redis restart.
        app.extensions["feedloop_ratelimit_hit"] = get_redis(app).register_script(_HIT)
        app.after_request(self._headers)

    def reset(self) -> None:
        """Forget in-memory counts and any Redis outage (tests, after flushing Redis)."""
        self._memory = _MemoryCounts()
        self._redis_down_until = 0.0

    def limit(self, rule: str | Callable[[], str], *, methods: Iterable[str] | None = None) -> Callable[[_F], _F]:
        """Limit a view per client address and per endpoint; `rule` may be a callable reading config."""
        only = {m.upper() for m in methods} if methods else None

        def decorate(view: _F) -> _F:
            @wraps(view)
            def limited(*args: Any, **kwargs: Any) -> Any:
                if current_app.config.get("RATE_LIMIT_ENABLED", True) and (only is None or request.method in only):
                    text = rule() if callable(rule) else rule
                    window = self.hit(f"{request.endpoint}:{request.remote_addr or '-'}", parse_rule(text))
                    g.rate_limit_window = window
                    if window.exceeded:
                        raise RateLimited(window)
                return view(*args, **kwargs)

            return limited  # type: ignore[return-value]

        return decorate

    def hit(self, key: str, rule: Rule) -> Window:
        """Count one request against `rule` for `key`; Redis when it answers, this process otherwise."""
        name = f"feedloop:ratelimit:{rule.amount}/{rule.seconds}:{key}"
        if time.monotonic() >= self._redis_down_until:
            try:
                count, pttl = current_app.extensions["feedloop_ratelimit_hit"](keys=[name], args=[rule.seconds * 1000])
                return Window(rule, int(count), reset_in=int(pttl) / 1000)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        count, reset_in = self._memory.hit(name, rule)
        return Window(rule, count, reset_in)

    @staticmethod
    def _headers(response: Any) -> Any:
        window: Window | None = g.get("rate_limit_window")
        if window is not None:
            response.headers["X-RateLimit-Limit"] = str(window.rule.amount)
            response.headers["X-RateLimit-Remaining"] = str(max(0, window.rule.amount - window.count))
            response.headers["X-RateLimit-Reset"] = str(int(time.time() + window.reset_in))
            if window.exceeded:
                response.headers["Retry-After"] = str(window.retry_after)
        return response
