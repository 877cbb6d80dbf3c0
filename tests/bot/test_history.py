"""A shop's past interactions (`bot history import`, bot/history.py): rows become imported
events once however often the file is imported, bad rows are named and nothing of them is kept,
an interrupted import is resumed, and the consent and erasure rules of docs/privacy.md hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow
import pyarrow.parquet
import pytest

from bot import trained_model
from bot.history import HistoryError, HistoryMapping, import_history, parse_moment
from bot.store import Store
from bot.vocabulary import EventType, StoreUnavailable

ITEMS = ["jaws-1975", "alien-1979", "star-wars-1977", "the-godfather-1972", "toy-story-1995"]
HEADER = "customer,sku,ordered_at,kind,stars,qty,amount,marketing_ok"
_PLUS_TWO = timezone(timedelta(hours=2))


def _orders(tmp_path: Path, lines: list[str], name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mapping(tmp_path) -> HistoryMapping:
    path = tmp_path / "mapping.yml"
    path.write_text(
        "columns: {user: customer, item: sku, time: ordered_at, type: kind, rating: stars, quantity: qty,\n"
        "          value: amount, consent: marketing_ok}\n"
        "types: {order: purchase, basket: add_to_cart}\n"
        "ratings: {like_at: 4, dislike_at: 2}\n", encoding="utf-8")
    return HistoryMapping.from_yaml(path)


def _shop_log(users: int = 12) -> list[str]:
    """Every user bought the five items in turn, a day apart; user u0 said yes to marketing."""
    return [f"u{u},{ITEMS[(u + k) % len(ITEMS)]},2026-0{1 + k}-0{1 + u % 9}T10:00:00Z,order,,1,12.5,"
            f"{'yes' if u == 0 else ''}" for u in range(users) for k in range(len(ITEMS))]


def test_importing_the_same_file_twice_stores_every_row_once(tmp_path, any_store, catalog, mapping):
    store = any_store
    path = _orders(tmp_path, _shop_log())

    first = import_history(store, catalog, path, mapping, batch_rows=7)  # users span batches
    second = import_history(store, catalog, path, mapping)

    assert (first.rows, first.stored, first.already_stored, len(first.users)) == (60, 60, 0, 12)
    assert (second.rows, second.stored, second.already_stored) == (60, 0, 60)
    events = store.events("u3")
    assert len(events) == 5 and all(e.imported and e.channel == "import" and e.type == "purchase" for e in events)
    assert {(e.quantity, e.value) for e in events} == {(1, 12.5)}


def test_bad_rows_are_named_by_line_and_reason_and_nothing_of_them_is_stored(tmp_path, store, catalog, mapping):
    path = _orders(tmp_path, [
        "u1,jaws-1975,2026-01-01T10:00:00Z,order,,1,5,",
        "u1,no-such-item,2026-01-01T10:00:00Z,order,,1,5,",
        "u2,alien-1979,yesterday,order,,1,5,",
        ",alien-1979,2026-01-01,order,,1,5,",
        "u3,alien-1979,2026-01-01,refund,,1,5,",
        "u4,alien-1979,2026-01-01,order,,0,5,",
        "u5,alien-1979,2026-01-01,order,lots,1,5,",
        "u6,alien-1979,2999-01-01,order,,1,5,",
        "u7,alien-1979,2026-01-01,order,,1,5,maybe",
    ])

    report = import_history(store, catalog, path, mapping)

    assert (report.rows, report.stored, report.bad_rows) == (9, 1, 7)
    assert report.unknown_items == {"no-such-item": 1}
    assert report.problems == [
        f"{path}:4: 'ordered_at' must be Unix seconds or an ISO 8601 date-time, got 'yesterday'",
        f"{path}:5: 'customer' is missing or empty",
        f"{path}:6: 'kind': 'refund' is no event type (view, click, add_to_cart, like, dislike, not_interested, "
        "search, purchase; map the file's names with 'types' in the mapping)",
        f"{path}:7: 'qty' must be a whole number of at least 1, got 0",
        f"{path}:8: 'stars' must be a number, got 'lots'",
        f"{path}:9: 'ordered_at' is in the future (2999-01-01T00:00:00+00:00)",
        f"{path}:10: 'marketing_ok' must be yes or no, got 'maybe'",
    ]
    assert [user for user in ("u2", "u3", "u4", "u5", "u6", "u7") if store.user(user)] == []


def test_an_interrupted_import_is_resumed_by_running_it_again(tmp_path, any_store, catalog, mapping, monkeypatch):
    store = any_store
    path = _orders(tmp_path, _shop_log())
    batches = 0
    real = Store.import_events

    def failing_third_batch(self, events, known_users=None):
        nonlocal batches
        batches += 1
        if batches == 3:
            raise StoreUnavailable("the database is unavailable: gone")
        return real(self, events, known_users)

    monkeypatch.setattr(Store, "import_events", failing_third_batch)
    with pytest.raises(StoreUnavailable):
        import_history(store, catalog, path, mapping, batch_rows=20)
    kept = sum(len(store.events(f"u{u}")) for u in range(12))
    assert kept == 40  # two whole batches, nothing of the third

    monkeypatch.setattr(Store, "import_events", real)
    resumed = import_history(store, catalog, path, mapping, batch_rows=20)

    assert (resumed.stored, resumed.already_stored) == (20, 40)
    assert sum(len(store.events(f"u{u}")) for u in range(12)) == 60


def test_new_rows_among_stored_ones_and_a_row_twice_in_a_batch_are_counted_exactly(tmp_path, any_store, catalog,
                                                                                  mapping):
    """A newer export repeats old rows: in one batch, new rows, one of them twice, and stored
    ones (on PostgreSQL, the way in for a batch that is not all new)."""
    log = _shop_log()
    import_history(any_store, catalog, _orders(tmp_path, log[:30]), mapping)
    newer = _orders(tmp_path, [*log[30:40], log[33], *log[25:30]], name="newer.csv")

    report = import_history(any_store, catalog, newer, mapping)

    assert (report.rows, report.stored, report.already_stored) == (16, 10, 6)  # 5 stored before, and the repeat
    assert sum(len(any_store.events(f"u{u}")) for u in range(12)) == 40


def test_ratings_become_likes_dislikes_or_views_by_the_mapping(tmp_path, any_store, catalog, mapping):
    store = any_store
    path = _orders(tmp_path, [
        "r1,jaws-1975,1700000000,,5,,,", "r1,alien-1979,1700000001,,2,,,", "r1,toy-story-1995,1700000002,,3,,,",
        "r1,star-wars-1977,1700000003,basket,1,,,",
    ])

    import_history(store, catalog, path, mapping)

    assert {(e.item_id, e.type, e.rating) for e in store.events("r1")} == {
        ("jaws-1975", "like", 5.0), ("alien-1979", "dislike", 2.0), ("toy-story-1995", "view", 3.0),
        ("star-wars-1977", "add_to_cart", 1.0)}  # the row's own type wins over its rating


def test_json_lines_and_parquet_with_default_column_names(tmp_path, any_store, catalog):
    store = any_store
    rows = [{"user": "j1", "item": "jaws-1975", "time": "2026-03-01T08:00:00+01:00"},
            {"user": "j1", "item": "alien-1979", "time": 1772352000, "type": "like"}]
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text("\n".join(json.dumps(row) for row in rows) + "\n{not json\n", encoding="utf-8")
    parquet = tmp_path / "events.parquet"
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(
        [{"user": "p1", "item": "jaws-1975", "time": datetime(2026, 3, 1, tzinfo=UTC)}]), parquet)

    from_jsonl = import_history(store, catalog, jsonl)
    from_parquet = import_history(store, catalog, parquet)

    assert (from_jsonl.stored, from_jsonl.bad_rows, from_parquet.stored) == (2, 1, 1)
    assert {(e.item_id, e.type, e.created_at) for e in store.events("j1")} == {
        ("jaws-1975", "purchase", datetime(2026, 3, 1, 7, tzinfo=UTC)),
        ("alien-1979", "like", datetime(2026, 3, 1, 8, tzinfo=UTC))}


def test_json_values_that_are_arrays_or_objects_are_bad_rows_named_by_line(tmp_path, store, catalog):
    rows = [{"user": "j1", "item": "jaws-1975", "time": 1772352000, "type": ["like"]},
            {"user": "j1", "item": "jaws-1975", "time": 1772352000, "type": {"name": "like"}},
            {"user": ["j1"], "item": "jaws-1975", "time": 1772352000},
            {"user": "j1", "item": "jaws-1975", "time": [1772352000]},
            {"user": "j1", "item": "jaws-1975", "time": 1772352000, "rating": [5]},
            {"user": "j1", "item": "alien-1979", "time": 1772352000, "type": "like"}]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")

    report = import_history(store, catalog, path)

    assert (report.rows, report.stored, report.bad_rows) == (6, 1, 5)
    assert report.problems == [
        f"{path}:1: 'type' must be an event name, got ['like']",
        f"{path}:2: 'type' must be an event name, got {{'name': 'like'}}",
        f"{path}:3: 'user' must be an id (text or a whole number), got ['j1']",
        f"{path}:4: 'time' must be Unix seconds or an ISO 8601 date-time, got '[1772352000]'",
        f"{path}:5: 'rating' must be a number, got [5]",
    ]


@pytest.mark.parametrize("leave", ["erase", "withdraw"])
def test_an_erasure_or_withdrawal_during_a_batch_waits_for_it_and_then_deletes_what_it_stored(
        tmp_path, any_store, catalog, mapping, monkeypatch, leave):
    """The batch reads who is erased or declined and writes in one transaction that neither can
    commit into: were one to slip between the two, the user's history would be stored again.
    It is started after the batch has read, and given time to finish."""
    import threading

    from bot import store as store_module

    store = any_store
    store.set_consent("u1", True, channel="chat")
    store.add_event("u1", EventType.LIKE, "jaws-1975", channel="chat")
    erasing = threading.Thread(target=store.erase, args=("u1",)) if leave == "erase" else \
        threading.Thread(target=store.set_consent, args=("u1", False, "chat"))
    real_erased_among = store_module.erased_among

    def erased_among_then_erase(connection, senders):
        erased = real_erased_among(connection, senders)
        if not erasing.is_alive() and not erasing.ident:
            erasing.start()
            erasing.join(timeout=1.0)  # done at once, were the batch not holding it off
        return erased

    monkeypatch.setattr(store_module, "erased_among", erased_among_then_erase)
    report = import_history(store, catalog, _orders(tmp_path, _shop_log(2)), mapping)
    erasing.join(timeout=30)

    assert not erasing.is_alive()
    assert report.stored == 10  # u1's rows went in before the erasure committed...
    assert store.events("u1") == []  # ...and the erasure or withdrawal took them out
    monkeypatch.undo()
    assert import_history(store, catalog, _orders(tmp_path, _shop_log(2)), mapping).skipped_users == {"u1"}


def test_a_bad_mapping_or_an_unreadable_file_imports_nothing(tmp_path, store, catalog):
    bad = tmp_path / "bad.yml"
    bad.write_text("columns: {customer: user}\ntypes: {order: refund}\nratings: {like_at: 2, dislike_at: 4}\n")
    with pytest.raises(HistoryError) as raised:
        HistoryMapping.from_yaml(bad)
    assert len(raised.value.problems) == 3
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(HistoryError, match="not a readable Parquet file"):
        import_history(store, catalog, broken)
    with pytest.raises(HistoryError, match="format 'xlsx' is none of csv, json, jsonl, ndjson, parquet"):
        import_history(store, catalog, tmp_path / "orders.xlsx")


def test_history_trains_everyones_signals_but_personalizes_only_after_consent(tmp_path, engine, store, catalog,
                                                                           mapping):
    path = _orders(tmp_path, _shop_log())
    report = import_history(store, catalog, path, mapping)

    assert report.consents == 1 and engine.consent("u0") is True  # the file's yes
    assert engine.consent("u1") is None
    assert engine.profile("u1").events == ()  # stored, but not theirs to personalize yet
    assert len(engine.profile("u0").events) == 5
    assert store.item_popularity()["jaws-1975"] == 2 * 12  # every customer's purchase counts
    assert [e.item_id for e in store.feedback_log([EventType.PURCHASE], live_only=True)] == []

    engine.set_consent("u1", True, channel="site")
    assert {e.item_id for e in engine.profile("u1").events} == set(ITEMS)


def test_make_train_recs_learns_from_imported_history(tmp_path, store, catalog, index, mapping):
    import_history(store, catalog, _orders(tmp_path, _shop_log()), mapping)

    _, events = trained_model.train(store, catalog, index, tmp_path / "model")

    assert events == 60


def test_export_and_erasure_cover_imported_history_and_a_reimport_leaves_erased_users_out(
        tmp_path, engine, store, catalog, mapping):
    path = _orders(tmp_path, _shop_log())
    import_history(store, catalog, path, mapping)
    exported = engine.export("u2")["events"]
    assert len(exported) == 5 and all(e["imported"] and e["quantity"] == 1 for e in exported)

    engine.erase("u2")
    engine.set_consent("u3", False, channel="site")  # a withdrawal deletes what was learned
    again = import_history(store, catalog, path, mapping)

    assert engine.export("u2") is None
    assert store.events("u3") == []
    assert (again.skipped_rows, again.skipped_users, again.stored) == (10, {"u2", "u3"}, 0)

    engine.set_consent("u2", True, channel="chat")  # back, and saying yes: their history may return
    assert import_history(store, catalog, path, mapping).stored == 5


def test_on_postgresql_too_rows_are_stored_once_and_erased_users_stay_out(tmp_path, postgres_url, catalog, mapping):
    store = Store(postgres_url)
    path = _orders(tmp_path, _shop_log(3))

    first = import_history(store, catalog, path, mapping, batch_rows=4)
    assert (first.stored, first.consents, store.consents("u0")[-1].granted) == (15, 1, True)
    assert {(e.type, e.quantity, e.value, e.imported) for e in store.events("u1")} == {("purchase", 1, 12.5, True)}
    store.erase("u1")
    again = import_history(store, catalog, path, mapping)

    assert (again.stored, again.already_stored, again.skipped_users) == (0, 10, {"u1"})
    store.engine.dispose()


def test_on_postgresql_a_quantity_beyond_its_integer_column_is_refused_not_wrapped_around(tmp_path, postgres_url,
                                                                                         catalog, mapping):
    """The binary COPY would write 2**31 as -2**31; the batch goes in as text, which the server refuses."""
    from psycopg.errors import NumericValueOutOfRange

    store = Store(postgres_url)
    path = _orders(tmp_path, ["q1,jaws-1975,1700000000,order,,1,5,", f"q1,alien-1979,1700000000,order,,{2**31},5,"])

    with pytest.raises(NumericValueOutOfRange):
        import_history(store, catalog, path, mapping)
    assert store.events("q1") == []
    store.engine.dispose()


@pytest.mark.parametrize(("text", "moment"), [
    ("1700000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
])
def test_times_are_unix_seconds_or_iso_8601(text, moment):
    assert parse_moment(text) == moment


@pytest.mark.parametrize("text", ["", "soon", "nan", "-5", "1e20"])
def test_what_is_no_time_is_refused(text):
    with pytest.raises(ValueError):
        parse_moment(text)


@pytest.mark.parametrize("value", [True, "lots", "1e999", 10**400, "nan", "12.5", 7])
def test_a_history_reads_numbers_as_a_catalog_does(tmp_path, mapping, value):
    """One reader of numbers (bot.catalog_files.parse_number): a shop's history and its catalog
    take and refuse the same values, for the same reasons."""
    from bot.catalog_files import CatalogError, load_catalog

    raw = {"customer": "u1", "sku": "jaws-1975", "ordered_at": "2026-01-01", "amount": value}
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "a", "title": "A", "price": value}) + "\n", encoding="utf-8")
    try:
        price = load_catalog(catalog).items[0].price
    except CatalogError as error:
        [problem] = error.problems
        reason = problem.split("field 'price': ", 1)[1]
        with pytest.raises(ValueError) as refused:
            mapping.row(raw, datetime(2027, 1, 1, tzinfo=UTC))
        assert str(refused.value) == f"'amount' {reason}"
    else:
        assert mapping.row(raw, datetime(2027, 1, 1, tzinfo=UTC)).value == price == float(value)


def test_the_history_import_has_no_number_reader_of_its_own():
    import bot.history
    from bot.catalog_files import parse_number

    assert bot.history.parse_number is parse_number


def test_a_file_without_the_mapped_columns_is_refused_whole(tmp_path, store, catalog, mapping):
    path = tmp_path / "other.csv"
    path.write_text("client,product,date\nc1,jaws-1975,2026-01-01\n", encoding="utf-8")

    with pytest.raises(HistoryError, match="no column 'customer', 'sku', 'ordered_at'"):
        import_history(store, catalog, path, mapping)
    assert store.user("c1") is None


def test_imported_times_are_written_as_sqlalchemy_writes_them_in_sqlite():
    """Stored times compare as text in SQLite: the import's fast path must write the same text."""
    from sqlalchemy.dialects import sqlite

    from bot.schema import Event
    from bot.statements import sqlite_time

    dialect = sqlite.dialect()
    sqlalchemy_writes = Event.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    for moment in (datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(1999, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
                   parse_moment("2026-03-01T12:30:00+02:00"), datetime(2026, 3, 1, 12, 30, 0, 5, tzinfo=_PLUS_TWO),
                   datetime(2026, 3, 1, 10, tzinfo=ZoneInfo("UTC"))):  # (UTC by another name: not the fast path)
        assert sqlite_time(moment) == sqlalchemy_writes(moment.astimezone(UTC))
