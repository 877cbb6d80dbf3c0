"""Loading interaction logs for the offline evaluation.

Two doors: :func:`load_movietweetings` reads the MovieTweetings snapshot of the
protocol (``movies.dat`` + ``ratings.dat``), and :func:`load_interactions` reads any
CSV or JSON Lines interaction log with a column mapping, aligned to a catalog's item
ids. Both keep one interaction per (user, item) pair — the latest by timestamp — with
weight 1, and keep the original rating beside it for the cold-start questionnaire.

Loading never half-succeeds: bad rows are all reported with file, line and field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.catalog_files import ColumnMapping, DataFileError, decoded_lines, load_catalog, read_rows
from bot.history import parse_moment
from bot.ranking import InteractionLog

log = logging.getLogger(__name__)

_TITLE_YEAR = re.compile(r"^(?P<title>.*\S)\s+\((?P<year>\d{4})\)$")


class InteractionDataError(DataFileError):
    """An interaction log or MovieTweetings file is unreadable or has invalid rows."""


@dataclass(frozen=True)
class EvalItem:
    """One catalog item as the evaluation sees it."""

    id: str
    title: str
    year: int | None
    categories: tuple[str, ...]
    embedding_text: str | None = None  # set for items of a bot catalog (its own embedding text)

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def text(self) -> str:
        """What the engine embeds: the catalog's own text, else ``Title (Year). Genre, Genre``."""
        if self.embedding_text is not None:
            return self.embedding_text
        return f"{self.label}. {', '.join(self.categories)}" if self.categories else self.label


def load_catalog_items(path: str | Path, mapping: ColumnMapping | None = None) -> list[EvalItem]:
    """The items of a bot catalog file (JSONL or CSV, see ``data/catalog/README.md``).

    Raises :class:`bot.catalog.CatalogError` listing every bad row.
    """
    catalog = load_catalog(path, mapping)
    return [
        EvalItem(item.id, item.title, item.year, item.categories, item.embedding_text)
        for item in catalog.items
    ]


@dataclass(frozen=True)
class RatedInteractionLog(InteractionLog):
    """An :class:`InteractionLog` that also remembers each interaction's original rating.

    ``weights`` stay 1 (every rating is one interaction); ``ratings`` are only used to
    pick the movies a user "rated highest" in the cold-start questionnaire. Logs without
    ratings have all ratings equal, so the latest movies win.
    """

    ratings: np.ndarray = field(default=None)  # float32, same length as users

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.ratings is None:
            object.__setattr__(self, "ratings", np.zeros(len(self.users), dtype=np.float32))
        if len(self.ratings) != len(self.users):
            raise ValueError("ratings must have one value per interaction")

    def subset(self, mask: np.ndarray) -> RatedInteractionLog:
        return RatedInteractionLog(
            self.user_ids, self.item_ids, self.users[mask], self.items[mask],
            self.times[mask], self.weights[mask], self.ratings[mask],
        )


def ratings_of(log: InteractionLog) -> np.ndarray:
    """The ratings of a log's interactions (all zero when the log has none)."""
    ratings = getattr(log, "ratings", None)
    return np.zeros(len(log), dtype=np.float32) if ratings is None else np.asarray(ratings)


