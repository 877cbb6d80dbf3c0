"""Fuzzing catalog import (hypothesis plus the shared nasty corpus).

Generated JSON Lines and CSV files, with corpus values in every field, wrong types, missing
fields, huge numbers, duplicate ids, a BOM, CRLF, invalid UTF-8 and empty files. Whatever
the file, loading either gives valid items (each one writable and read back unchanged) or
raises :class:`CatalogError` whose every problem names the file and the line, and the field
when the problem is a field's; never another exception. ``read_catalog`` (what
``bot catalog import`` keeps of a partly bad file) obeys the same rules row by row.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

from fuzz_corpus import INVALID_UTF8, NASTY, NASTY_NUMBERS, fuzz_settings
from hypothesis import event, given
from hypothesis import strategies as st

from bot.catalog import Item
from bot.catalog_files import FIELDS, CatalogError, ColumnMapping, load_catalog, read_catalog, write_catalog

FUZZ = fuzz_settings(max_examples=250)
BOM = b"\xef\xbb\xbf"
FIELD_NAMES = "|".join(re.escape(name) for name in (*FIELDS, "attributes"))
# "FILE:LINE: field 'NAME': reason", or a line that could not be read as a row at all.
LINE_PROBLEM = re.compile(
    rf"(?P<line>\d+): (field '(?:{FIELD_NAMES}|attributes\..+)': .+"
    r"|not UTF-8 text \(byte \d+ of the line\)|not valid JSON \(.+\)|not valid CSV \(.+\)"
    r"|a row must be a JSON object)",
    re.S,
)
LEAK = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\(|<class '|object at 0x")

# Beyond the corpus: a cell larger than the csv module's field limit (128 KiB).
HUGE_CELL = "y" * 200_000

# --- strategies --------------------------------------------------------------------------

nasty_text = st.sampled_from([*NASTY, HUGE_CELL])
numbers = st.sampled_from(NASTY_NUMBERS) | st.integers() | st.floats()
scalars = st.none() | st.booleans() | numbers | nasty_text | st.text(max_size=20)
wrong_values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.text(max_size=6), scalars, max_size=3)
ids = (st.sampled_from(["a", "b", " a ", "A"])  # few ids: duplicates
       | st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12))
words = st.text(min_size=1, max_size=30) | st.sampled_from(["Jaws", "Alien", "Le Guin", "日本語"])
good_fields = {
    "id": ids,
    "title": words,
    "description": words,
    "categories": st.lists(st.sampled_from(["Drama", "Sci-Fi", "Comedy"]) | st.text(min_size=1, max_size=12),
                           min_size=1, max_size=3),
    "year": st.none() | st.integers(-5000, 2100),
    "url": st.none() | st.text(max_size=20),
    "image": st.none() | st.text(max_size=20),
    "price": st.none() | st.integers(0, 10**9) | st.floats(min_value=0, allow_infinity=False, allow_nan=False),
    "available": st.booleans() | st.sampled_from(["yes", "no", "in stock", "sold out", "1", "0"]),
    "genre": st.sampled_from(["Drama|Comedy", "Sci-Fi"]) | words,  # columns MAPPING reads
    "notes": words,
    "attributes": st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=10) | st.booleans()
                                  | st.integers() | st.floats(allow_nan=False, allow_infinity=False), max_size=3),
}


@st.composite
def rows(draw) -> dict[str, Any]:
    """A good row, then up to three fields replaced by nasty values, dropped, or added."""
    row = {name: draw(values) for name, values in good_fields.items() if draw(st.booleans()) or name in
           ("id", "title", "description", "categories", "genre")}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        name = draw(st.sampled_from([*FIELDS, "attributes", "attributes.", "extra"]))
        if name == "attributes.":
            attributes = row.get("attributes") if isinstance(row.get("attributes"), dict) else {}
            attributes[draw(nasty_text | st.text(max_size=8))] = draw(wrong_values)
            row["attributes"] = attributes
        elif name == "extra":
            row[draw(nasty_text | st.text(max_size=8))] = draw(wrong_values)
        elif draw(st.booleans()):
            row.pop(name, None)
        else:
            row[name] = draw(wrong_values)
    return row


# A whole line that is not a row: garbage, other JSON values, very deep nesting, a number
# no JSON parser should have to read, invalid UTF-8 (raw bytes, or a lone surrogate).
raw_lines = (
    nasty_text.map(lambda text: text.encode("utf-8", "surrogatepass"))
    | st.sampled_from([b"", b"   ", b"[]", b"null", b"1", b'"text"', b"{", b'{"id": }', b"NaN",
                       b"[" * 100_000, b'{"a":' * 50_000, b"1" * 5000, b'{"id": "x", "year": ' + b"9" * 5000 + b"}",
                       BOM + b'{"id": "bom"}', *INVALID_UTF8])
    | st.sampled_from(INVALID_UTF8).map(lambda raw: b'{"id": "x' + raw + b'", "title": "t"}')
    | st.binary(max_size=40)
)


@st.composite
def jsonl_files(draw) -> tuple[bytes, list[Any]]:
    """(file content, what each line is: a row dict, or None for a raw line)."""
    lines: list[bytes] = []
    kinds: list[Any] = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 7)):
            row = draw(rows())
            text = json.dumps(row, ensure_ascii=draw(st.booleans()), allow_nan=True)
            lines.append(text.encode("utf-8", "surrogatepass"))  # a lone surrogate unescaped: invalid UTF-8
            kinds.append(row)
        else:
            lines.append(draw(raw_lines))
            kinds.append(None)
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    content = newline.join(lines) + (newline if draw(st.booleans()) else b"")
    return (BOM if draw(st.booleans()) else b"") + content, kinds


def cell(value: Any) -> str:
    """A value as a CSV cell: text as is, lists as 'A|B', everything else as JSON would print it."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "|".join(map(cell, value))
    return json.dumps(value, allow_nan=True)


