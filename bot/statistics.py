"""An experiment's variants compared: rates with 95% confidence intervals, the test used, and
whether the sample is large enough to trust the answer (`bot experiments report`). The engine
reports with it and the analytics page groups its rates with it, so it lives beside
`experiments.py`, below the engine; the chart of a report is the evaluation's (bot/evaluation/charts.py).

A variant's rate of an outcome is the share of the (user, item) pairs it showed that the user
then acted on (a click, like or purchase after the first impression of that item). The unit of
randomization is the user, and one user's pairs are not independent (a keen user acts on
every variant's picks), so the variance is the delta method's for a ratio of per-user sums
(Deng, Knoblich and Lu, "Applying the delta method in metric analytics", KDD 2018): treating
pairs as independent would make the intervals too narrow and A/A tests "significant" far more
often than 5% of the time (the replay simulation checks this). Each variant is compared with the
first (the control) by a two-sided z-test on the difference of rates, at 5% divided by the number
of comparisons (Bonferroni). The users needed per variant are the z-test's for the experiment's
minimum detectable effect at the control's rate and per-user variance, with 80% power.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist
from typing import Any

import numpy as np

from bot.experiments import ANY_OUTCOME, OUTCOMES, Experiment
from bot.vocabulary import EventType

RATES = (*(str(kind) for kind in OUTCOMES), ANY_OUTCOME)  # what every report gives a rate of
ALPHA = 0.05
_NORMAL = NormalDist()  # the standard normal (scipy.stats would add 0.8 s to every process's start)
POWER = 0.80
TEST = ("two-sided z-test on the difference of rates, per-user delta-method variance "
        "(Bonferroni-corrected for more than one treatment)")


@dataclass(frozen=True)
class UserCounts:
    """One user's distinct items shown, and how many of those they then acted on, per outcome."""

    shown: int
    acted: Mapping[str, int]  # outcome type (or "any", a pair acted on at all) -> items


@dataclass(frozen=True)
class Rate:
    value: float
    low: float  # 95% confidence interval
    high: float
    per_user_variance: float  # of the linearized ratio: what the sample size needs


@dataclass(frozen=True)
class GroupResult:
    """A variant's (or any group of users') items shown, acted on, and rates."""

    name: str
    users: int
    shown: int
    acted: dict[str, int]  # outcome (or "any") -> pairs acted on
    rates: dict[str, Rate]


@dataclass(frozen=True)
class Comparison:
    variant: str
    difference: float  # rate minus the control's
    relative_lift: float | None  # difference / control rate (None when the control's is 0)
    p_value: float
    significant: bool


@dataclass(frozen=True)
class Report:
    experiment: str
    metric: str
    variants: tuple[GroupResult, ...]
    comparisons: tuple[Comparison, ...]
    alpha: float  # per comparison, after the correction
    minimum_detectable_effect: float
    needed_users_per_variant: int | None  # None: no control data to estimate it from
    test: str = TEST

    @property
    def enough_users(self) -> bool:
        needed = self.needed_users_per_variant
        return needed is not None and min(v.users for v in self.variants) >= needed

    def describe(self) -> str:
        """The report as text, for the terminal (the CLI gets a report from the engine and
        shows it without importing this module)."""
        lines = [f"Experiment {self.experiment}: decided on the {self.metric!r} rate "
                 "(items acted on after being shown / items shown)", ""]
        outcomes = list(self.variants[0].rates)
        lines.append(f"{'variant':<16}{'users':>7}{'shown':>8}  " + "  ".join(f"{o:>24}" for o in outcomes))
        for variant in self.variants:
            cells = [f"{r.value:6.2%} [{r.low:6.2%}, {r.high:6.2%}]" for r in variant.rates.values()]
            lines.append(f"{variant.name:<16}{variant.users:>7}{variant.shown:>8}  " + "  ".join(f"{c:>24}" for c in cells))
        lines += ["", f"Test: {self.test}; alpha {self.alpha:.3g} per comparison."]
        control = self.variants[0].name
        for c in self.comparisons:
            lift = f" ({c.relative_lift:+.1%} relative)" if c.relative_lift is not None else ""
            verdict = "a real difference" if c.significant else "no difference shown"
            lines.append(f"{c.variant} vs {control}: {c.difference:+.2%}{lift}, p = {c.p_value:.3g}: {verdict}")
        needed = self.needed_users_per_variant
        fewest = min(v.users for v in self.variants)
        effect = f"a {self.minimum_detectable_effect:.0%} relative change"
        if needed is None:
            lines.append(f"Sample size: the control has no outcomes yet; cannot tell how many users {effect} needs.")
        else:
            lines.append(f"Sample size: {needed} users per variant find {effect} with {POWER:.0%} power; "
                         f"the smallest variant has {fewest}: " + ("enough." if self.enough_users else "NOT enough yet."))
        return "\n".join(lines)


