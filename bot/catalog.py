"""The item catalog: loading with row-level validation, and category vocabulary.

A catalog is a JSON Lines (or CSV) file with one item per row; the schema is
documented in ``data/catalog/README.md``. Loading never half-succeeds: every bad
row is reported with file, line and field, and nothing is returned.

Besides the schema fields an item carries free-form ``attributes`` (name -> text,
number or true/false): in JSON Lines and Parquet an ``attributes`` object, in CSV every
column that is not a schema field, through a mapping only the columns it lists.
Attributes are shown, never embedded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings

MAX_REPORTED_ERRORS = 20

# Everyday words people use for a genre, keyed by the canonical name (lower case).
# Only synonyms of categories that exist in the loaded catalog are ever used.
CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "action": ("action packed", "explosions"),
    "adventure": ("adventures",),
    "animation": ("animated", "cartoon", "cartoons", "anime"),
    "biography": ("biopic", "biopics", "true story"),
    "comedy": ("comedies", "funny", "rom-com", "romcom", "rom com", "laugh"),
    "crime": ("gangster", "gangsters", "heist", "mafia"),
    "documentary": ("documentaries", "docs", "docu"),
    "drama": ("dramas", "dramatic"),
    "family": ("kids", "children", "family-friendly"),
    "fantasy": ("magic", "wizards", "dragons"),
    "history": ("historical", "period piece"),
    "horror": ("scary", "slasher", "spooky"),
    "music": ("music films", "concert"),
    "musical": ("musicals",),
    "mystery": ("mysteries", "whodunit", "whodunnit", "detective"),
    "romance": ("romantic", "rom-com", "romcom", "rom com", "love story", "love stories"),
    "sci-fi": ("science fiction", "scifi", "sci fi", "science-fiction", "sf", "space"),
    "sport": ("sports", "sporty"),
    "thriller": ("thrillers", "suspense", "suspenseful"),
    "war": ("war films", "war movies", "wwii", "military"),
    "western": ("westerns", "cowboy", "cowboys"),
}


@dataclass(frozen=True)
class ColumnMapping:
    """How a foreign file's columns become catalog fields.

    Each field maps to a column name, or to a template such as ``"by {authors}"`` that
    combines columns; list fields (``categories``) are split on ``separator``.
    Unmapped fields are read from the column of the same name.

    ``attributes`` (attribute name -> column or template) are the only attributes an
    item read through a mapping gets; the YAML may also list bare column names.
    """

    fields: dict[str, str]
    separator: str = ","
    attributes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path) -> ColumnMapping:
        import yaml

        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        unknown = set(data.get("fields", {})) - set(FIELDS)
        if not isinstance(data.get("fields"), dict) or unknown:
            raise CatalogError(
                Path(path), [f"{path}: 'fields' must map catalog fields ({', '.join(FIELDS)}) "
                             f"to columns; unknown: {', '.join(sorted(unknown)) or 'none'}"]
            )
        attributes = data.get("attributes") or {}
        if isinstance(attributes, list):
            attributes = {column: column for column in attributes}
        if not isinstance(attributes, dict) or not all(
            isinstance(name, str) and name.strip() and isinstance(source, str) and source.strip()
            for name, source in attributes.items()
        ):
            raise CatalogError(
                Path(path), [f"{path}: 'attributes' must be a list of column names or map "
                             "attribute names to columns or templates"]
            )
        return cls(
            fields=dict(data["fields"]),
            separator=str(data.get("separator", ",")),
            attributes={name.strip(): source for name, source in attributes.items()},
        )

    def apply(self, row: dict[str, Any]) -> dict[str, Any]:
        mapped = dict(row)
        for field_name, source in self.fields.items():
            mapped[field_name] = self._value(row, source)
            if field_name == "categories" and isinstance(mapped[field_name], str):
                mapped[field_name] = mapped[field_name].split(self.separator)
        # Through a mapping, only the listed columns are attributes (never the file's own).
        mapped[ATTRIBUTES] = {name: self._value(row, source) for name, source in self.attributes.items()}
        return mapped

    @staticmethod
    def _value(row: dict[str, Any], source: str) -> Any:
        return source.format_map(_Blank(row)) if "{" in source else row.get(source)


class _Blank(dict):
    """Template values: a missing or empty column reads as an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


FIELDS = ("id", "title", "description", "categories", "year", "url", "image", "price", "available")
ATTRIBUTES = "attributes"  # the free-form name -> scalar object (JSON Lines, Parquet)
SUMMARY_VALUE_WIDTH = 60  # attribute_summary shortens longer values
_TRUE = {"true", "yes", "1", "y", "in stock", "available"}
_FALSE = {"false", "no", "0", "n", "out of stock", "unavailable", "sold out"}


