"""Fuzzing the REST channel (``POST /webhooks/rest/webhook``) with the real Rasa server and
action server: the shared nasty corpus and hypothesis examples as message text and as sender
id, and bodies of the wrong shape.

Whatever a client sends, the answer is never a 5xx and never shows a Python traceback or
exception; a body that cannot be a chat message gets a 4xx with a JSON ``message`` saying why
(``rasa_plugins.rest_channel.RestInput``) and leaves no trace in either database; a message that
is accepted gets a real reply (not the action server's "something went wrong"), and afterwards
the same sender still gets a normal answer to "hi". Users who never said yes to being
remembered have no events or preferences in the engine database. Failing hypothesis examples
are kept in ``build/hypothesis`` and replayed first by the next run.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

import requests
from fuzz_corpus import (
    BLANK,
    HUGE,
    INJECTION,
    INVALID_UTF8,
    KB,
    NASTY,
    NASTY_NUMBERS,
    RASA_PAYLOADS,
    UNICODE,
    fuzz_settings,
)
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from actions.runtime import ERROR_REPLY

MAX_MESSAGE_CHARS = 2000  # rasa_plugins/rest_channel.py, as the chat page's input
MAX_SENDER_CHARS = 255
DOWN = "Sorry, part of me isn't working right now"  # rasa_plugins/action_server_down.py
TOO_FAST = "You're sending messages faster than I can read them"  # rasa_plugins/ratelimit.py
GREETINGS = ("Hi! I'm your", "Welcome back")
SILENT = re.compile(r"/(restart|session_start|back)\b")  # Rasa's own intents: no reply of their own
INTENTS = ["greet", "goodbye", "request_recommendations", "more_like_this", "like", "dislike", "not_interested",
           "change_preferences", "why_this", "help", "bot_challenge", "affirm", "deny", "skip", "inform",
           "out_of_scope", "show_profile", "withdraw_consent", "export_data", "erase_data", "request_human",
           "support_request", "handed_back", "handoff_timed_out", "restart", "session_start", "back",
           "nlu_fallback", "no_such_intent", ""]
ENTITY_NAMES = ["item_id", "category", "title", "consent", "last_recommendations", "requested_slot", "x"]
# A Python exception shown to the user: a traceback, a source line, an exception's repr or
# message, a class or object repr.
LEAK = re.compile(r"Traceback|File \"|\b[A-Z]\w*(Error|Exception)\b[(:]|<class '|object at 0x")

FUZZ = fuzz_settings(max_examples=40)  # bodies refused before Rasa: fast
FUZZ_TURNS = fuzz_settings(max_examples=25)  # a Rasa turn each (about 0.2 s, more on a busy machine)


# --- talking to the channel ----------------------------------------------------------------


def post(services, body: Any, *, raw: bool = False, content_type: str = "application/json",
         params: dict[str, str] | None = None) -> requests.Response:
    """POST a body (JSON-encoded unless raw bytes) to the REST webhook."""
    data = body if raw else json.dumps(body).encode()
    return requests.post(services.rasa_url + "/webhooks/rest/webhook", data=data, params=params,
                         headers={"Content-Type": content_type}, timeout=120)


def leaks(text: str) -> bool:
    return LEAK.search(text) is not None


def check_answer(res: requests.Response, sent: str = "") -> None:
    """No 5xx and no exception shown; a refusal is Rasa-style JSON with a readable message."""
    assert res.status_code < 500, (res.status_code, res.text[:1000])
    assert not leaks(res.text) or leaks(sent), res.text[:2000]
    if res.status_code >= 400:
        error = res.json()
        assert error["status"] == "failure" and error["code"] == res.status_code, error
        assert isinstance(error["message"], str) and error["message"].strip(), error


def check_refused(res: requests.Response, status: int, says: str) -> None:
    check_answer(res)
    assert res.status_code == status, (res.status_code, res.text[:500])
    assert says in res.json()["message"], res.json()


def check_replied(res: requests.Response, sent: str = "") -> list[dict[str, Any]]:
    """A 200 with the bot's messages, none of them an apology for a failure."""
    check_answer(res, sent)
    assert res.status_code == 200, (res.status_code, res.text[:500])
    reply = res.json()
    assert isinstance(reply, list), reply
    assert reply or SILENT.match(sent), f"no reply to {sent[:40]!r}"
    for message in reply:
        assert isinstance(message, dict) and ("text" in message or "image" in message), message
        said = message.get("text", "")
        assert ERROR_REPLY not in said and DOWN not in said and TOO_FAST not in said, (sent[:40], said)
    return reply