def keep_latest(users: np.ndarray, items: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Indices of the rows to keep: per (user, item) pair the latest by time.

    Equal timestamps keep the row that comes last in the file. The result is sorted
    (file order is preserved for the rows kept).
    """
    n = len(users)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(n), times, items, users))  # last of each pair = latest
    u, i = users[order], items[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = (u[1:] != u[:-1]) | (i[1:] != i[:-1])
    return np.sort(order[last])


def _build_log(
    user_names: list[str], item_ids: Sequence[str], items: np.ndarray, times: np.ndarray,
    ratings: np.ndarray,
) -> RatedInteractionLog:
    user_ids, users = np.unique(np.asarray(user_names, dtype=object).astype(str), return_inverse=True)
    users = users.astype(np.int32)
    keep = keep_latest(users, items, times)
    # User rows in first-seen order would depend on the file; sorted ids are stable.
    return RatedInteractionLog(
        user_ids=tuple(user_ids.tolist()),
        item_ids=tuple(item_ids),
        users=users[keep],
        items=items[keep].astype(np.int32),
        times=times[keep].astype(np.int64),
        weights=np.ones(len(keep), dtype=np.float32),
        ratings=ratings[keep].astype(np.float32),
    )


def _lines(path: Path, problems: list[str]) -> list[str]:
    if not path.exists():
        raise InteractionDataError(path, [f"{path}: file not found"])
    return decoded_lines(path, problems)


def load_movietweetings_items(path: str | Path) -> list[EvalItem]:
    """Parse ``movies.dat`` (``imdb_id::Title (Year)::Genre|Genre``) into items, file order."""
    path = Path(path)
    problems: list[str] = []
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(_lines(path, problems), start=1):
        if not text.strip():
            continue
        parts = text.split("::")
        if len(parts) != 3:
            problems.append(f"{path}:{number}: expected 3 fields 'id::title (year)::genres', got {len(parts)}")
            continue
        item_id, full_title, genres = (part.strip() for part in parts)
        if not item_id:
            problems.append(f"{path}:{number}: field 'id': is empty")
            continue
        if item_id in seen:
            problems.append(f"{path}:{number}: field 'id': duplicate id {item_id!r} (first on line {seen[item_id]})")
            continue
        if not full_title:
            problems.append(f"{path}:{number}: field 'title': is empty")
            continue
        match = _TITLE_YEAR.match(full_title)
        title, year = (match["title"], int(match["year"])) if match else (full_title, None)
        categories = tuple(dict.fromkeys(g.strip() for g in genres.split("|") if g.strip()))
        seen[item_id] = number
        items.append(EvalItem(id=item_id, title=title, year=year, categories=categories))
    if problems:
        raise InteractionDataError(path, problems)
    if not items:
        raise InteractionDataError(path, [f"{path}: no movies"])
    return items


def load_movietweetings(directory: str | Path) -> tuple[RatedInteractionLog, list[EvalItem]]:
    """The MovieTweetings log and catalog, as the evaluation protocol reads them.

    Every movie of ``movies.dat`` is an item (so ranking covers the whole catalog);
    every rating in ``ratings.dat`` is one interaction of weight 1, and a user who rated
    a movie twice keeps only the latest rating.
    """
    directory = Path(directory)
    items = load_movietweetings_items(directory / "movies.dat")
    index = {item.id: row for row, item in enumerate(items)}
    path = directory / "ratings.dat"
    problems: list[str] = []
    user_names: list[str] = []
    item_rows: list[int] = []
    times: list[int] = []
    ratings: list[float] = []
    for number, text in enumerate(_lines(path, problems), start=1):
        if not text.strip():
            continue
        parts = text.strip().split("::")
        if len(parts) != 4:
            problems.append(f"{path}:{number}: expected 4 fields 'user::movie::rating::time', got {len(parts)}")
            continue
        user, movie, rating, stamp = parts
        where = f"{path}:{number}: field"
        if not user:
            problems.append(f"{where} 'user_id': is empty")
            continue
        if movie not in index:
            problems.append(f"{where} 'imdb_id': {movie!r} is not in movies.dat")
            continue
        try:
            rating_value = float(rating)
        except ValueError:
            problems.append(f"{where} 'rating': must be a number, got {rating!r}")
            continue
        try:
            time_value = int(stamp)
        except ValueError:
            problems.append(f"{where} 'unix_ts': must be whole Unix seconds, got {stamp!r}")
            continue
        user_names.append(user)
        item_rows.append(index[movie])
        times.append(time_value)
        ratings.append(rating_value)
    if problems:
        raise InteractionDataError(path, problems)
    if not user_names:
        raise InteractionDataError(path, [f"{path}: no ratings"])
    log_ = _build_log(
        user_names, [item.id for item in items], np.asarray(item_rows, dtype=np.int64),
        np.asarray(times, dtype=np.int64), np.asarray(ratings, dtype=np.float64),
    )
    return log_, items


def _rows(path: Path, fmt: str, problems: list[str]):
    """Parsed rows; unparseable ones go to ``problems`` with file and line."""
    if not path.exists():
        raise InteractionDataError(path, [f"{path}: file not found"])
    for number, row in read_rows(path, problems, fmt):
        if isinstance(row, str):
            problems.append(f"{path}:{number}: {row}")
        else:
            yield number, row


def _interaction_format(path: Path, fmt: str | None) -> str:
    """``fmt`` checked, or told from the file's suffix, so a wrong format fails before any reading."""
    if fmt is None:
        suffix = path.suffix.lower()
        fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix)
        if fmt is None:
            raise InteractionDataError(path, [f"{path}: cannot tell the format from {suffix!r}; use csv or jsonl"])
    if fmt not in ("csv", "jsonl"):
        raise InteractionDataError(path, [f"{path}: unknown format {fmt!r}; use csv or jsonl"])
    return fmt


@dataclass(frozen=True)
class _Columns:
    """The column names of an interaction log, as :func:`load_interactions` is given them."""

    user: str
    item: str
    time: str
    rating: str | None


