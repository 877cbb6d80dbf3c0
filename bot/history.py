"""A shop's past interactions brought into the bot (``bot history import``): orders, ratings,
views exported from the shop as CSV, JSON Lines or Parquet.

Every row becomes one event marked as imported, keyed by a hash of what it says, so importing a
file twice (or again after an interruption) stores each row once. Rows are stored in batches, each
in one transaction: a stopped import leaves whole batches and is resumed by running it again.
What the history is used for follows the consent rules of docs/privacy.md: it trains what is
learned from everyone at once; a user's own picks use it only once that user consents.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Container
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.catalog_files import DataFileError, parse_number, read_rows
from bot.store import ImportedBatch, ImportedEvent, Store
from bot.vocabulary import BOT_EVENTS, EventType, utcnow

FIELDS = ("user", "item", "time", "type", "rating", "quantity", "value", "consent")
REQUIRED = ("user", "item", "time")
FORMATS = frozenset({"csv", "jsonl", "json", "ndjson", "parquet"})  # JSON: one object a line
BATCH_ROWS = 20_000  # rows stored per transaction: bigger is faster, but SQLite writes wait meanwhile
REPORTED_PROBLEMS = 50  # bad rows named one by one in a report (all are counted)
USER_EVENTS = tuple(kind for kind in EventType if kind not in BOT_EVENTS)
_USER_EVENT_NAMES = frozenset(str(kind) for kind in USER_EVENTS)
_YES = {"true", "yes", "y", "1"}
_NO = {"false", "no", "n", "0"}
_FUTURE = timedelta(days=1)  # a row dated later than this from now is a mistake
_YEAR_10000 = 253402300800.0  # Unix seconds


class HistoryError(DataFileError):
    """A history file or its mapping cannot be read at all: nothing was imported."""

    kind = "history file"


@dataclass(frozen=True)
class HistoryMapping:
    """How a shop's export becomes events: which column holds each field (default: the field's
    own name), the file's event names in the bot's words, the type of a row that names none,
    and, for ratings, from which rating a row is a like and up to which a dislike."""

    columns: dict[str, str] = field(default_factory=lambda: {name: name for name in FIELDS})
    types: dict[str, EventType] = field(default_factory=dict)
    default_type: EventType = EventType.PURCHASE
    like_at: float = 4.0
    dislike_at: float = 2.0
    _seen: dict[Any, EventType] = field(default_factory=dict, compare=False, repr=False)  # file name -> type

    @classmethod
    def from_yaml(cls, path: Path) -> HistoryMapping:
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise HistoryError(Path(path), [f"{path}: not a readable YAML mapping ({error})"]) from None
        problems = []
        columns = data.get("columns", {})
        if not isinstance(columns, dict) or set(columns) - set(FIELDS):
            problems.append(f"{path}: 'columns' must map fields ({', '.join(FIELDS)}) to the file's columns")
            columns = {}
        types = data.get("types", {})
        if not isinstance(types, dict):
            problems.append(f"{path}: 'types' must map the file's event names to the bot's ({_names()})")
            types = {}
        known = _USER_EVENT_NAMES
        for name, kind in types.items():
            if str(kind) not in known:
                problems.append(f"{path}: 'types': {name!r} maps to {kind!r}, which is none of {_names()}")
        default_type = str(data.get("default_type", EventType.PURCHASE))
        if default_type not in known:
            problems.append(f"{path}: 'default_type' must be one of {_names()}, got {default_type!r}")
        ratings = data.get("ratings") or {}
        like_at, dislike_at = ratings.get("like_at", 4.0), ratings.get("dislike_at", 2.0)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (like_at, dislike_at)) \
                or dislike_at >= like_at:
            problems.append(f"{path}: 'ratings' needs numbers dislike_at < like_at, got {ratings!r}")
        if problems:
            raise HistoryError(Path(path), problems)
        return cls(
            columns={name: name for name in FIELDS} | {k: str(v) for k, v in columns.items()},
            types={str(name).strip().casefold(): EventType(str(kind)) for name, kind in types.items()},
            default_type=EventType(default_type) if default_type in known else EventType.PURCHASE,
            like_at=float(like_at), dislike_at=float(dislike_at),
        )

    def missing_columns(self, header: Container[str]) -> list[str]:
        """The required fields' columns that a file's header lacks."""
        return [self.columns[name] for name in REQUIRED if self.columns[name] not in header]

    def row(self, raw: dict[str, Any], latest: datetime) -> ImportedEvent:
        """The event a file row says (no later than ``latest``); ValueError names the column
        and what is wrong. Called for every row of files with millions: plain code."""
        columns = self.columns
        sender_id = _identifier(raw.get(columns["user"]), columns["user"])
        item_id = _identifier(raw.get(columns["item"]), columns["item"])
        try:
            at = parse_moment(raw.get(columns["time"]))
        except ValueError as error:
            raise ValueError(f"'{columns['time']}' {error}") from None
        if at > latest:
            raise ValueError(f"'{columns['time']}' is in the future ({at.isoformat()})")
        rating = _number(raw.get(columns["rating"]), columns["rating"])
        quantity = _number(raw.get(columns["quantity"]), columns["quantity"])
        if quantity is not None:
            if not quantity.is_integer() or quantity < 1:
                raise ValueError(f"'{columns['quantity']}' must be a whole number of at least 1, got {quantity:g}")
            quantity = int(quantity)
        value = _number(raw.get(columns["value"]), columns["value"])
        kind = self._type(raw.get(columns["type"]), rating)
        # The key's text as it always was; kind!s gives it without Enum.__format__ (Python code).
        said = f"{sender_id}\x1f{item_id}\x1f{kind!s}\x1f{at.timestamp()!r}\x1f{rating!r}\x1f{quantity!r}\x1f{value!r}"
        return ImportedEvent._make((  # a third faster than the constructor's keyword handling
            sender_id, item_id, kind, at, rating, quantity, value, _yes(raw.get(columns["consent"]), columns["consent"]),
            hashlib.blake2b(said.encode("utf-8"), digest_size=16).hexdigest()))

    def _type(self, named: Any, rating: float | None) -> EventType:
        """The row's own event name (through ``types``); else, for a rating, like, dislike or
        (between the two) view; else the default type."""
        if isinstance(named, (list, dict)):  # JSON's arrays and objects name nothing (and are no dict keys)
            raise ValueError(f"'{self.columns['type']}' must be an event name, got {named!r}")
        known = self._seen.get(named)  # a file names a few types over and over (never a blank)
        if known is not None:
            return known
        if named is not None and named != "" and not _blank(named):
            text = str(named).strip().casefold()
            if text in self.types or text in _USER_EVENT_NAMES:
                self._seen[named] = known = self.types.get(text) or EventType(text)
                return known
            raise ValueError(f"'{self.columns['type']}': {named!r} is no event type ({_names()}; "
                             "map the file's names with 'types' in the mapping)")
        if rating is None:
            return self.default_type
        if rating >= self.like_at:
            return EventType.LIKE
        return EventType.DISLIKE if rating <= self.dislike_at else EventType.VIEW


@dataclass
class ImportReport:
    """What an import did: every row read is stored, already there, about an unknown item, of a
    user who declined or was erased, or bad (named by line and reason)."""

    rows: int = 0
    stored: int = 0
    already_stored: int = 0
    unknown_items: Counter[str] = field(default_factory=Counter)
    skipped_rows: int = 0  # of users who declined consent or whose data was erased
    skipped_users: set[str] = field(default_factory=set)
    bad_rows: int = 0
    problems: list[str] = field(default_factory=list)  # the first REPORTED_PROBLEMS bad rows
    consents: int = 0  # consent decisions taken from the file's consent column
    users: set[str] = field(default_factory=set)  # users whose events are stored (now or before)

    def bad(self, problem: str) -> None:
        self.bad_rows += 1
        if len(self.problems) < REPORTED_PROBLEMS:
            self.problems.append(problem)

    def add(self, batch: ImportedBatch) -> None:
        self.stored += batch.stored
        self.already_stored += batch.already_stored
        self.skipped_rows += batch.skipped_rows
        self.skipped_users |= batch.skipped_users
        self.consents += batch.consents
        self.users |= batch.users


class _Writer:
    """Stores batches on a thread of its own while the next batch is read: PostgreSQL's work
    overlaps the parsing. (SQLite's driver lets go of the GIL for each row and has to win it
    back from the parsing thread, so there the two mostly take turns.) One batch at a time, in
    order; a batch that fails stops the import before the next one is stored."""

    def __init__(self, store: Store, report: ImportReport):
        self._store, self._report = store, report
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history-import")
        self._pending: Future[ImportedBatch] | None = None
        self._users: set[str] = set()  # created by this import's earlier batches

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)

    def store(self, batch: list[ImportedEvent]) -> None:
        self.wait()
        if batch:
            self._pending = self._thread.submit(self._store.import_events, batch, self._users)

    def wait(self) -> None:
        """Until the batch in flight is stored (its failure raised here)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._report.add(pending.result())


