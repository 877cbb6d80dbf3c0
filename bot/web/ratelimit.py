"""Rate limits of the HTTP API: per credential (the site's key, the operator's key, each
agent) and per user of the site events API, over a moving one-minute window.

Counting is the ``limits`` library's, in this process's memory: several web servers behind
a balancer each count on their own (issue 8's scale-out would share the counts in Redis).
A refused request gets 429 with ``Retry-After`` and says which limit it hit.
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimits:
    def __init__(self, per_key_per_minute: int, per_user_per_minute: int):
        self._per_key = RateLimitItemPerMinute(per_key_per_minute)
        self._per_user = RateLimitItemPerMinute(per_user_per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def for_key(self, credential: str) -> None:
        """One request made with ``credential`` ("site", "api", "agent:anna"); 429 beyond the limit."""
        self._hit(self._per_key, "key", credential, "this key")

    def for_user(self, user_id: str) -> None:
        """One site event about ``user_id``; 429 beyond the limit."""
        self._hit(self._per_user, "user", user_id, "this user")

    def _hit(self, limit: RateLimitItemPerMinute, kind: str, who: str, whom: str) -> None:
        if self._limiter.hit(limit, kind, who):
            return
        reset_at = self._limiter.get_window_stats(limit, kind, who).reset_time
        wait_s = max(1, math.ceil(reset_at - time.time()))
        raise HTTPException(
            429, f"too many requests for {whom}: at most {limit.amount} a minute; try again in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )
