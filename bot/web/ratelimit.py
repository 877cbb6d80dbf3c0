"""Rate limits of the HTTP API: per credential (the site's key, the operator's key, each
agent) and per user of the site events API, over a moving one-minute window.

Counting is the ``limits`` library's: in Redis when ``BOT_REDIS_URL`` is set, so several web
servers behind a balancer share the counts, otherwise in this process's memory. Redis
unreachable never takes the site down: the counts go on in memory (a warning in the log),
and Redis is tried again after ``REDIS_RETRY_S``.
A refused request gets 429 with ``Retry-After`` and says which limit it hit.
"""

from __future__ import annotations

import logging
import math
import time

from fastapi import HTTPException
from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

KEY_PREFIX = "recbot-web"  # Redis keys: KEY_PREFIX:LIMITER/...
REDIS_TIMEOUT_S = 0.5  # connecting and each call; a request waits at most this when Redis hangs
REDIS_RETRY_S = 30  # after a Redis failure, count in memory this long before trying Redis again


class RateLimits:
    def __init__(self, per_key_per_minute: int, per_user_per_minute: int, redis_url: str | None = None,
                 key_prefix: str | None = None):
        self._per_key = RateLimitItemPerMinute(per_key_per_minute)
        self._per_user = RateLimitItemPerMinute(per_user_per_minute)
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        self._redis_down_until = 0.0
        if redis_url:
            self._shared = MovingWindowRateLimiter(RedisStorage(
                redis_url, key_prefix=key_prefix or KEY_PREFIX, wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S,
            ))

    @property
    def shared(self) -> bool:
        """Whether the counts are in Redis right now (not in this process's memory)."""
        return self._shared is not None and time.monotonic() >= self._redis_down_until

    def for_key(self, credential: str) -> None:
        """One request made with ``credential`` ("site", "api", "agent:anna"); 429 beyond the limit."""
        self._hit(self._per_key, "key", credential, "this key")

    def for_user(self, user_id: str) -> None:
        """One site event about ``user_id``; 429 beyond the limit."""
        self._hit(self._per_user, "user", user_id, "this user")

    def _hit(self, limit: RateLimitItemPerMinute, kind: str, who: str, whom: str) -> None:
        limiter = self._shared if self.shared and self._shared is not None else self._memory
        try:
            reset_at = self._count(limiter, limit, kind, who)
        except StorageError as error:
            self._redis_down_until = time.monotonic() + REDIS_RETRY_S
            log.warning("rate limits: Redis failed (%s: %s); counting in this process's memory for %d s",
                        type(error.storage_error).__name__, error.storage_error, REDIS_RETRY_S)
            reset_at = self._count(self._memory, limit, kind, who)
        if reset_at is None:
            return
        wait_s = max(1, math.ceil(reset_at - time.time()))
        raise HTTPException(
            429, f"too many requests for {whom}: at most {limit.amount} a minute; try again in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )

    @staticmethod
    def _count(limiter: MovingWindowRateLimiter, limit: RateLimitItemPerMinute, kind: str, who: str) -> float | None:
        """Counts one request; None when it is within the limit, else when the window frees a place."""
        if limiter.hit(limit, kind, who):
            return None
        return limiter.get_window_stats(limit, kind, who).reset_time
