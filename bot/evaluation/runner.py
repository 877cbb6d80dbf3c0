"""Running rankers through the protocol: evaluate one phase, tune on validation, run all.

A model is given as ``(name, factory, grid)``: ``factory(params)`` returns a fresh
:class:`bot.ranking.Ranker`, and ``grid`` is the list of parameter dicts to try. Each
setting is fitted on the validation phase's log and scored by NDCG@10 on the
validation items; the best (ties: first in the grid) is refitted on the test phase's
log and evaluated with full histories and in the cold-start variant.

Beyond accuracy, every run reports popularity bias (long-tail share), category exposure
against the catalog and the train interactions, quality per user group (train history
length) and, for models given a sweep, what a control such as diversity trades.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from bot.evaluation import metrics
from bot.evaluation.split import Split
from bot.hybrid import DEFAULTS, FIT_PARAMS, HybridRanker
from bot.ranking import Ranker

PROTOCOL = "movietweetings-100k-leave-last-out"
SEED = 42
BATCH_SIZE = 256
TOP_K = 10
SUMMARY_KEYS = ("hr@10", "ndcg@10", "coverage@10", "mean_pop_rank@10", "long_tail@10", "ild@10")
VARIANTS = {"full_history": "test", "cold_start": "cold_start"}
VALIDATION_PHASES = {"full_history": "validation", "cold_start": "validation_cold_start"}  # tuning's view of each
USER_GROUP_BOUNDS = (5, 20)  # train history lengths: light (<= 5), medium (6-20), heavy (> 20)
# The engine's controls, each set to these values with the others as chosen: the beyond-accuracy
# ones and the segment prior for new users (the first row is the chosen setting, diversity off).
ENGINE_SWEEP: list[dict[str, float]] = [
    *({"diversity": weight} for weight in (0.0, 0.1, 0.3, 0.5)),
    *({"novelty": weight} for weight in (0.0, 0.5, 1.0, 2.0, 3.0)),
    *({"segment": weight} for weight in (0.1, 0.2, 0.4)),
]


@dataclass(frozen=True)
class CoordinateSearch:
    """A model's settings found by coordinate search on the validation items instead of a grid.

    From ``start``, each axis ``(parameter, values)`` in turn is set to each of its values with
    the others fixed, and the best setting so far is kept (only a strict improvement moves it);
    ``rounds`` passes over the axes, stopping early when a pass changes nothing. The objective
    is validation NDCG@10 with full histories, blended with the questionnaire's view of the same
    validation users by ``cold_start_share`` (one setting serves new and known users alike).
    A ranker with ``with_params`` is fitted once per value of the ``fit_params`` and re-weighted
    for the rest.

    Given coverage floors (per variant, the validation coverage@10 of the baseline with the best
    validation NDCG@10), a best setting that falls below one tries every combination of the
    ``coverage_axes``' values (``(parameter, values)`` pairs, each also keeping its value in the
    best setting) from there, the rest fixed (one axis at a time misses what two small steps buy
    together: less trend, more novelty and trusting a short history less). Of the settings that cost at most
    ``coverage_cost`` of the best objective, among them every setting the accuracy search tried on
    its way (a floor met two steps from the best cannot be reached one step at a time), one that
    meets the floors wins (the most accurate), else the one with the least shortfall, from which
    coordinate passes over every axis step wherever the shortfall shrinks within that cost, up to
    ``rounds`` passes (a step on one axis can open one on an axis the pass has gone by): accuracy is
    not bought with a narrower catalog, nor given away for coverage. (A coordinate search with the
    shortfall first walked off into settings that met the floors at a tenth of the accuracy.)
    Still short, every combination of the ``slot_axes`` (how the last places of each list are
    filled, which leaves the scores alone) is tried from there, and the same choice is made within
    a further ``slot_cost`` of the best objective.
    """

    start: dict[str, Any]
    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    rounds: int = 2
    cold_start_share: float = 0.5
    fit_params: tuple[str, ...] = ()
    coverage_axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    coverage_cost: float = 0.01
    slot_axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    slot_cost: float = 0.0

    def __len__(self) -> int:  # the progress bar's guess of the number of fits
        return 1 + sum(len(values) - 1 for _, values in self.axes)


# The engine's search: the weights of every component (the item-item part included) and the
# windows they read (trend half-life, how far back a history counts), per data set.
ENGINE_SEARCH = CoordinateSearch(
    start=dict(DEFAULTS),
    axes=(
        ("itemitem", (0.0, 0.5, 1.0, 2.0, 4.0)),
        ("trend", (0.0, 0.25, 0.5, 1.0)),
        ("cooccurrence", (0.0, 0.4, 0.84, 1.5)),
        ("content", (0.25, 0.5, 0.97, 1.5)),  # never 0: the live recommender weighs the rest against it
        ("category", (0.0, 0.1, 0.3)),
        ("era", (0.0, 0.09, 0.3)),
        ("trend_half_life_hours", (6.0, 24.0, 72.0, 720.0)),
        ("history_half_life_items", (1.0, 3.0, 10.0, 30.0)),
        ("history_shrinkage", (0.5, 1.0, 2.0, 4.0)),
        ("itemitem_half_life_items", (0.0, 3.0, 10.0)),
        ("itemitem_l2", (50.0, 200.0, 800.0)),
        ("sequence", (0.0, 0.5, 1.0, 2.0)),
        ("category_peers", (0.0, 0.5, 1.0, 2.0)),
        ("novelty", (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)),
    ),
    rounds=2,
    cold_start_share=0.5,
    fit_params=FIT_PARAMS,
    # X-Wines: the most accurate setting covers too little of the catalog for new users (0.72
    # against the floor 0.82 on validation); novelty alone barely moves that, less trend and less
    # shrinkage of short histories do, together (docs/evaluation-xwines-slim/evaluation.md)
    coverage_axes=(("novelty", (2.0, 3.0, 4.0, 5.0, 6.0)), ("trend", (0.5, 0.75, 1.0)),
                   ("history_shrinkage", (1.0, 2.0, 4.0))),
    # what is left (X-Wines: 0.75 against 0.82 after all that) comes from the lists' last places:
    # two of ten from a ranking that weighs the trend a quarter reached 0.84 for 0.5% more (a study
    # on the validation items; the search's own run chose them: docs/evaluation-xwines-slim)
    slot_axes=(("taste_slots", (1.0, 2.0, 3.0)), ("slot_trend", (0.0, 0.25))),
    slot_cost=0.005,
)

Factory = Callable[[dict[str, Any]], Ranker]
ModelSpec = tuple[str, Factory, "Sequence[dict[str, Any]] | CoordinateSearch"]


@dataclass
class Result:
    """One model on one phase: per-user ranks, the metrics and the HR/NDCG curves."""

    name: str
    phase: str
    ranks: np.ndarray  # 1-based rank of the held-out item per test user
    top: np.ndarray  # (users, 10) recommended item rows, best first
    metrics: dict[str, float]  # hr@K, ndcg@K for K = 1..max(k_max, 10) and the other SUMMARY_KEYS
    curves: dict[str, np.ndarray] = field(default_factory=dict)  # "hr", "ndcg": K = 1..k_max

    def summary(self) -> dict[str, float]:
        return {key: round(self.metrics[key], 6) for key in SUMMARY_KEYS}


def params_key(params: dict[str, Any]) -> str:
    """A readable, stable name of a parameter setting: ``factors=32, regularization=0.01``."""
    if not params:
        return "default"
    return ", ".join(f"{key}={value}" for key, value in params.items())


def fit(ranker: Ranker, split: Split, phase: str, seed: int = SEED) -> Ranker:
    """Fit ``ranker`` on the log of ``phase`` (the global NumPy seed is set first)."""
    np.random.seed(seed)
    fitted = ranker.fit(split.phase(phase).log)
    return ranker if fitted is None else fitted


def evaluate(
    ranker: Ranker,
    split: Split,
    phase: str,
    k_max: int = metrics.K_MAX,
    *,
    fit_first: bool = True,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    name: str | None = None,
    ranking_only: bool = False,
) -> Result:
    """Rank every test user's held-out item in ``phase`` and compute the metrics.

    The ranker is fitted on the phase's log first unless ``fit_first`` is false (the
    cold-start phase shares the test phase's log, so one fit serves both). Users are
    scored ``batch_size`` at a time; their history items are excluded from the
    candidates. Popularity ranks for ``mean_pop_rank@10`` and the short head for
    ``long_tail@10`` come from the fitted log; ``ild@10`` compares the items' categories.
    With ``ranking_only`` only HR@K, NDCG@K and coverage@10 are computed (what tuning needs).
    """
    data = split.phase(phase)
    if fit_first:
        ranker = fit(ranker, split, phase)
    n_items = split.n_items
    ranks = np.empty(len(data), dtype=np.float64)
    top = np.empty((len(data), TOP_K), dtype=np.int64)
    label = name or getattr(ranker, "name", "ranker")
    starts = range(0, len(data), batch_size)
    for start in tqdm(starts, desc=f"{label} {phase}", unit="batch", leave=False, disable=not progress):
        stop = min(start + batch_size, len(data))
        scores = np.asarray(ranker.score(data.histories[start:stop], data.now[start:stop]))
        if scores.shape != (stop - start, n_items):
            raise ValueError(
                f"{label}.score returned shape {scores.shape}, expected {(stop - start, n_items)}"
            )
        excluded = [data.excluded(k) for k in range(start, stop)]
        ranks[start:stop] = metrics.ranks_from_scores(scores, data.targets[start:stop], excluded, batch_size)
        top[start:stop] = metrics.top_k(scores, TOP_K, excluded)
    hr = metrics.hit_rate_curve(ranks, max(k_max, TOP_K))
    nd = metrics.ndcg_curve(ranks, max(k_max, TOP_K))
    values: dict[str, float] = {}
    for k in range(1, max(k_max, TOP_K) + 1):
        values[f"hr@{k}"] = float(hr[k - 1])
        values[f"ndcg@{k}"] = float(nd[k - 1])
    values["coverage@10"] = metrics.coverage(top, n_items)
    if ranking_only:
        return Result(label, phase, ranks, top[:0], values, {"hr": hr[:k_max], "ndcg": nd[:k_max]})
    counts = np.bincount(data.log.items, minlength=n_items)
    values["mean_pop_rank@10"] = metrics.mean_popularity_rank(top, metrics.popularity_ranks(counts))
    values["long_tail@10"] = metrics.long_tail_share(top, metrics.short_head(counts))
    values["ild@10"] = metrics.intra_list_diversity(top, split.item_categories)
    return Result(label, phase, ranks, top, values, {"hr": hr[:k_max], "ndcg": nd[:k_max]})


def tune(
    name: str,
    factory: Factory,
    grid: Sequence[dict[str, Any]],
    split: Split,
    *,
    progress: bool = False,
    on_result: Callable[[str, float], None] | None = None,
    floors: dict[str, float] | None = None,
) -> tuple[dict[str, Any], dict[str, float]]:
    """Try every setting on the validation phase; the best by NDCG@10 (ties: first) wins.

    Returns ``(best_params, {params_key: validation NDCG@10})``; ``on_result(key, value)``
    is called after each setting (for progress reports). ``floors`` bind a coordinate search only.
    """
    if isinstance(grid, CoordinateSearch):
        return coordinate_search(name, factory, grid, split, progress=progress, on_result=on_result, floors=floors)
    grid = list(grid) or [{}]
    scores: dict[str, float] = {}
    best: dict[str, Any] | None = None
    best_value = -np.inf
    for params in grid:
        result = evaluate(factory(dict(params)), split, "validation", k_max=TOP_K, progress=progress, name=name,
                          ranking_only=True)
        value = result.metrics["ndcg@10"]
        scores[params_key(params)] = round(value, 6)
        if on_result is not None:
            on_result(params_key(params), value)
        if value > best_value:
            best, best_value = dict(params), value
    return best, scores


def coordinate_search(
    name: str,
    factory: Factory,
    search: CoordinateSearch,
    split: Split,
    *,
    progress: bool = False,
    on_result: Callable[[str, float], None] | None = None,
    floors: dict[str, float] | None = None,
) -> tuple[dict[str, Any], dict[str, float]]:
    """Tune by :class:`CoordinateSearch` on the validation items; ``(best, {key: objective})``
    like :func:`tune`, every setting tried in the order tried (the start first). ``floors``
    (variant: validation coverage@10) bind it as :class:`CoordinateSearch` says."""
    scores: dict[str, float] = {}
    coverages: dict[str, dict[str, float]] = {}
    tried: dict[str, dict[str, Any]] = {}
    fitted: dict[tuple, Ranker] = {}

    def objective(params: dict[str, Any]) -> float:
        key = params_key(params)
        if key not in scores:
            tried[key] = dict(params)
            fit_key = tuple((p, params.get(p)) for p in search.fit_params)
            if fit_key in fitted:
                ranker = fitted[fit_key].with_params(**params)
            else:
                ranker = fit(factory(dict(params)), split, "validation")
                if hasattr(ranker, "with_params"):  # re-weighted for the other settings of this fit
                    fitted[fit_key] = ranker
            results = {variant: evaluate(ranker, split, phase, TOP_K, fit_first=False, progress=progress,
                                         name=name, ranking_only=True).metrics
                       for variant, phase in _tuning_phases(search, split).items()}
            value = results["full_history"]["ndcg@10"]
            if "cold_start" in results:
                value = (1 - search.cold_start_share) * value + search.cold_start_share * results["cold_start"]["ndcg@10"]
            scores[key] = round(value, 6)
            coverages[key] = {variant: result["coverage@10"] for variant, result in results.items()}
            if on_result is not None:
                on_result(key, value)
        return scores[key]

    def shortfall(params: dict[str, Any]) -> float:
        """How far the setting's validation coverage@10 falls below the floors, summed over variants."""
        objective(params)
        coverage = coverages[params_key(params)]
        return round(sum(max(0.0, floor - coverage.get(variant, floor)) for variant, floor in (floors or {}).items()), 9)

    def cover(best: dict[str, Any], coverage_axes: Sequence[tuple[str, tuple[Any, ...]]],
              affordable: float) -> dict[str, Any]:
        """Every combination of the axes' values from ``best``; of all settings tried that are
        affordable, one that meets the floors (the most accurate), else the least shortfall."""
        names = [name for name, _ in coverage_axes]
        grid = [dict.fromkeys((best[name], *values)) for name, values in coverage_axes]
        for point in itertools.product(*grid):
            objective({**best, **dict(zip(names, point))})
        return max((params for params in list(tried.values()) if objective(params) >= affordable),
                   key=lambda params: (-shortfall(params), objective(params)))

    best = _sweep(dict(search.start), search.axes, search.rounds, objective)
    if shortfall(best) > 0:
        most_accurate = objective(best)
        affordable = most_accurate * (1.0 - search.coverage_cost)
        best = cover(best, search.coverage_axes, affordable)
        best = _walk_to_cover(best, search.axes, search.rounds, affordable, objective, shortfall)
        if shortfall(best) > 0 and search.slot_axes:
            best = cover(best, search.slot_axes, most_accurate * (1.0 - search.coverage_cost - search.slot_cost))
    return best, scores