def _parse_interaction(
    row: dict[str, Any], where: str, columns: _Columns,
) -> tuple[tuple[str, str, int, float] | None, list[str]]:
    """One row's ``(user, item id, time, rating)``, or all of its problems.

    Every bad field of the row is reported, not just the first, so one run of the loader
    names everything to fix. ``where`` is the ``"file:line: field"`` prefix of a problem.
    """
    problems: list[str] = []
    values: dict[str, str] = {}
    for name in (columns.user, columns.item):
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(f"{where} {name!r}: " + ("is empty" if name in row else "is missing"))
        else:
            values[name] = str(value).strip()
    moment = 0
    try:
        moment = int(parse_moment(row.get(columns.time)).timestamp())
    except ValueError as error:
        reason = "is missing" if columns.time not in row else str(error)
        problems.append(f"{where} {columns.time!r}: {reason}")
    score = 0.0
    if columns.rating is not None:
        try:
            score = float(row.get(columns.rating))
            if not np.isfinite(score):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{where} {columns.rating!r}: must be a number, got {row.get(columns.rating)!r}")
    if problems:
        return None, problems
    return (values[columns.user], values[columns.item], moment, score), []


def _read_interactions(
    path: Path, fmt: str, index: dict[str, int], columns: _Columns,
) -> tuple[list[tuple[str, int, int, float]], dict[str, int]]:
    """The rows with a catalog item as ``(user, item row, time, rating)``, and unknown items' counts.

    Rows whose item is not in ``index`` are only counted (the caller decides how to tell);
    any malformed row raises :class:`InteractionDataError` once the whole file is read.
    """
    problems: list[str] = []
    kept: list[tuple[str, int, int, float]] = []
    unknown: dict[str, int] = {}
    for number, row in _rows(path, fmt, problems):
        parsed, row_problems = _parse_interaction(row, f"{path}:{number}: field", columns)
        if parsed is None:
            problems.extend(row_problems)
            continue
        user_name, item_id, moment, score = parsed
        if item_id not in index:
            unknown[item_id] = unknown.get(item_id, 0) + 1
            continue
        kept.append((user_name, index[item_id], moment, score))
    if problems:
        raise InteractionDataError(path, problems)
    return kept, unknown


def _unknown_items_message(path: Path, unknown: dict[str, int]) -> str:
    """How many interactions were dropped for items outside the catalog, with a few examples."""
    examples = ", ".join(repr(key) for key in list(unknown)[:5])
    return (
        f"{path}: dropped {sum(unknown.values())} interactions with {len(unknown)} items "
        f"that are not in the catalog (e.g. {examples})"
    )


def load_interactions(
    path: str | Path,
    item_ids: Sequence[str],
    *,
    user: str = "user",
    item: str = "item",
    time: str = "time",
    rating: str | None = None,
    fmt: str | None = None,
    report: Callable[[str], None] | None = None,
) -> RatedInteractionLog:
    """Read any interaction log (CSV or JSON Lines) with a column mapping.

    ``user``, ``item``, ``time`` (and optionally ``rating``) name the columns. Times are
    Unix seconds or ISO 8601 date-times. ``fmt`` is ``"csv"`` or ``"jsonl"``, by default
    from the file's suffix. Rows whose item is not in ``item_ids`` are dropped and
    reported (through ``report``, default: a logged warning); the returned log is aligned
    to ``item_ids``. Duplicate (user, item) pairs keep the latest; each interaction
    has weight 1. Any malformed row raises :class:`InteractionDataError` naming file,
    line and field.
    """
    path = Path(path)
    fmt = _interaction_format(path, fmt)
    index = {item_id: row for row, item_id in enumerate(item_ids)}
    kept, unknown = _read_interactions(path, fmt, index, _Columns(user, item, time, rating))
    if unknown:
        (report or log.warning)(_unknown_items_message(path, unknown))
    if not kept:
        raise InteractionDataError(path, [f"{path}: no interactions with items of the catalog"])
    user_names, item_rows, times, ratings = (list(column) for column in zip(*kept, strict=True))
    return _build_log(
        user_names, list(item_ids), np.asarray(item_rows, dtype=np.int64),
        np.asarray(times, dtype=np.int64), np.asarray(ratings, dtype=np.float64),
    )


XWINES_RATINGS = "XWines_Slim_150K_ratings.csv"
XWINES_WINES = "XWines_Slim_1K_wines.csv"


def is_xwines(directory: str | Path) -> bool:
    """Whether ``directory`` holds the X-Wines Slim files (ratings and wines CSV)."""
    directory = Path(directory)
    return (directory / XWINES_RATINGS).exists() and (directory / XWINES_WINES).exists()