def say(services, sender: str, message: str) -> requests.Response:
    return post(services, {"sender": sender, "message": message})


def refusal_for(sender: Any, message: Any) -> tuple[int, str] | None:
    """The status and message fragment the channel answers a {sender, message} body with, or
    None when it takes the message."""
    if len(json.dumps({"sender": sender, "message": message}).encode()) > 64 * KB:
        return 413, "the body is too large"
    if not isinstance(sender, str) or not sender.strip():
        return 400, '"sender" must be a non-empty string'
    if len(sender) > MAX_SENDER_CHARS:
        return 400, '"sender" is too long'
    if "\x00" in sender:
        return 400, '"sender" contains a NUL character'
    if re.search("[\ud800-\udfff]", sender):
        return 400, '"sender" is not valid Unicode'
    if not isinstance(message, str):
        return 400, '"message" must be a string'
    if not message.strip():
        return 400, '"message" is empty'
    if len(message) > MAX_MESSAGE_CHARS:
        return 413, '"message" is too long'
    if "\x00" in message:
        return 400, '"message" contains a NUL character'
    if re.search("[\ud800-\udfff]", message):
        return 400, '"message" is not valid Unicode'
    return None


def send_and_check(services, sender: Any, message: Any) -> requests.Response:
    res = post(services, {"sender": sender, "message": message})
    refusal = refusal_for(sender, message)
    if refusal is None:
        check_replied(res, message)
    else:
        check_refused(res, *refusal)
    return res


# --- what was stored ---------------------------------------------------------------------


def tracker_rows(services, sender: str | None = None) -> int:
    """Rows of Rasa's tracker store (SQLite here): all, or one sender's."""
    with sqlite3.connect(f"file:{services.env['TRACKER_DB']}?mode=ro", uri=True) as db:
        if sender is None:
            return db.execute("SELECT count(*) FROM events").fetchone()[0]
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def engine_rows(services) -> dict[str, int]:
    db = create_engine(services.env["BOT_DATABASE_URL"])
    try:
        with db.connect() as connection:
            return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("users", "preferences", "events", "consents")}
    finally:
        db.dispose()


def remembered_without_consent(services) -> dict[str, int]:
    """Senders with events or preferences in the engine database whose newest consent is not a yes."""
    db = create_engine(services.env["BOT_DATABASE_URL"])
    try:
        with db.connect() as connection:
            stored = connection.execute(text(
                "SELECT sender_id, count(*) FROM (SELECT sender_id FROM events UNION ALL "
                "SELECT sender_id FROM preferences) GROUP BY sender_id")).all()
            granted = dict(connection.execute(text(
                "SELECT c.sender_id, c.granted FROM consents c WHERE c.id = "
                "(SELECT max(id) FROM consents WHERE sender_id = c.sender_id)")).all())
    finally:
        db.dispose()
    return {sender: rows for sender, rows in stored if not granted.get(sender)}


def check_still_normal(services, sender: str) -> None:
    """After the fuzzing the sender is answered as anyone would be."""
    reply = check_replied(say(services, sender, "hi"), "hi")
    assert any(m.get("text", "").startswith(GREETINGS) for m in reply), reply
    assert remembered_without_consent(services) == {}


# --- the corpus ----------------------------------------------------------------------------


def test_every_corpus_string_as_a_message(services):
    """One conversation through the whole corpus (it walks through onboarding questions, the
    fallback and recommendations on the way)."""
    sender = "fuzz-corpus-messages"
    for message in NASTY:
        send_and_check(services, sender, message)
    check_still_normal(services, sender)