def _walk_to_cover(
    best: dict[str, Any], axes: Sequence[tuple[str, tuple[Any, ...]]], rounds: int, affordable: float,
    objective: Callable[[dict[str, Any]], float], shortfall: Callable[[dict[str, Any]], float],
) -> dict[str, Any]:
    """Coordinate passes from ``best`` over every axis while it still falls short of the floors:
    a step is taken if the setting stays affordable and falls less short (as short: more accurate).
    What the coverage axes cannot reach alone, a part that narrows the lists (one the accuracy search
    turned up) may give back: the passes may move any weight, never below the affordable accuracy.
    They stop after ``rounds`` passes, after a pass without a step, or after the pass that met the floors."""
    def rank(params: dict[str, Any]) -> tuple[float, float]:
        return shortfall(params), -objective(params)

    for _ in range(rounds):
        if shortfall(best) <= 0:
            break
        start = best
        for parameter, values in axes:
            for value in values:
                candidate = {**best, parameter: value}
                if objective(candidate) >= affordable and rank(candidate) < rank(best):
                    best = candidate
        if best == start:
            break
    return best


def _tuning_phases(search: CoordinateSearch, split: Split) -> dict[str, str]:
    """The validation phase of each variant the search's objective reads."""
    cold = search.cold_start_share > 0 and split.validation_cold_start is not None
    return {variant: phase for variant, phase in VALIDATION_PHASES.items() if cold or variant == "full_history"}


