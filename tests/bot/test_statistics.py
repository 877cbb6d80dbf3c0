"""The experiment report's statistics (bot/statistics.py) on counts where the answer is known."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.engine import Engine
from bot.evaluation.charts import write_chart
from bot.experiments import Experiment, Experiments, Variant
from bot.statistics import UserCounts, compare, ratio_rate, tally
from bot.vocabulary import EventType

T0 = datetime(2027, 1, 1, tzinfo=UTC)
AB = Experiment("ab", (Variant("a"), Variant("b")))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_tally_counts_distinct_items_shown_and_those_acted_on_after_being_shown():
    events = [
        ("u1", "a", "impression", at(0)), ("u1", "b", "impression", at(0)),
        ("u1", "a", "click", at(1)), ("u1", "a", "like", at(2)), ("u1", "a", "impression", at(3)),
        ("u1", "c", "like", at(4)),  # never shown: found some other way
        ("u2", "d", "click", at(0)), ("u2", "d", "impression", at(1)),  # acted on before it was shown
    ]
    counts = tally(events)

    assert counts["u1"].shown == 2 and counts["u2"].shown == 1
    assert counts["u1"].acted == {"click": 1, "like": 1, "add_to_cart": 0, "purchase": 0, "any": 1}
    assert counts["u2"].acted["any"] == 0


def test_with_one_item_per_user_the_interval_is_the_binomial_one():
    acted, shown = np.array([1.0] * 30 + [0.0] * 70), np.ones(100)
    rate = ratio_rate(acted, shown)

    half = 1.959964 * math.sqrt(0.3 * 0.7 * 100 / 99 / 100)
    assert rate.value == pytest.approx(0.3)
    assert (rate.low, rate.high) == pytest.approx((0.3 - half, 0.3 + half), rel=1e-5)


def users_with_rates(experiment: Experiment, rates: dict[str, float], users: int, rng) -> dict[str, UserCounts]:
    """Users who each saw 10 items and acted on a binomial share at their variant's rate."""
    counts = {}
    for n in range(users):
        sender = f"user-{n}"
        acted = int(rng.binomial(10, rates[experiment.variant_of(sender).name]))
        counts[sender] = UserCounts(10, {"click": acted, "any": acted})
    return counts


def test_a_real_difference_is_found_and_the_sample_judged_large_enough():
    report = compare(AB, users_with_rates(AB, {"a": 0.10, "b": 0.15}, 4000, np.random.default_rng(1)))

    (comparison,) = report.comparisons
    assert comparison.significant and comparison.p_value < 1e-6
    assert comparison.relative_lift == pytest.approx(0.5, abs=0.15)
    a, b = report.variants
    assert a.rates["any"].low < 0.10 < a.rates["any"].high and b.rates["any"].low < 0.15 < b.rates["any"].high
    assert report.enough_users


def test_the_users_needed_are_the_textbook_two_proportion_number():
    # One item a user: the per-user variance is p(1 - p), so n = 2 p(1-p) (z_a + z_b)^2 / (mde p)^2.
    counts = {f"user-{n}": UserCounts(1, {"any": int(n % 5 == 0)}) for n in range(20_000)}
    report = compare(AB, counts)

    textbook = 2 * 0.2 * 0.8 * (1.959964 + 0.841621) ** 2 / (0.1 * 0.2) ** 2
    assert report.needed_users_per_variant == pytest.approx(textbook, rel=0.01)


def test_too_few_users_are_said_to_be_too_few():
    report = compare(AB, users_with_rates(AB, {"a": 0.10, "b": 0.11}, 200, np.random.default_rng(2)))

    assert not report.enough_users
    assert "NOT enough yet" in report.describe()


def test_an_a_a_test_finds_a_difference_about_as_often_as_its_5_percent_level():
    """Users differ (some act on much more than others) and see many items each: per-impression
    statistics would cry wolf far more often than 5%; the per-user variance must not."""
    rng = np.random.default_rng(3)
    found = 0
    runs = 300
    for run in range(runs):
        experiment = Experiment(f"aa-{run}", (Variant("a"), Variant("b")))
        counts = {}
        for n in range(600):
            shown = int(rng.integers(5, 40))
            acted = int(rng.binomial(shown, rng.beta(1, 6)))
            counts[f"user-{n}"] = UserCounts(shown, {"any": acted})
        found += compare(experiment, counts).comparisons[0].significant
    assert 0.02 <= found / runs <= 0.09


def test_more_than_one_treatment_divides_the_level_among_the_comparisons():
    experiment = Experiment("abc", (Variant("a"), Variant("b"), Variant("c")))
    report = compare(experiment, users_with_rates(experiment, {"a": 0.1, "b": 0.1, "c": 0.1}, 300,
                                                  np.random.default_rng(4)))
    assert report.alpha == pytest.approx(0.025)
    assert [c.variant for c in report.comparisons] == ["b", "c"]


def test_the_report_reads_as_text_and_as_a_png_chart(tmp_path):
    report = compare(AB, users_with_rates(AB, {"a": 0.10, "b": 0.15}, 500, np.random.default_rng(5)))

    text = report.describe()
    assert "b vs a:" in text and "p = " in text and "delta-method" in text and "[" in text

    chart = write_chart(report, tmp_path / "ab.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_engine_reports_what_its_variants_showed_and_what_users_did_with_it(catalog, index, encoder, store):
    engine = Engine(catalog, index, encoder, store, experiments=Experiments((AB,)))
    users = {}
    for n in range(200):
        users.setdefault(AB.variant_of(f"user-{n}").name, f"user-{n}")
    for variant, user in users.items():
        engine.set_consent(user, True)
        picks = engine.recommend(user, n=4)
        if variant == "b":
            engine.record_event(user, EventType.CLICK, picks[0].item.id)

    report = engine.experiment_report("ab")

    a, b = report.variants
    assert (a.users, a.shown, a.acted["click"]) == (1, 4, 0)
    assert (b.users, b.shown, b.acted["click"]) == (1, 4, 1)
    with pytest.raises(KeyError, match="no experiment named 'nope'"):
        engine.experiment_report("nope")
