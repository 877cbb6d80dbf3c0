"""Fuzzing the site API and the user-data API (hypothesis plus the shared nasty corpus).

Whatever a website or a script sends, the answer is never a 5xx, an error body is JSON with
a readable ``detail`` and no traceback or exception repr, a refused request writes nothing
to the engine database, and an accepted site event is stored exactly as given.

The hypothesis properties run on SQLite (fast, and every example starts from the same
database); the sweep of the whole corpus through every field and path also runs on
PostgreSQL, which refuses what SQLite keeps (NUL characters, ids over 255 characters).
Failing examples are kept in ``build/hypothesis`` and replayed first by the next run.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from fuzz_corpus import INVALID_UTF8, NASTY, NASTY_NUMBERS, fuzz_settings
from hypothesis import assume, event, given
from hypothesis import strategies as st
from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import func, inspect, select

from bot.catalog_files import load_catalog
from bot.config import PROJECT_ROOT
from bot.engine import Engine
from bot.schema import Base, Consent, Event
from bot.store import Store
from bot.web.app import create_app
from bot.web.site import NO_CONSENT

SITE_KEY = "site-key-for-fuzz"
API_KEY = "operator-key-for-fuzz"
SITE = {"Authorization": f"Bearer {SITE_KEY}"}
OPERATOR = {"Authorization": f"Bearer {API_KEY}"}
ITEM_IDS = sorted(item.id for item in load_catalog(PROJECT_ROOT / "data/catalog/movies.jsonl").items)
EVENT_TYPES = ["view", "click", "add_to_cart", "purchase", "like", "dislike", "not_interested"]
FIELDS = ["user_id", "type", "item_id", "at", "consent"]
CONSENTED, WITHDRAWN = "shopper", "changed-mind"
AWARE = TypeAdapter(AwareDatetime)
MAX_URL = 60_000  # httpx refuses longer URLs (a real server answers 414 well before)

FUZZ = fuzz_settings(max_examples=150)

# A Python exception shown to the user: a traceback, a repr such as ValueError('...'),
# a class or object repr.
LEAK = re.compile(r"Traceback|File \"/|\b[A-Z]\w*(Error|Exception|Warning)\(|<class '|object at 0x")


# --- fixtures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """The engine under test and its database, which the checks read directly."""

    engine: Engine
    store: Store


def reset(backend: Backend) -> None:
    """Empty the database, then one user who consented and one who withdrew: every example
    starts from the same state (so a failure replays while shrinking)."""
    with backend.store.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    backend.engine.set_consent(CONSENTED, True)
    backend.engine.set_consent(WITHDRAWN, True)
    backend.engine.set_consent(WITHDRAWN, False)


def backend_on(catalog, index, encoder, url: str) -> Iterator[Backend]:
    store = Store(url)
    yield Backend(Engine(catalog, index, encoder, store), store)
    store.engine.dispose()


def client_for(settings, engine: Engine) -> TestClient:
    # Limits out of the way: this fuzzes the API, tests/bot/web/test_rate_limits.py the limits.
    configured = dataclasses.replace(settings, site_key=SITE_KEY, api_key=API_KEY, user_token_secret="u" * 32,
                                     rate_limit_per_key=10**6, rate_limit_per_user=10**6)
    return TestClient(create_app(configured, engine_factory=lambda _settings: engine))


@pytest.fixture
def fuzz(catalog, index, encoder, sqlite_url) -> Iterator[Backend]:
    """The real engine on the demo catalog and SQLite; each example calls :func:`reset` first."""
    yield from backend_on(catalog, index, encoder, sqlite_url)


@pytest.fixture
def client(settings, fuzz) -> TestClient:
    return client_for(settings, fuzz.engine)


def row_counts(backend: Backend) -> dict[str, int]:
    """Rows in every table of the engine database (one query)."""
    tables = Base.metadata.sorted_tables
    counts = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    with backend.store.engine.connect() as connection:
        return dict(connection.execute(counts).one()._mapping)


def newest_event(backend: Backend, user_id: str) -> Event:
    with backend.store.transaction() as session:
        return session.scalars(
            select(Event).where(Event.sender_id == user_id).order_by(Event.id.desc()).limit(1)
        ).one()


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def assert_clear_error(res) -> None:
    """A JSON body with a readable ``detail``: text, or FastAPI's list of {loc, msg}."""
    assert res.headers["content-type"].startswith("application/json"), res.text[:300]
    detail = res.json()["detail"]
    if isinstance(detail, str):
        assert detail.strip()
    else:
        assert isinstance(detail, list) and detail, detail
        for error in detail:
            assert isinstance(error["msg"], str) and error["msg"].strip(), error
            assert isinstance(error["loc"], list), error
    assert not LEAK.search(res.text), res.text[:1000]


