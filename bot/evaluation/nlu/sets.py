"""The held-out sets of `bot nlu-eval` (``tests/data/nlu/``), read strictly: they were written
before any tuning and are never trained on, so a malformed one must stop the run with its file and
example rather than quietly shrink the measurement.

- ``in_domain.yml``: ``examples: [{text, intent, titles?, categories?}]``
- ``off_topic.yml``: ``examples: [{text, domain, tricky?}]``
- ``support.yml``: ``examples: [{text, topic, tricky?}]``
- ``requests_demo.yml`` / ``requests_goodbooks.yml`` / ``requests_movietweetings.yml``: ``catalog``
  (one of :data:`CATALOGS`), ``cases: [{text, kind, titles, categories, avoid_categories, year_from,
  year_to, topic, expected}]``, every field but ``text`` optional.
- ``requests_blind_demo.yml`` / ``requests_blind_goodbooks.yml``: request sets of the same format,
  the blind development sets of ``data/nlu-dev/`` (:data:`OPTIONAL_SETS`: measured when the folder
  has them, not listed as missing when it does not, as the held-out folder does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT
from bot.evaluation.nlu.errors import NluEvalError

SET_FILES = {
    "in_domain": "in_domain.yml",
    "off_topic": "off_topic.yml",
    "support": "support.yml",
    "requests_demo": "requests_demo.yml",
    "requests_goodbooks": "requests_goodbooks.yml",
    "requests_movietweetings": "requests_movietweetings.yml",
    "requests_blind_demo": "requests_blind_demo.yml",
    "requests_blind_goodbooks": "requests_blind_goodbooks.yml",
}
OPTIONAL_SETS = frozenset({"requests_blind_demo", "requests_blind_goodbooks"})  # data/nlu-dev's alone
CATALOGS = ("demo", "goodbooks", "movietweetings")  # the catalogs a request set may be written on
DEFAULT_SETS = PROJECT_ROOT / "tests/data/nlu"


@dataclass(frozen=True)
class Example:
    """A message of the in-domain, off-topic or support set; ``label`` is its intent, domain or topic."""

    text: str
    label: str
    tricky: bool = False
    titles: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestCase:
    """A recommendation request of a ``requests_*`` set and what a good reading of it finds."""

    text: str
    kind: str
    titles: tuple[str, ...] = ()  # item ids the request names
    categories: tuple[str, ...] = ()
    avoid_categories: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    topic: str | None = None
    expected: tuple[str, ...] = ()  # item ids a good answer holds

    @property
    def period(self) -> tuple[int | None, int | None] | None:
        return None if self.year_from is None and self.year_to is None else (self.year_from, self.year_to)


@dataclass(frozen=True)
class RequestSet:
    catalog: str  # one of CATALOGS
    cases: list[RequestCase]


@dataclass
class Sets:
    in_domain: list[Example] | None = None
    off_topic: list[Example] | None = None
    support: list[Example] | None = None
    requests: dict[str, RequestSet] = field(default_factory=dict)  # set name -> its cases
    missing: list[str] = field(default_factory=list)  # set files not found

    def counts(self) -> dict[str, int]:
        counts = {name: len(getattr(self, name)) for name in ("in_domain", "off_topic", "support")
                  if getattr(self, name) is not None}
        return counts | {name: len(requests.cases) for name, requests in self.requests.items()}


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise NluEvalError(f"{path}: {error}") from error


def _read(path: Path, key: str) -> list[dict[str, Any]]:
    data = _yaml(path)
    rows = data.get(key) if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise NluEvalError(f"{path}: expected a list of mappings under {key!r}")
    for number, row in enumerate(rows, 1):
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            raise NluEvalError(f"{path}: {key} #{number} has no text")
    return rows


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _year(value: Any, path: Path, number: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NluEvalError(f"{path}: case #{number} has a year that is no number: {value!r}") from None


def load_examples(path: Path, label: str) -> list[Example]:
    """A set of ``examples`` whose ``label`` field (intent, domain or topic) is required."""
    examples = []
    for number, row in enumerate(_read(path, "examples"), 1):
        if row.get(label) in (None, ""):
            raise NluEvalError(f"{path}: example #{number} has no {label}")
        examples.append(Example(row["text"], str(row[label]), bool(row.get("tricky", False)),
                                _strings(row.get("titles")), _strings(row.get("categories"))))
    return examples


def load_requests(path: Path) -> RequestSet:
    """A request set: its catalog (one of :data:`CATALOGS`) and its cases; optional fields may be left out."""
    data = _yaml(path)
    catalog = str(data.get("catalog", "")) if isinstance(data, dict) else ""
    if catalog not in CATALOGS:
        raise NluEvalError(f"{path}: catalog must be {', '.join(CATALOGS[:-1])} or {CATALOGS[-1]}, not {catalog!r}")
    cases = [
        RequestCase(
            text=row["text"], kind=str(row.get("kind") or "unspecified"), titles=_strings(row.get("titles")),
            categories=_strings(row.get("categories")), avoid_categories=_strings(row.get("avoid_categories")),
            year_from=_year(row.get("year_from"), path, number), year_to=_year(row.get("year_to"), path, number),
            topic=row.get("topic") or None, expected=_strings(row.get("expected")),
        )
        for number, row in enumerate(_read(path, "cases"), 1)
    ]
    return RequestSet(catalog, cases)


def load_sets(directory: Path) -> Sets:
    """The sets found in ``directory``; NluEvalError if there is none."""
    sets = Sets()
    found = False
    for name, filename in SET_FILES.items():
        path = directory / filename
        if not path.exists():
            if name not in OPTIONAL_SETS:
                sets.missing.append(filename)
            continue
        found = True
        if name.startswith("requests_"):
            sets.requests[name] = load_requests(path)
        else:
            label = {"in_domain": "intent", "off_topic": "domain", "support": "topic"}[name]
            setattr(sets, name, load_examples(path, label))
    if not found:
        raise NluEvalError(f"no test sets in {directory} (expected {', '.join(SET_FILES.values())})")
    return sets