def _sweep(
    best: dict[str, Any], axes: Sequence[tuple[str, tuple[Any, ...]]], rounds: int,
    objective: Callable[[dict[str, Any]], float],
) -> dict[str, Any]:
    """Coordinate passes from ``best``: each axis's values in turn, the others fixed; only a strict
    improvement of ``objective`` moves it; stops early after a pass without."""
    best_value = objective(best)
    for _ in range(rounds):
        moved = False
        for parameter, values in axes:
            for value in values:
                candidate = {**best, parameter: value}
                score = objective(candidate)
                if score > best_value + 1e-9:
                    best, best_value, moved = candidate, score, True
        if not moved:
            break
    return best


def sweep(
    name: str,
    factory: Factory,
    params: dict[str, Any],
    overrides: Sequence[dict[str, Any]],
    split: Split,
    *,
    progress: bool = False,
    on_result: Callable[[str, float], None] | None = None,
) -> list[dict[str, Any]]:
    """The chosen ``params`` with each override, fitted and scored on the test phase with full
    histories and in the cold-start variant.

    Shows what a control trades (accuracy for coverage, long tail, diversity); it never
    chooses a setting (the validation grid does), so scoring it on test items is fair.
    Rows are ``{"setting", "params", **summary, "cold_start": summary}``, ``params`` being every
    swept control's value in that row; ``on_result(setting, ndcg@10)`` follows each.
    """
    controls = list(dict.fromkeys(key for override in overrides for key in override))
    rows = []
    for override in overrides:
        setting = {**params, **override}
        shown = {control: setting.get(control) for control in controls}
        ranker = fit(factory(setting), split, "test")
        result = evaluate(ranker, split, "test", TOP_K, fit_first=False, progress=progress, name=name)
        cold = evaluate(ranker, split, "cold_start", TOP_K, fit_first=False, progress=progress, name=name)
        rows.append({"setting": params_key(shown), "params": shown, **result.summary(),
                     "cold_start": cold.summary()})
        if on_result is not None:
            on_result(params_key(shown), result.metrics["ndcg@10"])
    return rows