def assert_answered(res) -> None:
    assert res.status_code < 500, (res.status_code, res.text[:1000])
    if res.status_code >= 400:
        assert_clear_error(res)


def send_fresh(backend: Backend, request: Callable[[], Any]) -> tuple[Any, dict[str, int], datetime]:
    """The steps every property shares: reset the database (each example starts from the same
    state), note its row counts and the time, send ``request()``, check the answer (no 5xx, a
    clear error) and that a refused request wrote nothing, and count the status for
    ``pytest --hypothesis-show-statistics``. Returns the response, the counts before, the time."""
    reset(backend)
    before, when = row_counts(backend), datetime.now(UTC)
    res = request()
    assert_answered(res)
    if res.status_code >= 400:
        assert row_counts(backend) == before, "a refused request changed the database"
    event(f"HTTP {res.status_code}")
    return res, before, when


# --- strategies --------------------------------------------------------------------------

nasty_text = st.sampled_from(NASTY)
nasty_number = st.sampled_from(NASTY_NUMBERS)
json_scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
                | nasty_text | nasty_number)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8),
                                                                inner, max_size=4),
    max_leaves=10,
)
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
odd_offsets = st.builds(  # with seconds: no ISO 8601 offset, refused
    timezone, st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
)
# Past moments the API must take (ISO 8601 with an offset; not before 2000-01-01).
past_times = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2025, 12, 31), timezones=offsets)
any_times = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59),
                         timezones=offsets | odd_offsets)
bad_times = (
    any_times.map(datetime.isoformat)
    | st.datetimes().map(datetime.isoformat)  # no offset
    | st.sampled_from(["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2024-02-30T00:00:00Z",
                       "2024-01-01", "12:00:00Z", "now", "P1D", "1970-01-01T00:00:00+24:00"])
    | st.integers() | st.floats() | nasty_number | nasty_text
)
user_ids = st.sampled_from([CONSENTED, WITHDRAWN, "newcomer"]) | nasty_text | st.text(min_size=1, max_size=300)
item_ids = st.sampled_from(ITEM_IDS) | nasty_text | st.text(max_size=40)
types = st.sampled_from(EVENT_TYPES) | st.sampled_from(["impression", "search", "VIEW", " view"]) | nasty_text
consents = st.booleans() | st.none() | st.sampled_from(["true", "yes", 1, 0, "false", [], {}]) | nasty_number

plain_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=255).filter(str.strip)
valid_events = st.fixed_dictionaries(
    {"user_id": st.sampled_from([CONSENTED, WITHDRAWN, "newcomer"]) | plain_text,
     "type": st.sampled_from(EVENT_TYPES),
     "item_id": st.sampled_from(ITEM_IDS)},
    optional={"at": past_times.map(datetime.isoformat), "consent": st.booleans()},
)
wrong_values = {
    "user_id": user_ids | json_values,
    "type": types | json_values,
    "item_id": item_ids | json_values,
    "at": bad_times | json_values,
    "consent": consents | json_values,
}


