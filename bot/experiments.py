"""A/B experiments on the ranking: defined in YAML, users assigned by hashing their id.

The file (``BOT_EXPERIMENTS``; data/experiments.example.yml shows every field) lists
experiments. While one runs (from its ``start`` to its ``end``), every consenting user is in
one of its variants and always the same one: the SHA-256 of the experiment's name and the
user's id picks it, in proportion to the variants' weights. Nothing is stored and every
process agrees, so the variants, weights and name must not change while an experiment runs
(start a new one instead). Runs may not overlap: a user is in one experiment at a time.

A variant changes the ranking: ``personalized: false`` ranks by popularity and trend, as for
a new user (what the user rejected or avoids still never comes back), ``diversity`` sets the
MMR trade-off (0: the best scores in order), ``segment_prior`` the weight of what the users
of a new user's segment liked (bot/hybrid.py; off by default). Impressions and outcomes are
the events every recommendation logs already; `bot experiments report` compares the
variants (bot/statistics.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.vocabulary import EventType

OUTCOMES = (EventType.CLICK, EventType.LIKE, EventType.ADD_TO_CART, EventType.PURCHASE)
ANY_OUTCOME = "any"  # a metric that counts every outcome type
DEFAULT_MINIMUM_DETECTABLE_EFFECT = 0.10  # relative: a 10% better rate than the first variant
_LINES = "__lines__"  # each mapping's lines: of the mapping itself (None) and of each key


class ExperimentError(ValueError):
    """The experiments file is malformed; the message names the file, line and field."""


@dataclass(frozen=True)
class Variant:
    name: str
    weight: float = 1.0
    personalized: bool = True
    diversity: float | None = None  # None: the recommender's own
    segment_prior: float | None = None  # None: the trained model's (bot/hybrid.py)


@dataclass(frozen=True)
class Experiment:
    name: str
    variants: tuple[Variant, ...]  # the first is the control the others are compared with
    start: datetime | None = None  # None: since ever
    end: datetime | None = None  # None: until it is given an end
    metric: str = ANY_OUTCOME  # the outcome the decision is made on: an outcome type or "any"
    minimum_detectable_effect: float = DEFAULT_MINIMUM_DETECTABLE_EFFECT
    description: str = ""

    def running(self, at: datetime) -> bool:
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)

    def variant_of(self, sender_id: str) -> Variant:
        """The user's variant: a point in [0, 1) from the hash, in the weights' proportions."""
        digest = hashlib.sha256(f"{self.name}\n{sender_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64 * sum(v.weight for v in self.variants)
        for variant in self.variants:
            if point < variant.weight:
                return variant
            point -= variant.weight
        return self.variants[-1]  # rounding at the very top


@dataclass(frozen=True)
class Experiments:
    experiments: tuple[Experiment, ...] = ()

    def running(self, at: datetime) -> Experiment | None:
        return next((e for e in self.experiments if e.running(at)), None)

    def named(self, name: str) -> Experiment:
        for experiment in self.experiments:
            if experiment.name == name:
                return experiment
        known = ", ".join(e.name for e in self.experiments) or "none"
        raise KeyError(f"no experiment named {name!r} (defined: {known})")

    def variant(self, sender_id: str, at: datetime) -> tuple[Experiment, Variant] | None:
        experiment = self.running(at)
        return None if experiment is None else (experiment, experiment.variant_of(sender_id))


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers the lines of each mapping and of its keys."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        lines = {None: node.start_mark.line + 1}
        lines.update({self.construct_object(key): key.start_mark.line + 1 for key, _ in node.value})
        mapping[_LINES] = lines
        return mapping


def load_experiments(path: Path | None) -> Experiments:
    """The experiments in the file (none without one); ExperimentError says what is wrong."""
    if path is None:
        return Experiments()
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LineLoader) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ExperimentError(f"{path}: cannot read the experiments ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("experiments"), list):
        raise ExperimentError(f"{path}, line 1: expected 'experiments:' with a list of experiments")
    experiments = tuple(_experiment(path, entry) for entry in data["experiments"])
    _check_distinct_and_apart(path, experiments, data["experiments"])
    return Experiments(experiments)


_EXPERIMENT_KEYS = {"name", "description", "start", "end", "metric", "minimum_detectable_effect", "variants"}
_VARIANT_KEYS = {"name", "weight", "personalized", "diversity", "segment_prior"}


def _experiment(path: Path, entry: Any) -> Experiment:
    fail, name = _named_entry(path, entry, "experiment", _EXPERIMENT_KEYS)
    variants = entry.get("variants")
    if not isinstance(variants, list) or len(variants) < 2:
        fail("variants", "must list at least two variants (the first is the control)")
    parsed = tuple(_variant(path, variant) for variant in variants)
    if len({v.name for v in parsed}) < len(parsed):
        fail("variants", "names two variants alike")
    metric = str(entry.get("metric", ANY_OUTCOME))
    if metric not in {ANY_OUTCOME, *OUTCOMES}:
        fail("metric", f"must be one of {', '.join([ANY_OUTCOME, *OUTCOMES])} (it is {metric!r})")
    effect = entry.get("minimum_detectable_effect", DEFAULT_MINIMUM_DETECTABLE_EFFECT)
    if isinstance(effect, bool) or not isinstance(effect, int | float) or not 0 < effect <= 10:
        fail("minimum_detectable_effect", "must be a relative change above 0 (0.1 is 10%)")
    start, end = _moment(fail, entry, "start"), _moment(fail, entry, "end")
    if start and end and end <= start:
        fail("end", "must come after start")
    return Experiment(name, parsed, start, end, metric, float(effect), str(entry.get("description", "")))


def _variant(path: Path, entry: Any) -> Variant:
    fail, name = _named_entry(path, entry, "variant", _VARIANT_KEYS)
    weight = entry.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        fail("weight", "must be a number above 0")
    personalized = entry.get("personalized", True)
    if not isinstance(personalized, bool):
        fail("personalized", "must be true or false")
    return Variant(name, float(weight), personalized, _share(fail, entry, "diversity"),
                   _share(fail, entry, "segment_prior"))


def _share(fail, entry: dict[str, Any], key: str) -> float | None:
    """An optional weight from 0 (off) to 1."""
    value = entry.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1):
        fail(key, "must be a number from 0 (none) to 1")
    return None if value is None else float(value)


def _named_entry(path: Path, entry: Any, what: str, keys: set[str]):
    """An experiment's or variant's mapping checked for unknown fields and a name: its
    ``fail(field, problem)`` and the name."""
    if not isinstance(entry, dict):
        raise ExperimentError(f"{path}: each {what} must be a mapping with a name")
    fail = _failing(path, entry)
    _known_keys(fail, entry, keys)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        fail("name", "must be a non-empty text")
    return fail, name.strip()


def _moment(fail, entry: dict, key: str) -> datetime | None:
    """A date (midnight UTC) or a date and time; None when absent."""
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    fail(key, f"must be a date such as 2026-12-01 (it is {value!r})")


def _check_distinct_and_apart(path: Path, experiments: tuple[Experiment, ...], entries: list[dict]) -> None:
    """Names are unique and runs do not overlap (a user is in one experiment at a time)."""
    far_past, far_future = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    for later, (experiment, entry) in enumerate(zip(experiments, entries)):
        for earlier in experiments[:later]:
            fail = _failing(path, entry)
            if earlier.name == experiment.name:
                fail("name", f"{experiment.name!r} is defined twice")
            if (max(experiment.start or far_past, earlier.start or far_past)
                    < min(experiment.end or far_future, earlier.end or far_future)):
                fail("start", f"{experiment.name!r} overlaps {earlier.name!r} in time; one experiment runs at a time")


def _known_keys(fail, entry: dict, known: set[str]) -> None:
    unknown = sorted(str(key) for key in set(entry) - known - {_LINES})
    if unknown:
        fail(unknown[0], f"unknown; known: {', '.join(sorted(known))}")


def _failing(path: Path, entry: dict):
    """fail(field, problem): raise ExperimentError at the field's line (the entry's if absent)."""
    def fail(field: str, problem: str):
        lines = entry[_LINES]
        raise ExperimentError(f"{path}, line {lines.get(field, lines[None])}, field {field!r}: {problem}")
    return fail