def user_groups(split: Split) -> np.ndarray:
    """Each test user's group (into ``group_labels(USER_GROUP_BOUNDS)``) by train history length.

    The length is that of the test phase's history, so the cold-start variant is grouped
    by how active the user really was, not by the 2 titles it sees.
    """
    lengths = np.array([len(history.items) for history in split.test.histories])
    return metrics.history_groups(lengths, USER_GROUP_BOUNDS)


def _train_counts(split: Split) -> np.ndarray:
    """Interactions per item in the test phase's fitted log: the train data of the report."""
    return np.bincount(split.test.log.items, minlength=split.n_items)


def long_tail_definition(split: Split) -> dict[str, Any]:
    """The short head of the test phase's fitted log, in numbers the report can state."""
    counts = _train_counts(split)
    head = metrics.short_head(counts)
    return {
        "head_share": metrics.HEAD_SHARE,
        "items": int(split.n_items),
        "head_items": int(head.sum()),
        "head_min_interactions": int(counts[head].min()) if head.any() else 0,
        "head_interaction_share": round(float(counts[head].sum() / max(counts.sum(), 1)), 6),
    }


def category_reference(split: Split) -> dict[str, dict[str, float]]:
    """Category shares of the catalog (supply) and of the test phase's fitted log (demand)."""
    return {
        "catalog": _rounded(metrics.category_shares(np.ones(split.n_items), split.item_categories)),
        "train": _rounded(metrics.category_shares(_train_counts(split), split.item_categories)),
    }