def import_history(store: Store, items: Container[str], path: Path, mapping: HistoryMapping | None = None,
                   fmt: str | None = None, progress: Callable[[int], None] | None = None,
                   batch_rows: int = BATCH_ROWS) -> ImportReport:
    """Store the file's rows about catalog ``items`` as imported events; ``progress`` is told
    how many rows were read, batch by batch."""
    if fmt_of(path, fmt) not in FORMATS:
        raise HistoryError(path, [f"{path}: format {fmt_of(path, fmt)!r} is none of {', '.join(sorted(FORMATS))} "
                                  "(say which with --format)"])
    mapping = mapping or HistoryMapping()
    report, latest = ImportReport(), utcnow() + _FUTURE
    file_problems: list[str] = []
    batch: list[ImportedEvent] = []
    with _Writer(store, report) as writer:
        for line, raw in read_rows(path, file_problems, fmt):
            report.rows += 1
            if report.rows == 1 and isinstance(raw, dict) and fmt_of(path, fmt) in ("csv", "parquet"):
                missing = mapping.missing_columns(raw)
                if missing:  # every row would be bad: say it once, store nothing
                    raise HistoryError(path, [f"{path}: no column {', '.join(map(repr, missing))} "
                                              f"(the file has {', '.join(map(repr, raw))}); map them in --mapping"])
            if isinstance(raw, str):
                report.bad(f"{path}:{line}: {raw}")
            else:
                try:
                    event = mapping.row(raw, latest)
                except ValueError as error:
                    report.bad(f"{path}:{line}: {error}")
                else:
                    if event.item_id in items:
                        batch.append(event)
                    else:
                        report.unknown_items[event.item_id] += 1
            if report.rows % batch_rows == 0:
                writer.store(batch)
                batch = []
                if progress:
                    progress(report.rows)
        if file_problems and not report.rows:
            raise HistoryError(path, file_problems)
        writer.store(batch)
        writer.wait()
    if progress:
        progress(report.rows)
    for problem in file_problems:  # lines that are not UTF-8: bad rows like any other
        report.bad(problem)
    return report


