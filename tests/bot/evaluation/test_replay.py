"""The experiment pipeline replayed on MovieTweetings through the engine (bot/evaluation/replay.py)."""

from __future__ import annotations

import pytest

from bot.evaluation.replay import AB, PICKS, describe_simulation, simulate


@pytest.fixture(scope="module")
def simulation(movietweetings, encoder):
    log, items = movietweetings
    return simulate(log, items, encoder, days=14, aa_runs=400)


def test_the_pipeline_finds_the_real_difference_between_popular_and_personalized_picks(simulation):
    popular, personalized = simulation.ab.variants
    assert (popular.name, personalized.name) == tuple(v.name for v in AB.variants)
    assert popular.users + personalized.users == simulation.users > 300
    assert popular.shown == PICKS * popular.users  # every simulated user was shown a full list
    (comparison,) = simulation.ab.comparisons
    assert comparison.significant


def test_an_a_a_test_finds_a_difference_about_as_often_as_its_level(simulation):
    (comparison,) = simulation.aa.comparisons
    assert comparison.relative_lift is not None
    assert 0.02 <= simulation.aa_false_positive_rate <= 0.09


def test_the_simulation_reads_as_text(simulation):
    text = describe_simulation(simulation)
    assert f"{simulation.users:,} users shown {PICKS} picks each" in text
    assert "A/A dealt out again under 400 experiment names" in text