def tally(events: Iterable[tuple[str, str, str, datetime]], outcomes: Iterable[EventType] = OUTCOMES,
          group: Callable[[str, datetime], str] | None = None) -> dict[Any, UserCounts]:
    """Per user, from (sender, item, type, time) events oldest first: the distinct items shown
    (impressions) and, per outcome type and for any of them, how many of those items the user
    acted on after first seeing them. Acting on an item never shown (found by search, say) is
    no outcome of the ranking. With ``group`` (of the user and the first impression's time, such
    as its day) the keys are (group, user): a user's items are counted in the group of each."""
    outcomes = {str(kind) for kind in outcomes}
    first_shown: dict[tuple[str, str], datetime] = {}
    acted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sender, item, kind, at in events:
        pair = (sender, item)
        if kind == EventType.IMPRESSION:
            first_shown.setdefault(pair, at)
        elif kind in outcomes and pair in first_shown:
            acted[pair].add(str(kind))
    shown: dict[Any, int] = defaultdict(int)
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys([*outcomes, ANY_OUTCOME], 0))
    for (sender, item), at in first_shown.items():
        key = sender if group is None else (group(sender, at), sender)
        shown[key] += 1
        kinds = acted.get((sender, item))
        for kind in (*kinds, ANY_OUTCOME) if kinds else ():
            counts[key][kind] += 1
    return {key: UserCounts(n, counts[key]) for key, n in shown.items()}


def summarize(name: str, users: list[UserCounts], outcomes: Iterable[str] = RATES) -> GroupResult:
    """A group's totals and rates (with 95% intervals) from its users' counts."""
    shown = np.array([u.shown for u in users], dtype=np.float64)
    acted = {o: np.array([u.acted.get(o, 0) for u in users], dtype=np.float64) for o in outcomes}
    return GroupResult(name, len(users), int(shown.sum()), {o: int(v.sum()) for o, v in acted.items()},
                       {o: ratio_rate(v, shown) for o, v in acted.items()})


def ratio_rate(acted: np.ndarray, shown: np.ndarray) -> Rate:
    """sum(acted) / sum(shown) over users, with the delta method's 95% interval."""
    users = len(shown)
    if users == 0 or shown.sum() == 0:
        return Rate(0.0, 0.0, 0.0, 0.0)
    value = float(acted.sum() / shown.sum())
    linearized = (acted - value * shown) / shown.mean()
    variance = float(np.var(linearized, ddof=1)) if users > 1 else 0.0
    half = _NORMAL.inv_cdf(1 - ALPHA / 2) * math.sqrt(variance / users)
    return Rate(value, max(0.0, value - half), min(1.0, value + half), variance)


def compare(experiment: Experiment, counts: Mapping[str, UserCounts]) -> Report:
    """The report of an experiment from its users' counts (users are put in their variants here)."""
    members: dict[str, list[UserCounts]] = {variant.name: [] for variant in experiment.variants}
    for sender, user in counts.items():
        members[experiment.variant_of(sender).name].append(user)
    results = tuple(summarize(name, users) for name, users in members.items())
    control, treatments = results[0], results[1:]
    alpha = ALPHA / max(1, len(treatments))
    comparisons = tuple(_compare(control, treatment, experiment.metric, alpha) for treatment in treatments)
    return Report(experiment.name, experiment.metric, results, comparisons, alpha,
                  experiment.minimum_detectable_effect,
                  _needed_users(control.rates[experiment.metric], experiment.minimum_detectable_effect, alpha))


def _compare(control: GroupResult, treatment: GroupResult, metric: str, alpha: float) -> Comparison:
    before, after = control.rates[metric], treatment.rates[metric]
    difference = after.value - before.value
    error = math.sqrt(before.per_user_variance / max(control.users, 1) + after.per_user_variance / max(treatment.users, 1))
    p_value = math.erfc(abs(difference) / error / math.sqrt(2)) if error > 0 else 1.0  # two-sided
    return Comparison(treatment.name, difference, difference / before.value if before.value else None,
                      p_value, p_value < alpha)


def _needed_users(control: Rate, effect: float, alpha: float) -> int | None:
    """Users per variant for the z-test to find a relative change of ``effect`` in the control's
    rate with POWER, assuming the treatment's per-user variance is the control's."""
    shift = effect * control.value
    if shift <= 0 or control.per_user_variance <= 0:
        return None
    z = _NORMAL.inv_cdf(1 - alpha / 2) + _NORMAL.inv_cdf(POWER)
    return math.ceil(2 * control.per_user_variance * (z / shift) ** 2)