@st.composite
def one_field_wrong(draw) -> dict[str, Any]:
    """A valid event with one field replaced, removed, or an extra field added."""
    event = draw(valid_events)
    key = draw(st.sampled_from([*FIELDS, "extra"]))
    if key == "extra":
        event[draw(st.text(max_size=20) | nasty_text)] = draw(json_values)
    elif draw(st.booleans()) and key in event:
        del event[key]
    else:
        event[key] = draw(wrong_values[key])
    return event


any_shape = st.fixed_dictionaries({}, optional={key: values for key, values in wrong_values.items()})
bodies = valid_events | one_field_wrong() | any_shape | json_values


# --- POST /api/events --------------------------------------------------------------------


def check_event_answer(client: TestClient, backend: Backend, body: Any, res, before: dict[str, int],
                       when: datetime) -> None:
    assert_answered(res)
    after = row_counts(backend)
    if res.status_code >= 400:
        assert after == before, "a refused event changed the database"
        return
    assert isinstance(body, dict)
    user_id = body["user_id"]
    if res.status_code == 200:  # not stored; a withdrawal on the banner also forgets the past
        assert res.json() == {"stored": False, "queued": False, "reason": NO_CONSENT}
        assert backend.engine.consent(user_id) is not True
        assert after["events"] <= before["events"]
        assert backend.store.events(user_id) == []
        return
    assert res.status_code == 202 and res.json() == {"stored": True, "queued": False, "reason": None}
    assert after["events"] == before["events"] + 1
    assert backend.engine.consent(user_id) is True
    stored = newest_event(backend, user_id)
    assert (stored.sender_id, stored.type, stored.item_id, stored.channel) == (
        user_id, body["type"], body["item_id"], "site")
    if body.get("at") is None:
        assert when - timedelta(seconds=5) <= as_utc(stored.created_at) <= datetime.now(UTC) + timedelta(seconds=5)
    else:  # ISO 8601 text, or a Unix time (pydantic's reading of a number)
        assert as_utc(stored.created_at) == AWARE.validate_python(body["at"]).astimezone(UTC)
    # The stored event does not break the user's next recommendations.
    assert_answered(client.get(f"/api/users/{user_path(user_id)}/recommendations", headers=SITE))
    assert_answered(client.get(f"/api/users/{user_path(user_id)}/export", headers=OPERATOR))


def post(client: TestClient, content: bytes, content_type: str = "application/json"):
    return client.post("/api/events", content=content, headers={**SITE, "Content-Type": content_type})


@FUZZ
@given(body=bodies)
def test_any_json_body_is_answered_without_5xx_and_stored_only_when_valid(client, fuzz, body):
    # NaN and Infinity become JSON literals
    res, before, when = send_fresh(fuzz, lambda: post(client, json.dumps(body).encode()))
    check_event_answer(client, fuzz, body, res, before, when)


@FUZZ
@given(body=one_field_wrong(), field=st.sampled_from(["user_id", "item_id", "type"]), value=nasty_text)
def test_corpus_strings_in_every_field(client, fuzz, body, field, value):
    body[field] = value
    res, before, when = send_fresh(fuzz, lambda: post(client, json.dumps(body).encode()))
    check_event_answer(client, fuzz, body, res, before, when)


@pytest.fixture
def corpus(catalog, index, encoder, database_url) -> Iterator[Backend]:
    """The real engine on SQLite and, in a second run, on PostgreSQL (which stores no NUL)."""
    yield from backend_on(catalog, index, encoder, database_url)


