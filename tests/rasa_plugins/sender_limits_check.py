"""The chat rate limit's decision logic (rasa_plugins/ratelimit.py), run in the Rasa environment
by tests/rasa_plugins/test_sender_rate_limit.py: ``.venv-rasa/bin/python tests/rasa_plugins/sender_limits_check.py
REDIS_URL``. Prints ``ok <check>`` for each check that passed; fails on the first that does not.

Started with BOT_RATE_LIMIT_PER_SENDER=0, so importing rasa_plugins installs nothing and each
check builds the limits it needs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
import uuid

from named_checks import check  # this script's directory
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException

from rasa_plugins import ratelimit
from rasa_plugins.ratelimit import SenderLimits

REDIS_URL = sys.argv[1]
LIMIT_CASES = json.loads(os.environ["LIMIT_CASES"])  # value: the limit the engine's settings read, or None if refused
TOO_FAST = "You're sending messages faster than I can read them."


@check("memory: the sixth message in a minute waits; other senders and channels count on their own")
def _():
    limits = SenderLimits(5)
    assert [limits.check("rest", "a") for _ in range(5)] == [None] * 5
    wait_s = limits.check("rest", "a")
    assert isinstance(wait_s, int) and 1 <= wait_s <= 60, wait_s
    assert limits.check("rest", "a") is not None  # still too fast: refused messages do not count
    assert limits.check("rest", "b") is None
    assert limits.check("socketio", "a") is None
    assert not limits.shared


@check("redis: two servers share the counts")
def _():
    namespace = f"test-sender-{uuid.uuid4().hex[:12]}"
    first, second = SenderLimits(5, REDIS_URL, namespace), SenderLimits(5, REDIS_URL, namespace)
    answers = [server.check("slack", "U1") for server in (first, second, first, second, first)]
    assert answers == [None] * 5, answers
    assert second.check("slack", "U1") is not None
    assert first.check("slack", "U1") is not None
    assert first.check("slack", "U2") is None
    assert first.shared and second.shared
    keys = list(first._redis_storage.storage.scan_iter(f"LIMITER/{namespace}/*"))
    assert keys, "nothing counted in Redis"
    first._redis_storage.storage.delete(*keys)


@check("redis refusing connections: counted in memory, one warning without the password")
def _():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    warnings = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())
    logging.getLogger(ratelimit.__name__).addHandler(handler)
    limits = SenderLimits(2, f"redis://:s3cret@127.0.0.1:{closed_port}/0")
    assert [limits.check("telegram", "42") for _ in range(3)][:2] == [None, None]
    assert limits.check("telegram", "42") is not None  # still limited, in memory
    assert not limits.shared
    assert len(warnings) == 1, warnings
    assert "counting in this process's memory" in warnings[0] and "s3cret" not in warnings[0], warnings


@check("the wrapper: a message over the limit is not processed and gets one reply")
def _():
    processed = []

    async def rasa_handle_message(agent, message):
        processed.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "normal answer")
        return message.output_channel.messages

    class ReadyAgent:
        def is_ready(self):
            return True

    ratelimit._rasa_handle_message, ratelimit._limits = rasa_handle_message, SenderLimits(2)

    def say(text, sender="web-1"):
        message = UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest")
        return asyncio.run(ratelimit.handle_message_unless_too_fast(ReadyAgent(), message))

    assert say("one") == [{"recipient_id": "web-1", "text": "normal answer"}]
    assert say("two")[0]["text"] == "normal answer"
    [reply] = say("three")
    assert reply["recipient_id"] == "web-1" and reply["text"].startswith(TOO_FAST), reply
    assert processed == ["one", "two"]
    assert say("hello", sender="web-2")[0]["text"] == "normal answer"


@check("the limit is read as the engine's settings read it, or refused alike")
def _():
    for value, expected in LIMIT_CASES.items():
        try:
            read = ratelimit.per_minute({"BOT_RATE_LIMIT_PER_SENDER": value})
        except InvalidConfigException:
            read = None
        assert read == expected, (value, read, expected)


@check("install: a malformed limit stops start-up naming the variable; 0 installs nothing")
def _():
    try:
        ratelimit.install({"BOT_RATE_LIMIT_PER_SENDER": "lots"})
    except InvalidConfigException as error:
        assert "BOT_RATE_LIMIT_PER_SENDER='lots'" in str(error), error
    else:
        raise AssertionError("a malformed limit was accepted")
    try:
        ratelimit.install({"BOT_RATE_LIMIT_PER_SENDER": "5", "BOT_REDIS_URL": "http://127.0.0.1:6379"})
    except InvalidConfigException as error:
        assert "BOT_REDIS_URL" in str(error), error
    else:
        raise AssertionError("a URL that is no Redis URL was accepted")
    from rasa.core.agent import Agent

    ratelimit.install({"BOT_RATE_LIMIT_PER_SENDER": "0"})
    assert Agent.handle_message is not ratelimit.handle_message_unless_too_fast
    ratelimit.install({"BOT_RATE_LIMIT_PER_SENDER": "5"})
    assert Agent.handle_message is ratelimit.handle_message_unless_too_fast