def test_every_corpus_string_as_a_sender(services):
    """Each corpus string is a new user saying hello (the greeting reads the engine database)."""
    accepted = 0
    for sender in NASTY:
        refusal = refusal_for(sender, "hello")
        res = say(services, sender, "hello")
        if refusal:
            check_refused(res, *refusal)
            continue
        accepted += 1
        check_replied(res)
        assert any(m.get("text", "").startswith(GREETINGS) for m in res.json())
    assert accepted > len(NASTY) / 2
    assert remembered_without_consent(services) == {}


def test_button_payloads_of_any_shape(services):
    """Typed "/intent{json}" messages: every intent (also those only buttons, the agent console
    or Rasa itself send), entities of every JSON type and broken JSON."""
    sender = "fuzz-payloads"
    values = [None, True, 0, -1, 2**64, 10**300, 1.5, "", "alien-1979", "Sci-Fi", "x" * 300, [], ["alien-1979"],
              [[["deep"]]], {}, {"item_id": "alien-1979"}, *INJECTION[:6], *UNICODE[:4]]
    for intent in INTENTS:
        send_and_check(services, sender, f"/{intent}")
    for number, value in enumerate(values):  # each value once, as the item or another entity
        intent, name = INTENTS[number % 8], ENTITY_NAMES[number % len(ENTITY_NAMES)]
        send_and_check(services, sender, f"/{intent}{json.dumps({'item_id' if number % 2 else name: value})}")
    for payload in RASA_PAYLOADS:
        send_and_check(services, sender, payload)
    check_still_normal(services, sender)


# --- hypothesis ----------------------------------------------------------------------------

nasty_text = st.sampled_from(NASTY)
texts = (st.text(max_size=300) | nasty_text | st.sampled_from(RASA_PAYLOADS)
         | st.text(st.characters(max_codepoint=0x3000), min_size=1, max_size=60))
payloads = st.builds(
    lambda intent, entities: f"/{intent}{entities}",
    st.sampled_from(INTENTS),
    st.just("") | st.dictionaries(st.sampled_from(ENTITY_NAMES) | st.text(max_size=8),
                                  st.none() | st.booleans() | st.integers() | st.text(max_size=20) | nasty_text,
                                  max_size=3).map(json.dumps),
)


@FUZZ_TURNS
@given(message=texts | payloads)
def test_any_message_text(services, message):
    send_and_check(services, "fuzz-hypothesis-messages", message)


@FUZZ_TURNS
@given(sender=st.text(min_size=1, max_size=300) | nasty_text)
def test_any_sender_id(services, sender):
    res = send_and_check(services, sender, "hi")
    event(f"HTTP {res.status_code}")
    if res.status_code == 200:
        assert any(m.get("text", "").startswith(GREETINGS) for m in res.json())


def test_the_hypothesis_senders_are_still_answered_normally(services):
    check_still_normal(services, "fuzz-hypothesis-messages")


# --- bodies of the wrong shape -------------------------------------------------------------

OK = {"sender": "fuzz-shape", "message": "hello"}
REFUSED_SENDER = "fuzz-refused"


def with_(**fields: Any) -> bytes:
    return json.dumps({"sender": REFUSED_SENDER, "message": "hello", **fields}).encode()


def without(field: str) -> bytes:
    return json.dumps({k: v for k, v in {"sender": REFUSED_SENDER, "message": "hello"}.items() if k != field}).encode()