def _python_list(text: str) -> list[str]:
    """A list column of the X-Wines files (``['Pork', 'Rich Fish']``) as text items."""
    import ast

    try:
        value = ast.literal_eval(text) if text and text.strip() else []
    except (ValueError, SyntaxError):
        raise ValueError(f"must be a list such as ['A', 'B'], got {text!r}") from None
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"must be a list such as ['A', 'B'], got {text!r}")
    return [str(entry).strip() for entry in value if str(entry).strip()]


def _wine_text(row: dict[str, str], title: str, grapes: list[str], foods: list[str]) -> str:
    """The embedded description of a wine: what it is, where from, how it tastes, what it goes with."""
    where = ", ".join(part for part in (row.get("RegionName", ""), row.get("Country", "")) if part)
    text = f"{title}. {row.get('Type', '')} wine"
    text += f" of {', '.join(grapes)}" if grapes else ""
    text += f" from {where}." if where else "."
    taste = [row.get("Body", ""), f"{row['Acidity']} acidity" if row.get("Acidity") else ""]
    text += f" {', '.join(part for part in taste if part)}." if any(taste) else ""
    text += f" Pairs with {', '.join(food.lower() for food in foods)}." if foods else ""
    return text


def load_xwines_items(path: str | Path) -> list[EvalItem]:
    """The wines of ``XWines_Slim_1K_wines.csv``: title = name and winery, categories = the
    type plus each grape, a description from region, grapes, body, acidity and food pairings."""
    path = Path(path)
    problems: list[str] = []
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, row in _rows(path, "csv", problems):
        where = f"{path}:{number}: field"
        wine_id, name = (row.get("WineID") or "").strip(), (row.get("WineName") or "").strip()
        if not wine_id or not name:
            problems.append(f"{where} {'WineID' if not wine_id else 'WineName'!r}: is empty")
            continue
        if wine_id in seen:
            problems.append(f"{where} 'WineID': duplicate id {wine_id!r}")
            continue
        try:
            grapes, foods = _python_list(row.get("Grapes", "")), _python_list(row.get("Harmonize", ""))
        except ValueError as error:
            problems.append(f"{where} 'Grapes'/'Harmonize': {error}")
            continue
        seen.add(wine_id)
        winery = (row.get("WineryName") or "").strip()
        title = f"{name} - {winery}" if winery else name
        categories = tuple(dict.fromkeys([c for c in [(row.get("Type") or "").strip(), *grapes] if c]))
        items.append(EvalItem(wine_id, title, None, categories, _wine_text(row, title, grapes, foods)))
    if problems:
        raise InteractionDataError(path, problems)
    if not items:
        raise InteractionDataError(path, [f"{path}: no wines"])
    return items


def load_xwines(directory: str | Path) -> tuple[RatedInteractionLog, list[EvalItem]]:
    """X-Wines Slim as the protocol reads it (``shared/README.md``): every rating (1-5, with
    its date) is one interaction of (user, wine); the wines are the catalog."""
    directory = Path(directory)
    items = load_xwines_items(directory / XWINES_WINES)
    log_ = load_interactions(directory / XWINES_RATINGS, [item.id for item in items],
                             user="UserID", item="WineID", time="Date", rating="Rating", fmt="csv")
    return log_, items


def write_xwines_as_orders(directory: str | Path, out: str | Path) -> tuple[Path, Path]:
    """X-Wines Slim as a shop's order export, the proxy of a purchase log without ratings
    (docs/evaluation-xwines-purchase-proxy): ``orders.csv`` with ``user,item,time`` (ordered by
    date, then rating id) and ``wines.jsonl``, the wines as a catalog; for ``bot eval
    --interactions orders.csv --catalog wines.jsonl``. Returns the two paths."""
    import csv
    import json

    directory, out = Path(directory), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with (directory / XWINES_RATINGS).open(encoding="utf-8", newline="") as file:
        rows = sorted(csv.DictReader(file), key=lambda row: (row["Date"], int(row["RatingID"])))
    orders, wines = out / "orders.csv", out / "wines.jsonl"
    with orders.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["user", "item", "time"])
        writer.writerows([row["UserID"], row["WineID"], row["Date"].replace(" ", "T")] for row in rows)
    with wines.open("w", encoding="utf-8") as file:
        for item in load_xwines_items(directory / XWINES_WINES):
            file.write(json.dumps({"id": item.id, "title": item.title, "categories": list(item.categories),
                                   "description": item.embedding_text}, ensure_ascii=False) + "\n")
    return orders, wines
