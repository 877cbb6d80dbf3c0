"""Catalog files: reading with row-level validation, column mappings, writing.

A catalog is a JSON Lines (or CSV) file with one item per row; the schema is
documented in ``data/catalog/README.md``. Loading never half-succeeds: every bad
row is reported with file, line and field, and nothing is returned.

An item's ``attributes`` come in JSON Lines and Parquet from an ``attributes`` object, in
CSV from every column that is not a schema field, through a mapping only from the columns
it lists.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.catalog import NO_ATTRIBUTES, Attributes, Catalog, Item, Scalar
from bot.config import Settings

MAX_REPORTED_ERRORS = 20

FIELDS = ("id", "title", "description", "categories", "year", "url", "image", "price", "available")
ATTRIBUTES = "attributes"  # the free-form name -> scalar object (JSON Lines, Parquet)
_TRUE = {"true", "yes", "1", "y", "in stock", "available"}
_FALSE = {"false", "no", "0", "n", "out of stock", "unavailable", "sold out"}


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


def parse_number(value: Any) -> float | None:
    """A number field of a data file (a catalog's, a history's): None when missing or empty;
    ValueError saying why when it is no finite number. The one reader of numbers for both."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):  # JSON true is no number
            raise TypeError
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float range
        raise ValueError(f"must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, got {value!r}")
    return number


def _number(row: dict[str, Any], name: str, kind: type) -> Any:
    value = row.get(name)
    try:
        number = parse_number(value)
    except ValueError as error:
        raise _RowError(name, str(error)) from None
    if number is not None and kind is int:
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


def _parse_item(row: dict[str, Any]) -> Item:
    item_id = _text(row, "id", required=True)
    if item_id is not None and len(item_id) > 255:
        raise _RowError("id", "is longer than 255 characters")
    if item_id is not None and any(unicodedata.category(char) == "Cc" for char in item_id):
        raise _RowError("id", "must not contain control characters")  # PostgreSQL stores no NUL
    categories = row.get("categories")
    if categories is None:  # a product feed without kinds: `bot catalog import` derives facets (bot/facets.py)
        categories = []
    elif isinstance(categories, str):
        categories = [part for part in re.split(r"[|;,]", categories)]
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise _RowError("categories", "must be a list of names (or 'A|B' text in CSV)")
    cleaned = tuple(dict.fromkeys(_unicode("categories", c).strip() for c in categories if c.strip()))
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
        description=_text(row, "description", required=False) or "",
        categories=cleaned,
        year=year,
        url=_text(row, "url", required=False),
        image=_text(row, "image", required=False),
        price=price,
        attributes=_attributes(row),
    )