WRONG_SHAPES: list[tuple[bytes, int, str]] = [
    *[(with_(message=value), 400, '"message" must be a string')
      for value in [0, -1, 1.5, 2**64, 10**400, True, False, None, [], ["hello"], {}, {"text": "hello"}]],
    (without("message"), 400, '"message" must be a string'),
    *[(with_(sender=value), 400, '"sender" must be a non-empty string')
      for value in [0, 42, 2**64, -1.5, True, None, [], ["a"], {}, {"id": "a"}, *(b for b in BLANK if not b.strip())]],
    (without("sender"), 400, '"sender" must be a non-empty string'),
    (with_(sender="x" * (MAX_SENDER_CHARS + 1)), 400, '"sender" is too long'),
    (with_(sender="a\x00b"), 400, '"sender" contains a NUL character'),
    (with_(sender="\ud800"), 400, '"sender" is not valid Unicode'),
    (with_(message="a\udc80b"), 400, '"message" is not valid Unicode'),
    (with_(message="nul\x00inside"), 400, '"message" contains a NUL character'),
    (with_(message="x" * (MAX_MESSAGE_CHARS + 1)), 413, '"message" is too long'),
    *[(with_(message=huge), 413, "too") for huge in HUGE],  # the message, or the whole body
    (with_(message="x" * (100 * KB)), 413, "the body is too large"),
    (with_(metadata=[1, 2]), 400, '"metadata" must be a JSON object'),
    (with_(metadata="x"), 400, '"metadata" must be a JSON object'),
    (b"", 400, "not valid JSON"),
    (b" ", 400, "not valid JSON"),
    (b"hello", 400, "not valid JSON"),
    (b"sender=fuzz-refused&message=hello", 400, "not valid JSON"),
    (b"<xml>hello</xml>", 400, "not valid JSON"),
    (b"{", 400, "not valid JSON"),
    (b'{"sender": "fuzz-refused", "message": "hello",}', 400, "not valid JSON"),
    (b"{'sender': 'fuzz-refused', 'message': 'hello'}", 400, "not valid JSON"),
    (b'{"sender": "fuzz-refused", "message": NaN}', 400, "NaN is not a JSON value"),
    (b'{"sender": "fuzz-refused", "message": "hello", "n": Infinity}', 400, "Infinity is not a JSON value"),
    (b'{"sender": "fuzz-refused", "message": "hello", "n": -Infinity}', 400, "Infinity is not a JSON value"),
    (b'{"sender": "fuzz-refused", "message": "hello", "n": 1e999}', 400, "out of range"),
    (b'{"sender": "fuzz-refused", "message": "hello", "n": ' + b"9" * 5000 + b"}", 400, "a number too long"),
    (b"1" * 5000, 400, "a number too long"),
    (b"[" * 30_000 + b"]" * 30_000, 400, "nesting too deep"),
    (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, 400, "nesting too deep"),
    (b"[" * 100_000, 413, "the body is too large"),
    (json.dumps(OK).encode("utf-16"), 400, "not UTF-8"),
    (json.dumps(OK).encode("utf-32"), 400, "not UTF-8"),
    *[(raw, 400, "not UTF-8") for raw in INVALID_UTF8],
    *[(b'{"sender": "fuzz-refused", "message": "' + raw + b'"}', 400, "not UTF-8") for raw in INVALID_UTF8],
    *[(b'{"sender": "' + raw + b'", "message": "hello"}', 400, "not UTF-8") for raw in INVALID_UTF8],
    *[(json.dumps(value).encode(), 400, "must be a JSON object")
      for value in [None, True, 0, 2**64, 1.5, "hello", [], [OK], [OK, OK]]],
]


def test_bodies_of_the_wrong_shape_get_a_clear_error_and_store_nothing(services):
    before_tracker, before_engine = tracker_rows(services), engine_rows(services)
    for body, status, says in WRONG_SHAPES:
        res = post(services, body, raw=True)
        check_refused(res, status, says)
        assert res.headers["content-type"].startswith("application/json")
    assert tracker_rows(services) == before_tracker
    assert engine_rows(services) == before_engine
    assert tracker_rows(services, REFUSED_SENDER) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(NASTY_NUMBERS) | st.text(max_size=30)
    | nasty_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
bodies = (
    st.fixed_dictionaries({}, optional={"sender": st.sampled_from(["fuzz-any-body"]) | json_values,
                                        "message": st.sampled_from(["hello", "hi there"]) | json_values,
                                        "metadata": json_values, "input_channel": json_values,
                                        "x": json_values})
    | json_values
)


def encoded(value: Any) -> bytes:
    """JSON as Python writes it (NaN, Infinity and lone surrogates as escapes included)."""
    return json.dumps(value).encode()