@st.composite
def csv_files(draw, needed: tuple[str, ...] = ("id", "title", "description", "categories")) -> bytes:
    """A header (usually with the ``needed`` columns first), rows of cells from :func:`rows`,
    some short or long, now and then a raw line."""
    columns = draw(st.lists(st.sampled_from([*FIELDS, "genre", "notes"]) | nasty_text | st.text(max_size=8),
                            min_size=0, max_size=4))
    if draw(st.integers(0, 7)):
        columns = [*needed, *columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    for _ in range(draw(st.integers(0, 5))):
        row = draw(rows())
        cells = [cell(row.get(column, draw(nasty_text | words | st.just("")))) for column in columns]
        cells = cells[: draw(st.integers(0, len(cells)))] if draw(st.integers(0, 5)) == 0 else cells  # short
        cells += draw(st.lists(nasty_text, max_size=2)) if draw(st.integers(0, 5)) == 0 else []  # beyond header
        writer.writerow(cells)
    content = buffer.getvalue().encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 5)) == 0:  # a raw line somewhere
        lines = content.split(b"\n")
        lines.insert(draw(st.integers(0, len(lines))), draw(raw_lines))
        content = b"\n".join(lines)
    return (BOM if draw(st.booleans()) else b"") + content


# --- properties --------------------------------------------------------------------------


def assert_valid(item: Item) -> None:
    """What the rest of the bot relies on: text it can encode and store, finite numbers."""
    assert isinstance(item.id, str) and item.id == item.id.strip() and 0 < len(item.id) <= 255
    assert not any(unicodedata.category(char) == "Cc" for char in item.id), repr(item.id)
    assert isinstance(item.title, str) and item.title == item.title.strip() and item.title
    assert isinstance(item.description, str) and item.description == item.description.strip()  # may be ""
    assert all(isinstance(c, str) and c == c.strip() and c for c in item.categories)  # none: facets at import
    assert len(set(item.categories)) == len(item.categories)
    assert item.year is None or (type(item.year) is int and -5000 <= item.year <= 2100)
    assert item.price is None or (type(item.price) is float and math.isfinite(item.price) and item.price >= 0)
    assert type(item.available) is bool
    for name, value in item.attributes.items():
        assert isinstance(name, str) and name == name.strip() and name
        assert not isinstance(value, float) or math.isfinite(value)
    item.content_hash  # noqa: B018 - encodes every embedded text as UTF-8
    json.dumps(dict(item.attributes), ensure_ascii=False).encode("utf-8")


def assert_round_trip(items: list[Item], tmp_path: Path) -> None:
    """Valid items can be written as a catalog (what import does) and read back unchanged."""
    assert len({item.id for item in items}) == len(items)
    if items:
        out = tmp_path / "written.jsonl"
        write_catalog(items, out)
        assert list(load_catalog(out).items) == items


def assert_problems_name_file_line_and_field(path: Path, problems: list[str], content: bytes) -> None:
    lines = max(len(content.splitlines()), 1)
    assert problems
    for problem in problems:
        assert problem.startswith(f"{path}:"), problem[:300]
        rest = problem[len(f"{path}:"):]
        if rest in (" the catalog has no items",) or rest.startswith(" not a readable Parquet file"):
            continue  # about the whole file
        match = LINE_PROBLEM.fullmatch(rest)
        assert match, problem[:500]
        assert 1 <= int(match["line"]) <= lines, (problem[:300], lines)
        assert not LEAK.search(problem), problem[:500]


