"""What `bot eval` and `bot experiments simulate` run: load the data, run the protocol or the
replay, write the reports. The CLI only parses options and prints what these return, so the
same runs can be started from a script or a test without the command line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalog_files import CatalogError, ColumnMapping
from bot.config import PROJECT_ROOT, Settings
from bot.encoder import Encoder
from bot.evaluation.baselines import BASELINES, baseline_models
from bot.evaluation.charts import write_chart
from bot.evaluation.data import (
    EvalItem,
    InteractionDataError,
    RatedInteractionLog,
    is_xwines,
    load_catalog_items,
    load_interactions,
    load_movietweetings,
    load_xwines,
)
from bot.evaluation.replay import describe_simulation, simulate
from bot.evaluation.report import results_table, write_report
from bot.evaluation.runner import (
    ENGINE_SEARCH,
    ENGINE_SWEEP,
    PROTOCOL,
    ModelSpec,
    coordinate_search,
    engine_model,
    params_key,
    run_protocol,
)
from bot.evaluation.split import make_split

MODELS = (*BASELINES, "engine")
MOVIETWEETINGS = "movietweetings-100k"  # the protocol's snapshot, in the shared data folder
Say = Callable[[str], None]  # where progress lines go (the CLI's echo)


class EvaluationError(ValueError):
    """The evaluation cannot run: unknown models, half a data set, unreadable or too little data."""


@dataclass(frozen=True)
class DataSource:
    """The interactions to evaluate on: MovieTweetings (``movietweetings``, by default the shared
    data's snapshot) or another data set, whose ``interactions`` and ``catalog`` go together."""

    movietweetings: Path | None = None
    interactions: Path | None = None
    catalog: Path | None = None
    catalog_mapping: Path | None = None  # YAML column mapping of that catalog
    user: str = "user"  # the interaction log's columns
    item: str = "item"
    time: str = "time"
    rating: str | None = None
    fmt: str | None = None  # csv or jsonl; by default from the file's suffix


@dataclass(frozen=True)
class Evaluation:
    results: dict[str, Any]  # as written to evaluation.json
    written: list[Path]

    def summary(self) -> str:
        """Both variants' tables, the time taken and the files written, for the terminal."""
        lines = []
        for variant in ("full_history", "cold_start"):
            lines += [f"\n{variant} ({self.results['test_users']:,} test users)",
                      results_table(self.results, variant, bold=False)]
        lines.append(f"\n{self.results['seconds']:.0f} s; wrote " + ", ".join(str(path) for path in self.written))
        return "\n".join(lines)


def run(settings: Settings, models: str, source: DataSource, out: Path | None = None,
        say: Say = print) -> Evaluation:
    """The offline evaluation protocol on ``source`` for the comma-separated ``models``;
    writes evaluation.json, evaluation.md and the plots into ``out`` (default: docs/)."""
    started = time.perf_counter()
    names = [name.strip() for name in models.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODELS]
    if unknown or not names:
        problem = f"unknown model {unknown[0]!r}" if unknown else "no models given"
        raise EvaluationError(f"{problem}; known: {', '.join(MODELS)}")
    if (source.interactions is None) != (source.catalog is None):
        raise EvaluationError("--interactions and --catalog go together (another data set needs both)")
    log, items, protocol, label = _load(settings, source, say)
    say(f"{label}: {len(log):,} interactions, {log.n_users:,} users, {log.n_items:,} items")
    split = make_split(log, [item.categories for item in items])
    say(f"{len(split.test_users):,} test users (at least 5 interactions)")
    if not len(split.test_users):
        raise EvaluationError("no user has at least 5 interactions")
    specs = _models(settings, names, items, say)
    results = run_protocol(specs, split, progress=True, protocol=protocol, sweeps={"engine": ENGINE_SWEEP})
    results["seconds"] = round(time.perf_counter() - started, 1)
    return Evaluation(results, write_report(results, out or PROJECT_ROOT / "docs", data_label=label))


def _load(settings: Settings, source: DataSource,
          say: Say) -> tuple[RatedInteractionLog, list[EvalItem], str, str]:
    """The interaction log, its items, the protocol's name and the data's label."""
    try:
        if source.interactions is not None:
            mapping = ColumnMapping.from_yaml(source.catalog_mapping) if source.catalog_mapping else None
            items = load_catalog_items(source.catalog, mapping)
            log = load_interactions(
                source.interactions, [item.id for item in items], user=source.user, item=source.item,
                time=source.time, rating=source.rating, fmt=source.fmt, report=say,
            )
            return (log, items, f"{source.interactions.stem}-leave-last-out",
                    f"{source.interactions.name} + {source.catalog.name}")
        directory = source.movietweetings or settings.shared_data_dir / MOVIETWEETINGS
        if is_xwines(directory):  # the shared X-Wines Slim folder, read by the same protocol
            log, items = load_xwines(directory)
            return log, items, f"{directory.name}-leave-last-out", directory.name
        log, items = load_movietweetings(directory)
        return log, items, PROTOCOL, directory.name
    except (InteractionDataError, CatalogError) as error:
        raise EvaluationError(str(error)) from error


def _models(settings: Settings, names: list[str], items: list[EvalItem], say: Say) -> list[ModelSpec]:
    specs = baseline_models([name for name in names if name != "engine"])
    if "engine" in names:
        say(f"engine: embedding {len(items):,} item texts (cached in {settings.embedding_cache_path})")
        specs.append(engine_model(items, Encoder(settings.embedding_cache_path), progress=True))
    if not specs:
        raise EvaluationError("nothing to evaluate")
    return specs


@dataclass(frozen=True)
class Tuning:
    """What `bot tune` chose on the live event log, and where it keeps it."""

    events: int  # positive feedback events the split was made of
    test_users: int
    start: dict[str, float]  # the defaults the search started from
    chosen: dict[str, float]
    start_validation: float  # the search's objective (validation NDCG@10, full and cold start)
    chosen_validation: float
    settings_tried: int
    written: Path  # the chosen weights, read by `bot train-recs`
    trained_events: int  # the model refitted with them

    def summary(self) -> str:
        changed = {key: value for key, value in self.chosen.items() if self.start.get(key) != value}
        lines = [
            f"{self.events:,} feedback events, {self.test_users:,} users with at least 5: "
            f"{self.settings_tried} settings tried on their validation items",
            f"validation NDCG@10 (full history and cold start, blended): before {self.start_validation:.4f} "
            f"(defaults), after {self.chosen_validation:.4f}",
            "changed: " + (", ".join(f"{key} {self.start[key]} -> {value}" for key, value in changed.items())
                           or "nothing (the defaults are the best found)"),
            f"kept in {self.written}; the model was refitted with them on {self.trained_events:,} events",
        ]
        return "\n".join(lines)


def tune_live(settings: Settings, say: Say = print) -> Tuning:
    """Choose the hybrid model's weights on the live event log by the protocol of `bot eval`
    (every user with 5 or more positive feedback events gives a validation item; coordinate
    search from the defaults, ``runner.ENGINE_SEARCH``), keep them beside the trained model and
    refit it with them (`bot train-recs` uses them from then on)."""
    from bot import indexing, trained_model
    from bot.catalog_files import load_configured_catalog
    from bot.hybrid import DEFAULTS
    from bot.maintenance import OPERATOR_ERRORS
    from bot.store import Store
    from bot.vocabulary import StoreUnavailable

    try:
        catalog = load_configured_catalog(settings)
        index = indexing.load_or_build_index(settings, catalog, Encoder(settings.embedding_cache_path))
        store = Store(settings.database_url)
        full_log = trained_model.interaction_log(store, catalog)
    except (*OPERATOR_ERRORS, StoreUnavailable) as error:
        raise EvaluationError(str(error)) from error
    log = full_log.subset(full_log.weights > 0)  # a dislike is no item to hold out and find again
    split = make_split(log, [item.categories for item in catalog.items])
    if not len(split.test_users):
        raise EvaluationError(f"{len(log):,} positive feedback events, but no user has 5 or more yet: "
                              "nothing to tune on (the defaults stay)")
    say(f"{len(log):,} positive feedback events; {len(split.test_users):,} users with at least 5")

    def factory(params: dict[str, float]):
        return trained_model.new_ranker(catalog, index, **params)

    best, scores = coordinate_search("engine", factory, ENGINE_SEARCH, split,
                                     on_result=lambda key, value: say(f"  {value:.4f}  {key}"))
    written = trained_model.save_tuned(settings.model_path, best)
    _, events = trained_model.train(store, catalog, index, settings.model_path)
    return Tuning(len(log), len(split.test_users), dict(DEFAULTS), dict(best),
                  scores[params_key(ENGINE_SEARCH.start)], scores[params_key(best)], len(scores), written, events)


def simulate_experiments(settings: Settings, data: Path | None, days: int, aa_runs: int,
                         out: Path | None = None) -> tuple[str, list[Path]]:
    """Replay the last ``days`` of MovieTweetings through the engine under an A/B and an A/A
    experiment (bot/evaluation/replay.py); the results as text, and with ``out`` also as
    Markdown there with the A/B chart beside it (the files written)."""
    try:
        log, items = load_movietweetings(data or settings.shared_data_dir / MOVIETWEETINGS)
    except InteractionDataError as error:
        raise EvaluationError(str(error)) from error
    simulation = simulate(log, items, Encoder(settings.embedding_cache_path), days, aa_runs, progress=True)
    text = describe_simulation(simulation)
    if out is None:
        return text, []
    chart = write_chart(simulation.ab, out.with_suffix(".png"))
    out.write_text(f"# Experiment pipeline check: a MovieTweetings replay\n\nWritten by `bot experiments simulate "
                   f"--days {days} --aa-runs {aa_runs} --out {out}` (bot/evaluation/replay.py says how).\n\n"
                   f"```\n{text}\n```\n\n![A/B rates]({chart.name})\n")
    return text, [out, chart]