def fmt_of(path: Path, fmt: str | None) -> str:
    return fmt or path.suffix.lower().lstrip(".")


def count_rows(path: Path, fmt: str | None = None) -> int | None:
    """How many rows the file has, cheaply (for a progress bar); None if that is not known."""
    fmt = fmt_of(path, fmt)
    try:
        if fmt == "parquet":
            import pyarrow.parquet

            return pyarrow.parquet.ParquetFile(path).metadata.num_rows
        with path.open("rb") as opened:
            lines = sum(1 for line in opened if line.strip())
    except Exception:  # noqa: BLE001 - the import itself reports an unreadable file
        return None
    return max(lines - 1, 0) if fmt == "csv" else lines


def parse_moment(value: Any) -> datetime:
    """Unix seconds (a number or digits) or an ISO 8601 date-time (UTC if it names no zone)."""
    if isinstance(value, str):  # the common case first: text (CSV's only kind)
        text = value.strip()
    elif isinstance(value, datetime):  # Parquet's timestamps
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        text = "" if isinstance(value, bool) or _blank(value) else str(value).strip()
    if not text:
        raise ValueError("is missing")
    if text.isdigit():  # the common case first: whole seconds
        seconds = float(text)
    else:
        try:
            seconds = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"must be Unix seconds or an ISO 8601 date-time, got {text!r}") from None
            return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not 0 <= seconds < _YEAR_10000:  # also NaN and infinities
        raise ValueError(f"must be Unix seconds or an ISO 8601 date-time, got {text!r}")
    return datetime.fromtimestamp(seconds, UTC)


def _names() -> str:
    return ", ".join(str(kind) for kind in USER_EVENTS)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _identifier(value: Any, column: str) -> str:
    """A user or item id: text, or a whole number as JSON and Parquet may hold it; required."""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        text = ""
    else:
        raise ValueError(f"'{column}' must be an id (text or a whole number), got {value!r}")
    if not text:
        raise ValueError(f"'{column}' is missing or empty")
    if len(text) > 255:
        raise ValueError(f"'{column}' is longer than 255 characters")
    return text


def _number(value: Any, column: str) -> float | None:
    """``parse_number`` with the column named; a blank (spaces, a Parquet NaN) is no value.
    Blanks are looked for only in what is no number: most values are numbers."""
    if value is None or value == "":  # the common case first: no such column, or left empty
        return None
    try:
        return parse_number(value)
    except ValueError as error:
        if _blank(value):
            return None
        raise ValueError(f"'{column}' {error}") from None


def _yes(value: Any, column: str) -> bool | None:
    """A consent column's yes (True), no (False) or nothing said (None)."""
    if value is None or value == "" or _blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _YES or text in _NO:
        return text in _YES
    raise ValueError(f"'{column}' must be yes or no, got {value!r}")