def check_load(path: Path, content: bytes, tmp_path: Path, mapping: ColumnMapping | None = None) -> list[Item] | None:
    """Load the file: valid items, or a CatalogError naming file, line and field (no other error)."""
    path.write_bytes(content)
    items, problems = read_catalog(path, mapping)
    for item in items:
        assert_valid(item)
    assert_round_trip(items, tmp_path)
    if problems:
        assert_problems_name_file_line_and_field(path, problems, content)
    try:
        catalog = load_catalog(path, mapping)
    except CatalogError as error:
        assert error.path == path
        assert str(error).startswith(f"invalid catalog {path}:")
        assert_problems_name_file_line_and_field(path, error.problems, content)
        assert error.problems == problems or (not items and not problems)
        return None
    assert not problems
    assert list(catalog.items) == items
    return items


def decoded_non_blank_lines(content: bytes) -> int:
    count = 0
    for number, raw in enumerate(content.splitlines(), start=1):
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        count += bool(text.strip())
    return count


@FUZZ
@given(file=jsonl_files())
def test_any_json_lines_file_loads_valid_items_or_names_the_problem(tmp_path, file):
    content, kinds = file
    items = check_load(tmp_path / "catalog.jsonl", content, tmp_path)
    event("refused" if items is None else "loaded")  # the shares: pytest --hypothesis-show-statistics
    if items is not None:  # all or nothing: every non-blank line became an item, in order
        assert len(items) == decoded_non_blank_lines(content)
        if all(kind is not None for kind in kinds):
            assert [item.id for item in items] == [row["id"].strip() for row in kinds]


@FUZZ
@given(content=csv_files())
def test_any_csv_file_loads_valid_items_or_names_the_problem(tmp_path, content):
    event("refused" if check_load(tmp_path / "catalog.csv", content, tmp_path) is None else "loaded")


MAPPING = ColumnMapping(
    fields={"description": "{title}: {notes}", "categories": "genre"},
    separator="|",
    attributes={"note": "notes", "about": "{genre} / {id}"},
)


@FUZZ
@given(file=st.tuples(csv_files(needed=("id", "title", "genre", "notes")), st.just(".csv"))
       | st.tuples(jsonl_files().map(lambda file: file[0]), st.just(".jsonl")))
def test_any_file_read_through_a_column_mapping(tmp_path, file):
    content, suffix = file
    loaded = check_load(tmp_path / f"catalog{suffix}", content, tmp_path, MAPPING)
    event("refused" if loaded is None else "loaded")


@FUZZ
@given(content=st.binary(max_size=300) | st.sampled_from([b"", b"PAR1", b"PAR1\x00\x00\x00\x00PAR1"]))
def test_a_broken_parquet_file_is_a_catalog_error(tmp_path, content):
    check_load(tmp_path / "catalog.parquet", content, tmp_path)


def test_every_corpus_value_in_every_field(tmp_path):
    """Each corpus string and number in each field of an otherwise good row, as JSON Lines
    and as CSV; and each corpus string as a whole line."""
    good = {"id": "good", "title": "Good", "description": "Fine.", "categories": ["Drama"]}
    for field in [*FIELDS, "attributes"]:
        for value in [*NASTY, HUGE_CELL, *NASTY_NUMBERS, True, None, [], {}, ["Drama", 1], {"k": [1]}]:
            row = {**good, field: value}
            line = json.dumps(row, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")
            check_load(tmp_path / "c.jsonl", line + b"\n", tmp_path)
            check_load(tmp_path / "c.jsonl", json.dumps(row).encode() + b"\n", tmp_path)  # surrogates escaped
            header = ",".join(good) + ("" if field in good else f",{field}")
            cells = io.StringIO()
            csv.writer(cells, lineterminator="\r\n").writerow([cell(v) for v in {**good, field: value}.values()])
            check_load(tmp_path / "c.csv", (header + "\r\n" + cells.getvalue()).encode("utf-8", "surrogatepass"),
                       tmp_path)
    for value in NASTY:
        check_load(tmp_path / "c.jsonl", value.encode("utf-8", "surrogatepass") + b"\n", tmp_path)


def test_empty_files_name_the_file(tmp_path):
    for suffix in (".jsonl", ".csv"):
        for content in (b"", BOM, b"\n", b"\r\n\r\n", b"   \n\t\n", BOM + b"\n"):
            assert check_load(tmp_path / f"c{suffix}", content, tmp_path) is None