@FUZZ
@given(body=bodies)
def test_json_of_any_shape(services, body):
    res = post(services, encoded(body), raw=True)
    event(f"HTTP {res.status_code}")
    if res.status_code == 200:
        assert isinstance(body, dict)
        sent = body.get("message")
        assert refusal_for(body.get("sender"), sent) is None, body
        check_replied(res, sent)
    else:
        check_answer(res)
        assert 400 <= res.status_code < 500


@FUZZ
@given(content=st.binary(max_size=300) | st.sampled_from(INVALID_UTF8) | st.text(max_size=100).map(str.encode),
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", "",
                                     "multipart/form-data; boundary=x", "application/json; charset=latin-1"]))
def test_raw_bytes_of_any_kind(services, content, content_type):
    res = post(services, content, raw=True, content_type=content_type)
    check_answer(res)
    assert res.status_code == 400  # no bytes of this size are a chat message with a sender and text


def test_a_valid_body_is_taken_whatever_the_content_type(services):
    """As with Rasa's own channel (curl -d sends a form content type); only the body counts."""
    for content_type in ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]:
        check_replied(post(services, {"sender": "fuzz-content-type", "message": "hello"}, content_type=content_type))


def test_metadata_with_huge_numbers_and_deep_nesting_does_not_break_the_action_server(services):
    """Metadata is stored with the message and sent on to the action server with the tracker."""
    sender = "fuzz-metadata"
    deep: Any = "bottom"
    for _ in range(60):
        deep = {"d": deep}
    metadata = {"big": 2**64, "bigger": -(10**300), "tiny": 5e-324, "text": NASTY[:20], "deep": deep, "list": [[[[]]]]}
    check_replied(post(services, {"sender": sender, "message": "recommend me something", "metadata": metadata}))
    check_replied(post(services, {"sender": sender, "message": "hello", "metadata": {}}))
    check_still_normal(services, sender)


def test_the_client_cannot_name_another_channel(services):
    """``input_channel`` in the body is not taken: it would be recorded with the user's consent
    and events, and decide whether a person could answer later (the REST channel cannot)."""
    sender = "fuzz-input-channel"
    for claimed in ["slack", "telegram", "socketio", "x" * 300, "", 42, None, ["rest"]]:
        check_replied(post(services, {"sender": sender, "message": "hello", "input_channel": claimed}))
    tracker = requests.get(f"{services.rasa_url}/conversations/{sender}/tracker",
                           params={"token": services.rasa_token}, timeout=30).json()
    assert tracker["latest_input_channel"] == "rest"
    assert {e.get("input_channel") for e in tracker["events"] if e["event"] == "user"} == {"rest"}


def test_streamed_replies_and_other_methods(services):
    streamed = post(services, {"sender": "fuzz-stream", "message": "hello"}, params={"stream": "true"})
    assert streamed.status_code == 200
    lines = [json.loads(line) for line in streamed.text.splitlines() if line.strip()]
    assert lines and any(m.get("text", "").startswith(GREETINGS) for m in lines)
    check_refused(post(services, {"sender": "fuzz-stream", "message": 7}, params={"stream": "true"}),
                  400, '"message" must be a string')
    for method in ["GET", "PUT", "DELETE", "PATCH"]:
        res = requests.request(method, services.rasa_url + "/webhooks/rest/webhook", data=b"{}", timeout=30)
        assert res.status_code == 405 and not leaks(res.text), (method, res.status_code, res.text[:300])
    assert requests.get(services.rasa_url + "/webhooks/rest/", timeout=30).json() == {"status": "ok"}


def test_the_action_server_never_failed(services):
    """The action server turns an exception into a polite reply (actions/runtime.py), and Rasa
    one of a failed call into an apology: both would hide a crash from the checks above."""
    logs = {path.name: path.read_text(errors="replace") for path in services.workdir.glob("*.log")}
    for name in ("actions.log", "rasa.log"):  # log.exception: a traceback for every failure
        assert "Traceback" not in logs[name], logs[name][-5000:]
    assert remembered_without_consent(services) == {}