def test_every_corpus_string_in_every_field_and_path(settings, corpus):
    """Each corpus string as the user id (consenting on the banner), item id and type of an
    event, as the user id and n of a recommendations slot, as the user id of every user-data
    endpoint and as a consent's channel: answered without 5xx, stored as given or refused."""
    client = client_for(settings, corpus.engine)
    assert set(inspect(corpus.store.engine).get_table_names()) - {"alembic_version"} == set(Base.metadata.tables)
    for value in NASTY:
        reset(corpus)
        for body in ({"user_id": value, "type": "purchase", "item_id": ITEM_IDS[0], "consent": True},
                     {"user_id": CONSENTED, "type": "view", "item_id": value},
                     {"user_id": CONSENTED, "type": value, "item_id": ITEM_IDS[0]}):
            before, when = row_counts(corpus), datetime.now(UTC)
            check_event_answer(client, corpus, body, post(client, json.dumps(body).encode()), before, when)
        path = f"/api/users/{user_path(value)}"
        if len(path) > MAX_URL:
            continue
        before = row_counts(corpus)
        for res in (client.get(f"{path}/recommendations?n={user_path(value)}", headers=SITE),
                    client.get(f"{path}/profile", headers=OPERATOR),
                    client.get(f"{path}/export", headers=OPERATOR)):
            assert_answered(res)
        after = row_counts(corpus)  # nothing written but impressions (if the banner's yes was stored)
        assert after.pop("events") >= before.pop("events") and after == before
        res = client.put(f"{path}/consent", content=json.dumps({"granted": True, "channel": value}).encode(),
                         headers={**OPERATOR, "Content-Type": "application/json"})
        assert_answered(res)
        res = client.put(f"{path}/consent", json={"granted": True}, headers=OPERATOR)
        assert_answered(res)
        res = client.delete(path, headers=OPERATOR)
        assert_answered(res)
        assert res.status_code in (200, 404, 422)


@FUZZ
@given(at=any_times | st.sampled_from([datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
                                       datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23)))]),
       user_id=st.sampled_from([CONSENTED, "newcomer"]), consent=st.none() | st.booleans())
def test_any_moment_is_stored_as_given_or_refused(client, fuzz, at, user_id, consent):
    body = {"user_id": user_id, "type": "view", "item_id": ITEM_IDS[1], "at": at.isoformat(), "consent": consent}
    res, before, when = send_fresh(fuzz, lambda: post(client, json.dumps(body).encode()))
    check_event_answer(client, fuzz, body, res, before, when)
    if res.status_code == 202:
        assert datetime(2000, 1, 1, tzinfo=UTC) <= at <= datetime.now(UTC) + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"user_id": "\\u0000", "type": "view", "item_id": "jaws-1975"}', "control characters"),
        (b'{"user_id": "a\\nb", "type": "view", "item_id": "jaws-1975"}', "control characters"),
        (b'{"user_id": "  \\t", "type": "view", "item_id": "jaws-1975"}', "blank"),
        (b'{"user_id": "\\ud800", "type": "view", "item_id": "jaws-1975"}', "valid string"),
        (b'{"user_id": "shopper", "type": "view", "item_id": "jaws-1975", "at": "0001-01-01T00:00:00+23:59"}',
         "out of range"),
        (b'{"user_id": "shopper", "type": "view", "item_id": "jaws-1975", "at": NaN}', "datetime"),
        (b'{"user_id": "shopper", "type": "view", "item_id": "jaws-1975", "at": -1e10}', "before 2000-01-01"),
        (b'{"user_id": "shopper", "type": "view", "item_id": "jaws-1975", "at": -1}', "before 2000-01-01"),
        (b'{"user_id": "shopper", "type": "view", "item_id": "jaws-1975", "consent": Infinity}', "boolean"),
        (b"NaN", "dictionary"),
        (b'{"user_id": "shopper", "type": "view", "item_id": "\\u0000"}', "unknown item id"),
    ],
)
def test_refusals_say_why(client, fuzz, content, says):
    """The 422s that used to be 500s (NaN and lone surrogates echoed back, a moment with no
    UTC equivalent) or to store ids PostgreSQL cannot hold, each with its reason."""
    reset(fuzz)
    before = row_counts(fuzz)
    res = post(client, content)
    assert res.status_code == 422
    assert_clear_error(res)
    assert says in res.text
    assert row_counts(fuzz) == before