class DataFileError(ValueError):
    """A data file is unreadable or has invalid rows; every problem is listed."""

    kind = "data file"

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        shown = problems[:MAX_REPORTED_ERRORS]
        more = len(problems) - len(shown)
        text = "\n  ".join(shown) + (f"\n  ... and {more} more" if more else "")
        super().__init__(f"invalid {self.kind} {path}:\n  {text}")


class CatalogError(DataFileError):
    """A catalog file is unreadable or has invalid rows (all of them are listed)."""

    kind = "catalog"


Scalar = str | int | float | bool


class Attributes(Mapping[str, Scalar]):
    """An item's free-form attributes: an immutable, hashable, ordered name -> scalar mapping.

    Names are non-empty text; values are text, numbers (finite) or true/false. Equality
    ignores order (like a dict); iteration keeps the order the file gave.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Scalar] | Iterable[tuple[str, Scalar]] = ()):
        values = dict(data)
        for name, value in values.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"attribute names must be non-empty text, got {name!r}")
            if not isinstance(value, (str, int, float)):  # bool is an int
                raise TypeError(f"attribute {name!r} must be text, a number or true/false, got {value!r}")
        object.__setattr__(self, "_data", values)
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Attributes are immutable")

    def __getitem__(self, name: str) -> Scalar:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(frozenset(self._data.items())))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Attributes):
            return self._data == other._data
        return self._data == other if isinstance(other, Mapping) else NotImplemented

    def __repr__(self) -> str:
        return f"Attributes({self._data!r})"

    def __reduce__(self) -> tuple[type, tuple[dict[str, Scalar]]]:  # pickle, copy, dataclasses.asdict
        return Attributes, (dict(self._data),)


NO_ATTRIBUTES = Attributes()


@dataclass(frozen=True)
class Item:
    """One recommendable thing; only ``id``, ``title`` and ``categories`` are required.

    ``attributes`` may be given as any mapping; it is stored as :class:`Attributes`. It
    takes part in equality (and hashing) but not in ``embedding_text``/``content_hash``.
    """

    id: str
    title: str
    description: str
    categories: tuple[str, ...]
    year: int | None = None
    url: str | None = None
    image: str | None = None
    price: float | None = None
    available: bool = True  # out-of-stock items are never recommended
    attributes: Attributes = NO_ATTRIBUTES  # shown on cards; never embedded

    def __post_init__(self) -> None:
        if not isinstance(self.attributes, Attributes):
            object.__setattr__(self, "attributes", Attributes(self.attributes or {}))

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def attribute_summary(self, limit: int = 3, names: Iterable[str] | None = None) -> str:
        """A short line for a chat card: ``"authors: J.K. Rowling · language_code: eng"``.

        Shows the first ``limit`` attributes in file order, or those of ``names`` the item
        has (in that order); true/false reads yes/no, whole floats lose their ".0", and
        values longer than SUMMARY_VALUE_WIDTH characters are shortened with "…".
        An item without (matching) attributes gives "".
        """
        chosen = [n for n in names if n in self.attributes] if names is not None else list(self.attributes)
        return " · ".join(f"{name}: {_shown(self.attributes[name])}" for name in chosen[: max(limit, 0)])

    @property
    def embedding_text(self) -> str:
        """What the encoder sees: title, genres and description together."""
        return f"{self.title}. {', '.join(self.categories)}. {self.description}".strip()

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embedding_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Catalog:
    path: Path
    items: tuple[Item, ...]
    by_id: dict[str, Item] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {item.id: item for item in self.items})

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.by_id

    @property
    def fingerprint(self) -> str:
        """Changes whenever any item's embedded content or the item set changes.

        It decides whether a saved index still fits, so it leaves out what is not embedded
        (price, availability, attributes...): a running engine reloads on the file's stamp
        and serves such changes without re-embedding or rebuilding the index.
        """
        digest = hashlib.sha256()
        for item in self.items:
            digest.update(f"{item.id}\t{item.content_hash}\n".encode())
        return digest.hexdigest()[:16]

    def category_counts(self) -> Counter[str]:
        return Counter(cat for item in self.items for cat in item.categories)

    @property
    def categories(self) -> list[str]:
        """Categories, most common first (ties alphabetical)."""
        counts = self.category_counts()
        return sorted(counts, key=lambda c: (-counts[c], c))

    def category_phrases(self) -> dict[str, list[str]]:
        """Every phrase that names categories (name, plural, synonyms) -> canonical names."""
        phrases: dict[str, list[str]] = {}
        for category in self.categories:
            key = category.lower()
            for phrase in (key, key + "s", *CATEGORY_SYNONYMS.get(key, ())):
                names = phrases.setdefault(phrase, [])
                if category not in names:
                    names.append(category)
        return phrases

    def find_categories(self, text: str) -> list[str]:
        """Categories named in free text, in the order they appear, without repeats."""
        lowered = text.lower()
        hits: list[tuple[int, str]] = []
        for phrase, categories in self.category_phrases().items():
            match = re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", lowered)
            if match:
                hits.extend((match.start(), category) for category in categories)
        found: list[str] = []
        for _, category in sorted(hits):
            if category not in found:
                found.append(category)
        return found

    @property
    def has_prices(self) -> bool:
        return any(item.price is not None for item in self.items)

    @property
    def has_years(self) -> bool:
        return any(item.year is not None for item in self.items)

    def in_category(self, category: str) -> list[Item]:
        return [item for item in self.items if category in item.categories]


def read_catalog(path: str | Path, mapping: ColumnMapping | None = None) -> tuple[list[Item], list[str]]:
    """Every valid item of a file, and every problem as "FILE:LINE: field 'F': reason"."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(path, ["file not found (set BOT_CATALOG to your catalog's path)"])
    items: list[Item] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    columns_are_attributes = mapping is None and path.suffix.lower() == ".csv"
    for line, row in read_rows(path, problems):
        if isinstance(row, str):
            problems.append(f"{path}:{line}: {row}")
            continue
        if mapping:
            row = mapping.apply(row)
        elif columns_are_attributes:
            row = _with_column_attributes(row)
        try:
            item = _parse_item(row)
        except _RowError as error:
            problems.append(f"{path}:{line}: field '{error.field}': {error.reason}")
            continue
        if item.id in seen:
            problems.append(
                f"{path}:{line}: field 'id': duplicate id {item.id!r} (first on line {seen[item.id]})"
            )
            continue
        seen[item.id] = line
        items.append(item)
    return items, problems


def load_catalog(path: str | Path, mapping: ColumnMapping | None = None) -> Catalog:
    """Read and validate a catalog; raise :class:`CatalogError` listing every bad row."""
    path = Path(path)
    items, problems = read_catalog(path, mapping)
    if not items and not problems:
        problems.append(f"{path}: the catalog has no items")
    if problems:
        raise CatalogError(path, problems)
    return Catalog(path=path, items=tuple(items))


def write_catalog(items: list[Item], path: Path) -> None:
    """Write items as a catalog in this project's JSON Lines format (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for item in items:
            row = {key: value for key, value in asdict(item).items() if value is not None}
            row["categories"] = list(item.categories)
            if item.available:
                del row["available"]  # the default
            if item.attributes:
                row[ATTRIBUTES] = dict(item.attributes)
            else:
                del row[ATTRIBUTES]
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def load_configured_catalog(settings: Settings) -> Catalog:
    """The catalog the settings point at (BOT_CATALOG, with BOT_CATALOG_MAPPING if set)."""
    mapping = ColumnMapping.from_yaml(settings.catalog_mapping) if settings.catalog_mapping else None
    return load_catalog(settings.catalog_path, mapping)


class _RowError(ValueError):
    def __init__(self, field_name: str, reason: str):
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def decoded_lines(path: Path, problems: list[str]) -> list[str]:
    """The file's lines as text; a line that is not UTF-8 is reported and left out (blank)."""
    lines = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as error:
            problems.append(f"{path}:{number}: not UTF-8 text (byte {error.start + 1} of the line)")
            lines.append("")
    return lines


def read_rows(
    path: Path, problems: list[str], fmt: str | None = None
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line number, row) of a CSV, JSON Lines or Parquet file (``fmt`` or the suffix
    decides; Parquet rows count from 1); a row that cannot be parsed comes as a message."""
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt == "parquet":
        import pyarrow.parquet

        try:
            table = pyarrow.parquet.read_table(path)
        except Exception as error:  # noqa: BLE001 - any reader failure is a file problem
            problems.append(f"{path}: not a readable Parquet file ({error})")
            return
        yield from enumerate(table.to_pylist(), start=1)
        return
    lines = decoded_lines(path, problems)
    if fmt == "csv":
        reader = csv.DictReader(lines)
        while True:  # a record the csv module refuses (a cell over its 128 KiB limit) is one bad row
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # line_num has not counted the bad record's lines yet
                yield reader.line_num + 1, f"not valid CSV ({error})"
                continue
            yield reader.line_num, row
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            yield number, f"not valid JSON ({error.msg} at column {error.colno})"
            continue
        except ValueError:  # an integer of more than 4300 digits
            yield number, "not valid JSON (a number too long to read)"
            continue
        except RecursionError:
            yield number, "not valid JSON (nested too deeply)"
            continue
        yield number, row if isinstance(row, dict) else "a row must be a JSON object"


def _text(row: dict[str, Any], name: str, required: bool) -> str | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _RowError(name, "is required and empty" if name in row else "is missing")
        return None
    if not isinstance(value, str):
        raise _RowError(name, f"must be text, got {type(value).__name__}")
    return _unicode(name, value).strip()


def _unicode(name: str, text: str) -> str:
    """Text that can be encoded: a JSON ``\\ud800`` escape gives a lone surrogate, which no
    UTF-8 file, database or encoder takes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise _RowError(name, f"is not valid Unicode (a lone surrogate at character {error.start + 1})") from None
    return text


def _number(row: dict[str, Any], name: str, kind: type) -> Any:
    value = row.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):  # JSON true is no number
            raise TypeError
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float range
        raise _RowError(name, f"must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise _RowError(name, f"must be a finite number, got {value!r}")
    if kind is int:
        if not number.is_integer():
            raise _RowError(name, f"must be a whole number, got {value!r}")
        return int(number)
    return number


def _flag(row: dict[str, Any], name: str) -> bool:
    """A yes/no field; missing means yes (an item is available unless it says otherwise)."""
    value = row.get(name)
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise _RowError(name, f"must be true or false, got {value!r}")


def _with_column_attributes(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row read without a mapping: every column that is no schema field is an attribute
    (cells beyond the header, which have no column name, are ignored)."""
    extra = {name: value for name, value in row.items() if name is not None and name not in FIELDS}
    return {**row, ATTRIBUTES: extra}


def _attributes(row: dict[str, Any]) -> Attributes:
    """The row's ``attributes`` object, cleaned: text is stripped, and empty text, null and
    NaN are left out (like an empty CSV cell); anything but a scalar is a row error."""
    values = row.get(ATTRIBUTES)
    if values is None:
        return NO_ATTRIBUTES
    if not isinstance(values, dict):
        raise _RowError(ATTRIBUTES, f"must be an object of name: value pairs, got {_kind(values)}")
    cleaned: dict[str, Scalar] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name.strip():
            raise _RowError(ATTRIBUTES, f"names must be non-empty text, got {name!r}")
        name = _unicode(ATTRIBUTES, name).strip()
        if name in cleaned:
            raise _RowError(f"{ATTRIBUTES}.{name}", "is given twice")
        if isinstance(value, str):
            value = _unicode(f"{ATTRIBUTES}.{name}", value).strip()
            if not value:
                continue
        elif isinstance(value, float):
            if math.isnan(value):
                continue
            if math.isinf(value):
                raise _RowError(f"{ATTRIBUTES}.{name}", f"must be a finite number, got {value!r}")
        elif value is None:
            continue
        elif not isinstance(value, int):  # bool is an int
            raise _RowError(f"{ATTRIBUTES}.{name}", f"must be text, a number or true/false, got {_kind(value)}")
        cleaned[name] = value
    return Attributes(cleaned) if cleaned else NO_ATTRIBUTES


def _kind(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: Scalar) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text if len(text) <= SUMMARY_VALUE_WIDTH else text[: SUMMARY_VALUE_WIDTH - 1].rstrip() + "…"


def _parse_item(row: dict[str, Any]) -> Item:
    item_id = _text(row, "id", required=True)
    if item_id is not None and len(item_id) > 255:
        raise _RowError("id", "is longer than 255 characters")
    if item_id is not None and any(unicodedata.category(char) == "Cc" for char in item_id):
        raise _RowError("id", "must not contain control characters")  # PostgreSQL stores no NUL
    categories = row.get("categories")
    if isinstance(categories, str):
        categories = [part for part in re.split(r"[|;,]", categories)]
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise _RowError("categories", "must be a list of names (or 'A|B' text in CSV)")
    cleaned = tuple(dict.fromkeys(_unicode("categories", c).strip() for c in categories if c.strip()))
    if not cleaned:
        raise _RowError("categories", "needs at least one category")
    year = _number(row, "year", int)
    if year is not None and not -5000 <= year <= 2100:  # ancient texts have negative years
        raise _RowError("year", f"{year} is not a plausible year")
    price = _number(row, "price", float)
    if price is not None and price < 0:
        raise _RowError("price", "must not be negative")
    return Item(
        available=_flag(row, "available"),
        id=item_id,
        title=_text(row, "title", required=True),
        description=_text(row, "description", required=True),
        categories=cleaned,
        year=year,
        url=_text(row, "url", required=False),
        image=_text(row, "image", required=False),
        price=price,
        attributes=_attributes(row),
    )