def run_protocol(
    models: Sequence[ModelSpec],
    split: Split,
    progress: bool = True,
    *,
    k_max: int = metrics.K_MAX,
    protocol: str = PROTOCOL,
    sweeps: dict[str, Sequence[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Tune, fit and evaluate every model; the result has the structure of ``evaluation.json``.

    ``sweeps`` maps a model name to parameter overrides of its chosen setting, each scored
    by :func:`sweep` (names of models not run are ignored). Besides the JSON keys the
    result carries ``"curves"``: ``{variant: {model: {"hr": [...], "ndcg": [...]}}}`` for
    K = 1..k_max, used for the plots and not written to the JSON, and ``"baseline_validation"``:
    each baseline's chosen setting on the validation items, whose coverage binds the engine's search.
    """
    started = time.perf_counter()
    sweeps = sweeps or {}
    names = [name for name, _, _ in models]
    if len(set(names)) != len(names):
        raise ValueError("model names must be unique")
    groups = (user_groups(split), metrics.group_labels(USER_GROUP_BOUNDS))
    out = _empty_results(split, protocol)
    steps = sum(_settings_to_try(grid) + 1 + len(sweeps.get(name, ())) for name, _, grid in models)
    with tqdm(total=steps, desc="evaluation", unit="fit", disable=not progress) as bar:
        for spec in models:
            floors = coverage_floors(out["baseline_validation"])
            _run_model(out, spec, split, bar, groups, k_max=k_max, sweeps=sweeps, progress=progress, floors=floors)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def _settings_to_try(grid: Sequence[dict[str, Any]] | CoordinateSearch) -> int:
    """How many validation fits a grid takes (a coordinate search: about how many)."""
    return len(grid) if isinstance(grid, CoordinateSearch) else len(list(grid) or [{}])


def _empty_results(split: Split, protocol: str) -> dict[str, Any]:
    """The result skeleton in ``evaluation.json`` key order, with what needs no model filled in."""
    return {
        "protocol": protocol,
        "test_users": int(len(split.test_users)),
        "full_history": {},
        "cold_start": {},
        "long_tail": long_tail_definition(split),
        "user_groups": {variant: {} for variant in VARIANTS},
        "category_exposure": {**category_reference(split), **{variant: {} for variant in VARIANTS}},
        "sweep": {},
        "settings": {},
        "validation": {},
        "tuning": {},
        "seconds": 0.0,
        "curves": {variant: {} for variant in VARIANTS},
        "baseline_validation": {},
    }


def _progress_step(bar: tqdm, name: str) -> Callable[[str, float], None]:
    """The ``on_result`` of one model's fits: shows the last score on ``bar`` and advances it."""

    def done(key: str, value: float) -> None:
        bar.set_postfix_str(f"{name} {key}: ndcg@10 {value:.4f}")
        bar.update(1)

    return done


def _run_model(
    out: dict[str, Any],
    spec: ModelSpec,
    split: Split,
    bar: tqdm,
    groups: tuple[np.ndarray, list[str]],
    *,
    k_max: int,
    sweeps: dict[str, Sequence[dict[str, Any]]],
    progress: bool,
    floors: dict[str, float],
) -> None:
    """Tune one model, score its best setting in both variants and sweep it, into ``out``.

    One fit per grid setting, the test fit and one per sweep override: each is a step of ``bar``.
    A coordinate search is held to the coverage ``floors``; a grid's best setting is scored on
    the validation items of both variants, for the floors of the models after it.
    """
    name, factory, grid = spec
    done = _progress_step(bar, name)
    bar.set_postfix_str(f"{name}: tuning")
    best, validation = tune(name, factory, grid, split, progress=progress, on_result=done, floors=floors)
    if not isinstance(grid, CoordinateSearch):
        out["baseline_validation"][name] = validation_summary(fit(factory(dict(best)), split, "validation"), split)
    bar.set_postfix_str(f"{name}: test")
    ranker = fit(factory(dict(best)), split, "test")
    for variant, phase in VARIANTS.items():
        result = evaluate(ranker, split, phase, k_max, fit_first=False, progress=progress, name=name)
        _record_variant(out, variant, name, result, groups, split)
    out["settings"][name] = {**_jsonable(ranker.settings()), **_jsonable(best)}
    out["validation"][name] = validation
    if isinstance(grid, CoordinateSearch):
        start = params_key(grid.start)
        out["tuning"][name] = {
            "method": f"coordinate search, {len(validation)} settings",
            "objective": f"validation NDCG@10, full history {1 - grid.cold_start_share:g} + "
                         f"cold start {grid.cold_start_share:g}",
            "start": _jsonable(grid.start), "start_validation": validation[start],
            "chosen": _jsonable(best), "chosen_validation": validation[params_key(best)],
            "coverage_floors": _rounded(floors),
        }
    bar.update(1)
    if name in sweeps:
        out["sweep"][name] = sweep(name, factory, best, sweeps[name], split, progress=progress, on_result=done)


def validation_summary(ranker: Ranker, split: Split) -> dict[str, dict[str, float]]:
    """A fitted ranker's NDCG@10 and coverage@10 on the validation items, per variant."""
    summary = {}
    for variant, phase in VALIDATION_PHASES.items():
        if split.phase(phase) is not None:
            result = evaluate(ranker, split, phase, TOP_K, fit_first=False, ranking_only=True)
            summary[variant] = {key: round(result.metrics[key], 6) for key in ("ndcg@10", "coverage@10")}
    return summary


def coverage_floors(summaries: dict[str, dict[str, dict[str, float]]]) -> dict[str, float]:
    """Per variant, the validation coverage@10 of the baseline with the best validation NDCG@10
    (first on ties): the engine must not beat it by recommending from a narrower catalog."""
    floors = {}
    for variant in VALIDATION_PHASES:
        rows = [summary[variant] for summary in summaries.values() if variant in summary]
        if rows:
            floors[variant] = max(rows, key=lambda row: row["ndcg@10"])["coverage@10"]
    return floors


def _record_variant(
    out: dict[str, Any], variant: str, name: str, result: Result,
    groups: tuple[np.ndarray, list[str]], split: Split,
) -> None:
    """One model's result in one variant, under every key of ``out`` that has a per-variant part."""
    users, labels = groups
    out[variant][name] = result.summary()
    out["user_groups"][variant][name] = _rounded(metrics.quality_by_group(result.ranks, users, labels))
    out["category_exposure"][variant][name] = _rounded(metrics.category_exposure(result.top, split.item_categories))
    out["curves"][variant][name] = {"hr": result.curves["hr"].tolist(), "ndcg": result.curves["ndcg"].tolist()}


def _rounded(tree: Any) -> Any:
    """Floats rounded to 6 digits at any depth of nested dicts (a readable JSON)."""
    if isinstance(tree, dict):
        return {key: _rounded(value) for key, value in tree.items()}
    return round(tree, 6) if isinstance(tree, float) else tree


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON values (NumPy scalars to Python, anything else to text)."""
    clean: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if isinstance(value, np.generic):
            value = value.item()
        if not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        clean[str(key)] = value
    return clean


def engine_model(items: Sequence[Any], encoder: Any, progress: bool = False) -> ModelSpec:
    """The engine's spec: ``("engine", HybridRanker factory, ENGINE_SEARCH)``.

    ``items`` are :class:`bot.evaluation.data.EvalItem` rows aligned with the log's item
    ids; their texts are embedded with ``encoder`` (cached on disk).
    """
    vectors = encoder.encode([item.text for item in items], progress=progress)
    categories = [tuple(item.categories) for item in items]
    years = [item.year for item in items]

    def factory(params: dict[str, Any]) -> Ranker:
        return HybridRanker(vectors, categories, years, **params)

    return ("engine", factory, ENGINE_SEARCH)