@pytest.mark.parametrize("path", ["/api/users/%00/recommendations", "/api/users/a%00b/profile",
                                  "/api/users/%00/export", "/api/users/%00", "/api/users/%00/consent",
                                  f"/api/users/{'x' * 256}/profile", f"/api/users/{'x' * 256}/recommendations"])
def test_ids_no_user_can_have_are_refused_in_paths(client, fuzz, path):
    reset(fuzz)
    before = row_counts(fuzz)
    method = "PUT" if path.endswith("consent") else "DELETE" if path == "/api/users/%00" else "GET"
    res = client.request(method, path, headers=OPERATOR, json={"granted": True} if method == "PUT" else None)
    assert res.status_code == 422
    assert res.json()["detail"] in ("a user id cannot contain NUL characters",
                                    "a user id is at most 255 characters long")
    assert row_counts(fuzz) == before


def _valid_json_with(raw: bytes) -> bytes:
    return b'{"user_id": "' + raw + b'", "type": "view", "item_id": "' + ITEM_IDS[0].encode() + b'"}'


RAW_BODIES = [
    b"", b" ", b"\n\t", b"null", b"[]", b"{}", b"{", b'{"user_id": }', b"\x00", b"\xef\xbb\xbf{}",
    b"NaN", b"Infinity", b"1" * 5000, b'{"user_id": "x", "at": ' + b"9" * 5000 + b"}",
    b"[" * 100_000, b'{"a":' * 50_000, b"<script>alert(1)</script>", b"'; DROP TABLE events; --",
    b"user_id=shopper&type=view", json.dumps({"user_id": CONSENTED, "type": "view"}).encode("utf-16"),
    *INVALID_UTF8, *(_valid_json_with(raw) for raw in INVALID_UTF8),
]
CONTENT_TYPES = ["application/json", "application/json; charset=latin-1", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/xml"]


@FUZZ
@given(content=st.sampled_from(RAW_BODIES) | st.binary(max_size=200) | st.text().map(str.encode),
       content_type=st.sampled_from(CONTENT_TYPES))
def test_raw_and_invalid_utf8_bodies_get_a_clear_error(client, fuzz, content, content_type):
    send_fresh(fuzz, lambda: post(client, content, content_type))


def test_a_valid_body_as_another_content_type_is_refused(client, fuzz):
    reset(fuzz)
    body = json.dumps({"user_id": CONSENTED, "type": "view", "item_id": ITEM_IDS[0]}).encode()
    before = row_counts(fuzz)
    for content_type in CONTENT_TYPES[2:]:
        res = post(client, body, content_type)
        assert res.status_code == 422, content_type
        assert_clear_error(res)
    assert row_counts(fuzz) == before


# --- GET /api/users/{id}/recommendations -------------------------------------------------


def user_path(user_id: str) -> str:
    """The id as one path segment; a lone surrogate goes as its (invalid) UTF-8 bytes."""
    return quote(user_id.encode("utf-8", "surrogatepass"), safe="")


def recommendations_url(user_id: str, n: str | None) -> str:
    query = "" if n is None else f"?n={user_path(n)}"
    url = f"/api/users/{user_path(user_id)}/recommendations{query}"
    assume(len(url) < MAX_URL)
    return url


n_values = (st.integers().map(str) | st.sampled_from([str(n) for n in NASTY_NUMBERS]) | nasty_text
            | st.floats().map(str) | st.integers(min_value=1, max_value=50).map(str))


@FUZZ
@given(user_id=user_ids, n=st.none() | n_values)
def test_recommendations_for_any_user_and_n(client, fuzz, user_id, n):
    url = recommendations_url(user_id, n)
    res, before, _ = send_fresh(fuzz, lambda: client.get(url, headers=SITE))
    after = row_counts(fuzz)
    if res.status_code != 200:
        assert after == before
        return
    picks = res.json()
    wanted = 10 if n is None else TypeAdapter(int).validate_strings(n)
    assert 1 <= wanted <= 50 and 0 < len(picks) <= wanted
    assert all(pick["id"] in fuzz.engine.catalog for pick in picks)
    if user_id == CONSENTED:  # what was shown is logged as impressions; nothing else
        assert {k: v for k, v in after.items() if k != "events"} == {k: v for k, v in before.items() if k != "events"}
    else:
        assert after == before


@FUZZ
@given(raw=st.binary(min_size=1, max_size=40) | st.sampled_from(INVALID_UTF8),
       n=st.sampled_from(["%00", "%FF", "%ED%A0%80", "1%00", "%", "%%", "1e309"]))
def test_percent_encoded_garbage_in_path_and_query(client, fuzz, raw, n):
    res, before, _ = send_fresh(
        fuzz, lambda: client.get(f"/api/users/{quote(raw, safe='')}/recommendations?n={n}", headers=SITE))
    if res.status_code != 200:
        assert row_counts(fuzz) == before


@FUZZ
@given(token=nasty_text | st.text(max_size=60) | st.text(max_size=60).map("u1.".__add__)
       | st.sampled_from(["u1.", "u1...", "u1.c2hvcHBlcg.9999999999." + "A" * 43, "u1.%.1.x"]))
def test_any_authorization_header_is_refused_cleanly(client, fuzz, token):
    header = {"Authorization": f"Bearer {token}".encode("utf-8", "surrogatepass")}
    for request in (lambda: client.post("/api/events", headers=header,
                                        json={"user_id": CONSENTED, "type": "view", "item_id": ITEM_IDS[0]}),
                    lambda: client.get("/api/users/shopper/recommendations", headers=header),
                    lambda: client.get("/api/users/shopper/profile", headers=header),
                    lambda: client.post("/api/site/users/shopper/token", headers=header)):
        res, _, _ = send_fresh(fuzz, request)  # refused: nothing written
        assert res.status_code == 401
        assert_clear_error(res)


# --- the user-data API -------------------------------------------------------------------


@FUZZ
@given(user_id=st.sampled_from([CONSENTED, WITHDRAWN]) | user_ids,
       method=st.sampled_from(["profile", "export", "delete"]))
def test_user_data_endpoints_for_any_user(client, fuzz, user_id, method):
    path = f"/api/users/{user_path(user_id)}"
    assume(len(path) < MAX_URL)
    res, before, _ = send_fresh(fuzz, lambda: client.delete(path, headers=OPERATOR) if method == "delete"
                                else client.get(f"{path}/{method}", headers=OPERATOR))
    if method != "delete" or res.status_code != 200:
        assert row_counts(fuzz) == before
    else:
        assert fuzz.store.export(user_id) is None


@FUZZ
@given(user_id=user_ids,
       body=json_values | st.fixed_dictionaries(
           {"granted": consents},
           optional={"channel": plain_text.map(lambda text: text[:32]) | nasty_text | json_values, "x": json_values},
       ))
def test_consent_bodies_of_any_shape(client, fuzz, user_id, body):
    assume(len(user_path(user_id)) < MAX_URL)
    res, before, _ = send_fresh(fuzz, lambda: client.put(
        f"/api/users/{user_path(user_id)}/consent", content=json.dumps(body).encode(),
        headers={**OPERATOR, "Content-Type": "application/json"}))
    after = row_counts(fuzz)
    if res.status_code != 200:
        assert after == before
        return
    assert res.json() == {"consent": body["granted"]}
    assert after["consents"] == before["consents"] + 1
    with fuzz.store.transaction() as session:  # the path's id, as the server decoded it
        newest = session.scalars(select(Consent).order_by(Consent.id.desc()).limit(1)).one()
    assert (newest.granted, newest.channel) == (body["granted"], body.get("channel", "api"))
