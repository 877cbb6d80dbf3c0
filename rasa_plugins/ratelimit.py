"""At most ``BOT_RATE_LIMIT_PER_SENDER`` chat messages a minute from one sender on one channel.

Every input channel (REST, socket.io, Slack, Telegram) hands its messages to
``Agent.handle_message``; installed from this package's ``__init__``, this wraps it. A message
over the limit is neither processed nor stored in the tracker: the sender gets one reply
through the message's own output channel ("You're sending messages faster than I can read
them...") and the message is dropped. Refused messages do not count, so a sender who keeps
sending too fast still gets through at the limit's pace.

Counting is the ``limits`` library's moving one-minute window, per channel and sender id. With
``BOT_REDIS_URL`` set the counts live in Redis, shared by every Rasa server using it;
otherwise in this process's memory. When Redis fails (down, refusing, timing out) the bot
does not go silent: it counts in memory for ``REDIS_RETRY_S`` seconds (a warning in the log),
then tries Redis again. ``BOT_RATE_LIMIT_PER_SENDER=0`` turns the limit off.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import rasa
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WRAPPED_VERSION = "3.6.21"  # the wrapped method's signature is that of this Rasa release
LIMIT_VARIABLE, REDIS_VARIABLE = "BOT_RATE_LIMIT_PER_SENDER", "BOT_REDIS_URL"
DEFAULT_PER_MINUTE = 30
NAMESPACE = "recbot-chat-sender"  # first part of every key (Redis: LIMITER/recbot-chat-sender/...)
REDIS_TIMEOUT_S = 0.5  # connecting and each call: a message waits at most this when Redis hangs
REDIS_RETRY_S = 30  # after a Redis failure, count in memory this long before trying Redis again


def too_fast(wait_s: int) -> str:
    """The reply to a message over the limit."""
    when = "a few seconds" if wait_s <= 5 else f"{wait_s} seconds"
    return f"You're sending messages faster than I can read them. Give me {when} and try again."


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class SenderLimits:
    """Messages a minute per channel and sender over a moving window (the decision logic)."""

    def __init__(self, per_minute: int, redis_url: str | None = None,
                 namespace: str = NAMESPACE, retry_s: float = REDIS_RETRY_S) -> None:
        self.limit = RateLimitItemPerMinute(per_minute)
        self.namespace, self.retry_s = namespace, retry_s
        # limits' rate limiters hold only a weak reference to their storage: keep them here.
        self._memory_storage = MemoryStorage()
        self._memory = MovingWindowRateLimiter(self._memory_storage)
        self._redis_storage: RedisStorage | None = None
        self._redis: MovingWindowRateLimiter | None = None
        self.redis_url = _without_password(redis_url) if redis_url else None
        self._redis_down_until = 0.0
        if redis_url:
            try:
                self._redis_storage = RedisStorage(
                    redis_url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
                )
            except ValueError as error:  # redis.from_url: an unknown scheme, a bad port or db
                raise InvalidConfigException(
                    f"{REDIS_VARIABLE} is not a Redis URL ({error}); e.g. redis://127.0.0.1:6379/0"
                ) from None
            self._redis = MovingWindowRateLimiter(self._redis_storage)

    @property
    def shared(self) -> bool:
        """Whether counts go to Redis now (not to this process's memory)."""
        return self._redis is not None and time.monotonic() >= self._redis_down_until

    def check(self, channel: str, sender_id: str) -> int | None:
        """Counts one message; None when it is within the limit, else the seconds until the
        sender may send again (the message is not counted then)."""
        if self.shared and self._redis is not None:
            try:
                return self._count(self._redis, channel, sender_id)
            except (RedisError, OSError) as error:
                self._redis_down_until = time.monotonic() + self.retry_s
                logger.warning(
                    "Chat rate limits: Redis at %s failed (%s: %s); counting in this process's memory "
                    "for %d s.", self.redis_url, type(error).__name__, error, self.retry_s,
                )
        return self._count(self._memory, channel, sender_id)

    async def check_async(self, channel: str, sender_id: str) -> int | None:
        """``check`` without blocking the server's event loop on Redis."""
        if self.shared:
            return await asyncio.to_thread(self.check, channel, sender_id)
        return self.check(channel, sender_id)

    def _count(self, limiter: MovingWindowRateLimiter, channel: str, sender_id: str) -> int | None:
        if limiter.hit(self.limit, self.namespace, channel, sender_id):
            return None
        reset_at, _ = limiter.get_window_stats(self.limit, self.namespace, channel, sender_id)
        return max(1, math.ceil(reset_at - time.time()))


def per_minute(env: Mapping[str, str]) -> int:
    """The limit as bot/config.py reads it for the action server (tests/rasa_plugins check both agree)."""
    value = env.get(LIMIT_VARIABLE, str(DEFAULT_PER_MINUTE)).strip()
    if not (value.isascii() and value.isdigit()):
        raise InvalidConfigException(
            f"{LIMIT_VARIABLE}={value!r} must be a whole number of messages a minute (0: no limit)"
        )
    return int(value)


_limits: SenderLimits | None = None


async def handle_message_unless_too_fast(self: Agent, message: UserMessage) -> list[dict[str, Any]] | None:
    if _limits is None or not self.is_ready():
        return await _rasa_handle_message(self, message)
    wait_s = await _limits.check_async(message.input_channel or "-", message.sender_id)
    if wait_s is None:
        return await _rasa_handle_message(self, message)
    logger.info("A sender on %s is over %d messages a minute: a message was not processed.",
                message.input_channel or "-", _limits.limit.amount)
    output = message.output_channel
    try:
        await output.send_text_message(message.sender_id, too_fast(wait_s))
    except Exception as error:  # noqa: BLE001 - the channel's API failed; the message stays dropped
        logger.warning("Could not tell a sender on %s to slow down: %s", message.input_channel, error)
    if isinstance(output, CollectingOutputChannel):  # as MessageProcessor.handle_message answers
        return list(output.messages)
    return None


_rasa_handle_message = Agent.handle_message


def install(env: Mapping[str, str] | None = None) -> None:
    """Wrap Agent.handle_message once, on the Rasa release it was written and tested for."""
    global _limits
    if Agent.handle_message is handle_message_unless_too_fast:
        return
    env = os.environ if env is None else env
    amount = per_minute(env)
    if amount == 0:
        logger.info("%s=0: chat messages are not rate limited.", LIMIT_VARIABLE)
        return
    if rasa.__version__ != WRAPPED_VERSION:
        logger.warning("rasa %s is not %s: chat messages are not rate limited", rasa.__version__, WRAPPED_VERSION)
        return
    _limits = SenderLimits(amount, env.get(REDIS_VARIABLE, "").strip() or None)
    Agent.handle_message = handle_message_unless_too_fast
    logger.info("At most %d chat messages a minute per sender, counted in %s.", amount,
                _limits.redis_url or "this process's memory")
