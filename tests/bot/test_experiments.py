"""A/B experiments: the YAML file, sticky assignment, variants applied to the ranking."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import PROJECT_ROOT
from bot.engine import Engine
from bot.experiments import Experiment, ExperimentError, Experiments, Variant, load_experiments
from bot.recommender import Request
from bot.vocabulary import EventType

EXAMPLE = PROJECT_ROOT / "data/experiments.example.yml"
USERS = [f"user-{n}" for n in range(20_000)]


def write(tmp_path, text: str):
    path = tmp_path / "experiments.yml"
    path.write_text(text)
    return path


def test_the_example_file_loads_with_every_field():
    first, second, third = load_experiments(EXAMPLE).experiments

    assert first.name == "more-diverse" and first.metric == "any" and first.minimum_detectable_effect == 0.10
    assert first.start == datetime(2026, 12, 1, tzinfo=UTC) and first.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert first.variants == (Variant("control"), Variant("diverse", diversity=0.6))
    assert second.metric == "purchase"
    assert second.variants == (Variant("popular", personalized=False), Variant("personalized"))
    assert third.end is None and third.variants == (Variant("control"), Variant("segment-prior", segment_prior=0.2))


@pytest.mark.parametrize("text, line, field", [
    ("experiments:\n  - name: a\n    variants:\n      - name: x\n", 3, "variants"),
    ("experiments:\n  - name: a\n    colour: red\n    variants: [{name: x}, {name: y}]\n", 3, "colour"),
    ("experiments:\n  - name: a\n    variants:\n      - name: x\n      - name: y\n        weight: -1\n", 6, "weight"),
    ("experiments:\n  - name: a\n    variants:\n      - name: x\n      - name: y\n        diversity: 2\n",
     6, "diversity"),
    ("experiments:\n  - name: a\n    variants:\n      - name: x\n      - name: y\n        segment_prior: yes\n",
     6, "segment_prior"),
    ("experiments:\n  - name: a\n    metric: happiness\n    variants: [{name: x}, {name: y}]\n", 3, "metric"),
    ("experiments:\n  - name: a\n    start: soon\n    variants: [{name: x}, {name: y}]\n", 3, "start"),
    ("experiments:\n  - name: a\n    start: 2027-01-02\n    end: 2027-01-01\n    variants: [{name: x}, {name: y}]\n",
     4, "end"),
    ("experiments:\n  - name: a\n    variants: [{name: x}, {name: x}]\n", 3, "variants"),
    ("experiments:\n  - name: a\n    end: 2027-02-01\n    variants: [{name: x}, {name: y}]\n"
     "  - name: b\n    start: 2027-01-15\n    variants: [{name: x}, {name: y}]\n", 6, "start"),
    ("experiments:\n  - name: a\n    variants: [{name: x}, {name: y}]\n"
     "  - name: a\n    start: 2030-01-01\n    variants: [{name: x}, {name: y}]\n", 4, "name"),
])
def test_a_malformed_file_is_refused_naming_the_file_line_and_field(tmp_path, text, line, field):
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError, match=rf"^{path}, line {line}, field '{field}'"):
        load_experiments(path)


def test_a_file_that_is_no_experiments_list_is_refused(tmp_path):
    with pytest.raises(ExperimentError, match="expected 'experiments:'"):
        load_experiments(write(tmp_path, "- name: a\n"))


def test_assignment_is_sticky_and_follows_the_weights():
    experiment = Experiment("e", (Variant("a", weight=3), Variant("b", weight=1)))
    first = [experiment.variant_of(user).name for user in USERS]

    assert first == [experiment.variant_of(user).name for user in USERS]
    assert Counter(first)["a"] / len(USERS) == pytest.approx(0.75, abs=0.015)


def test_two_experiments_split_the_same_users_independently():
    one = Experiment("one", (Variant("a"), Variant("b")))
    two = Experiment("two", (Variant("a"), Variant("b")))
    pairs = Counter((one.variant_of(u).name, two.variant_of(u).name) for u in USERS)
    for pair in (("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")):
        assert pairs[pair] / len(USERS) == pytest.approx(0.25, abs=0.015)


def test_only_the_experiment_running_at_the_moment_assigns_a_variant():
    start = datetime(2027, 1, 1, tzinfo=UTC)
    experiments = Experiments((Experiment("e", (Variant("a"), Variant("b")), start, start + timedelta(days=7)),))

    assert experiments.variant("u", start - timedelta(seconds=1)) is None
    assert experiments.variant("u", start)[0].name == "e"
    assert experiments.variant("u", start + timedelta(days=7)) is None


@pytest.fixture
def engine_in(catalog, index, encoder, store):
    """engine_in(*variants) -> (the engine, on the test's database, with an experiment of these
    variants running, and a user in each variant)."""

    def make(*variants: Variant) -> tuple[Engine, dict[str, str]]:
        experiment = Experiment("e", variants)
        users: dict[str, str] = {}
        for user in USERS:
            users.setdefault(experiment.variant_of(user).name, user)
        return Engine(catalog, index, encoder, store, experiments=Experiments((experiment,))), users

    return make


def test_the_unpersonalized_variant_ranks_as_for_a_newcomer_but_never_brings_back_a_rejected_item(engine_in, remember):
    engine, users = engine_in(Variant("personal"), Variant("popular", personalized=False))
    for _variant, user in users.items():
        remember(user)
        engine.save_preferences(user, categories=["Horror"], loved_items=["alien-1979"], avoid_categories=[])
    for fan in ("fan-1", "fan-2"):
        remember(fan)
        for item in ("toy-story-1995", "heat-1995"):
            engine.record_event(fan, EventType.LIKE, item)
    engine.record_event(users["popular"], EventType.DISLIKE, "heat-1995")

    popular = [pick.item.id for pick in engine.recommend(users["popular"], n=5)]
    horror = next(item.id for item in engine.catalog.items if "Horror" in item.categories and item.id != "alien-1979")
    stated = "matches your interest in Horror"
    assert stated in engine.explain(users["personal"], horror)
    assert stated not in engine.explain(users["popular"], horror)  # "why this?" ranks as the variant does
    personal = [pick.item.id for pick in engine.recommend(users["personal"], n=5)]

    assert popular[0] == "toy-story-1995" and "heat-1995" not in popular  # popular first, the dislike kept out
    assert "toy-story-1995" not in personal[:1]  # the horror fan's own picks lead
    assert {p.item.id for p in engine.recommend(users["popular"], n=5)} != set(personal)


def test_a_diversity_variant_sets_the_mmr_trade_off_of_its_users(engine_in, remember, index, recommender):
    engine, users = engine_in(Variant("focused", diversity=0.0), Variant("varied", diversity=1.0))
    picks = {}
    for variant, user in users.items():
        remember(user)
        engine.save_preferences(user, categories=[], loved_items=["star-wars-1977"], avoid_categories=[])
        picks[variant] = [pick.item.id for pick in engine.recommend(user, n=5)]

    assert picks["focused"] != picks["varied"]
    profile = engine.profile(users["focused"])
    nearest = index.search(recommender.query_vector(profile, Request()), 5, exclude=profile.excluded_items())
    assert picks["focused"] == [item_id for item_id, _ in nearest]  # no diversity: the best scores in order


def test_a_user_sees_their_group_in_what_the_bot_knows_only_while_they_consent(engine_in, remember):
    engine, users = engine_in(Variant("a"), Variant("b"))
    user = users["b"]
    remember(user)
    assert (engine.summary(user).experiment, engine.summary(user).variant) == ("e", "b")

    engine.set_consent(user, False)
    assert (engine.summary(user).experiment, engine.summary(user).variant) == (None, None)
