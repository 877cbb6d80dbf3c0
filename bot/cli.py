"""`bot` command line: build the index, generate NLU lookups, inspect and manage users.

A thin face over :mod:`bot.engine`; heavy modules are imported inside commands
so that `bot --help` answers instantly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.config import ConfigError, Settings

app = typer.Typer(help="Personalization engine of the recommendation bot.", no_args_is_help=True)
index_app = typer.Typer(help="The FAISS item index.", no_args_is_help=True)
catalog_app = typer.Typer(help="The item catalog.", no_args_is_help=True)
nlu_app = typer.Typer(help="Rasa training data generated from the catalog.", no_args_is_help=True)
user_app = typer.Typer(help="One user's data.", no_args_is_help=True)
segments_app = typer.Typer(help="Groups of users with similar tastes.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(catalog_app, name="catalog")
app.add_typer(nlu_app, name="nlu")
app.add_typer(user_app, name="user")
app.add_typer(segments_app, name="segments")
experiments_app = typer.Typer(help="A/B experiments on the ranking (BOT_EXPERIMENTS).", no_args_is_help=True)
app.add_typer(experiments_app, name="experiments")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        _fail(str(error))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _catalog(path: Path | None = None, mapping: Path | None = None):
    """The configured catalog, or the file given on the command line."""
    from bot.catalog import CatalogError, ColumnMapping, load_catalog, load_configured_catalog

    try:
        if path is None:
            return load_configured_catalog(_settings())
        return load_catalog(path, ColumnMapping.from_yaml(mapping) if mapping else None)
    except CatalogError as error:
        _fail(str(error))


def _engine():
    from bot.catalog import CatalogError
    from bot.engine import Engine
    from bot.experiments import ExperimentError

    try:
        return Engine.from_settings(_settings())
    except (CatalogError, ExperimentError) as error:
        _fail(str(error))


@catalog_app.command("validate")
def catalog_validate(
    path: Annotated[Path | None, typer.Argument()] = None,
    mapping: Path | None = typer.Option(None, help="YAML column mapping for a foreign file."),
) -> None:
    """Check every row of a catalog; list each bad row with line and field."""
    catalog = _catalog(path, mapping)
    counts = catalog.category_counts()
    typer.echo(f"{catalog.path}: {len(catalog)} items, {len(counts)} categories, all rows valid")


@catalog_app.command("import")
def catalog_import(
    file: Path,
    mapping: Path | None = typer.Option(None, help="YAML column mapping for a foreign file."),
    strict: bool = typer.Option(False, help="Refuse the whole file if any row is bad."),
    out: Path | None = typer.Option(None, help="Where to write the catalog (default: var/catalogs/NAME.jsonl)."),
) -> None:
    """Import a CSV, JSON Lines or Parquet catalog: report bad rows, keep the good ones, embed."""
    from bot.catalog import CatalogError, ColumnMapping, read_catalog, write_catalog
    from bot.encoder import Encoder

    settings = _settings()
    try:
        items, problems = read_catalog(file, ColumnMapping.from_yaml(mapping) if mapping else None)
    except CatalogError as error:
        _fail(str(error))
    for problem in problems:
        typer.echo(f"rejected: {problem}", err=True)
    typer.echo(f"{file}: {len(items)} valid items, {len(problems)} rejected rows")
    if strict and problems:
        _fail(f"--strict: refusing the whole file because of {len(problems)} bad rows; nothing imported")
    if not items:
        _fail("no valid items to import")
    target = out or settings.state_dir / "catalogs" / f"{file.stem}.jsonl"
    write_catalog(items, target)
    encoder = Encoder(settings.embedding_cache_path)
    texts = [item.embedding_text for item in items]
    new = sum(encoder.cache.get(Encoder.cache_key(text)) is None for text in texts)
    encoder.encode(texts, progress=True)
    typer.echo(f"embedded {new} new or changed items ({len(items) - new} unchanged, from the cache)")
    typer.echo(f"wrote {target}; serve it with: BOT_CATALOG={target} make run")


@index_app.command("build")
def index_build(force: bool = typer.Option(False, help="Rebuild even if the catalog is unchanged.")) -> None:
    """Embed the catalog (only new or changed items) and write the FAISS index."""
    from bot.encoder import Encoder
    from bot.indexing import build_index, saved_index

    settings = _settings()
    catalog = _catalog(None)
    if not force and saved_index(settings, catalog) is not None:
        typer.echo(f"index is up to date with {catalog.path} ({len(catalog)} items) and the index settings")
        return
    index = build_index(catalog, Encoder(settings.embedding_cache_path), progress=True, index_settings=settings.index)
    index.save(settings.index_dir)
    typer.echo(f"indexed {len(index)} items from {catalog.path} into {settings.index_dir}")


@nlu_app.command("lookups")
def nlu_lookups(out: Path = typer.Option(..., help="YAML file to write (Rasa NLU data).")) -> None:
    """Write lookup tables of the catalog's categories and titles for Rasa training."""
    from bot.nlu import lookup_tables_yaml

    catalog = _catalog(None)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = lookup_tables_yaml(catalog)
    if out.exists() and out.read_text(encoding="utf-8") == text:
        typer.echo(f"{out} is up to date")
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("train-recs")
def train_recs() -> None:
    """Fit the hybrid model's collaborative and trend signals on all users' feedback."""
    from bot.encoder import Encoder
    from bot.indexing import load_or_build_index
    from bot.store import Store
    from bot.trained_model import train

    settings = _settings()
    catalog = _catalog(None)
    index = load_or_build_index(settings, catalog, Encoder(settings.embedding_cache_path))
    _, events = train(Store(settings.database_url), catalog, index, settings.signals_path)
    typer.echo(f"trained signals on {events} feedback events into {settings.signals_path}")


@app.command("recommend")
def recommend(
    sender_id: str,
    n: int = typer.Option(5, min=1, max=50),
    category: str | None = typer.Option(None, help="Only this category."),
) -> None:
    """Print recommendations for a user, with reasons."""
    engine = _engine()
    for rec in engine.recommend(sender_id, n=n, category=category, channel="cli"):
        typer.echo(f"{rec.score:6.3f}  {rec.item.label}  [{', '.join(rec.item.categories)}]  — {rec.reason}")


@user_app.command("show")
def user_show(sender_id: str) -> None:
    """What the bot remembers about a user."""
    summary = _engine().summary(sender_id)
    if not summary.known:
        _fail(f"no data stored for {sender_id!r}")
    typer.echo(json.dumps(summary.__dict__, indent=2, ensure_ascii=False))


@segments_app.command("build")
def segments_build(
    k: int = typer.Option(None, "--k", min=1, help="How many segments (default: about √(users / 2), 2 to 12)."),
) -> None:
    """Cluster consenting users' tastes (FAISS k-means) and save the segments beside the index."""
    from bot.segments import SegmentsUnavailable

    try:
        segments = _engine().build_segments(k)
    except SegmentsUnavailable as error:
        _fail(str(error))
    _print_segments(segments)


@segments_app.command("show")
def segments_show() -> None:
    """The segments as last built."""
    segments = _engine().segments
    if segments is None:
        _fail("no segments yet: run `bot segments build`")
    _print_segments(segments)


@experiments_app.command("list")
def experiments_list() -> None:
    """The experiments defined, with their variants and when they run."""
    from bot.vocabulary import utcnow

    engine = _engine()
    if not engine.experiments.experiments:
        _fail("no experiments: set BOT_EXPERIMENTS to a YAML file (see data/experiments.example.yml)")
    running = engine.experiments.running(utcnow())
    for experiment in engine.experiments.experiments:
        span = f"{_day(experiment.start, 'always')} to {_day(experiment.end, 'no end')}"
        state = " (running)" if experiment is running else ""
        variants = ", ".join(f"{v.name} ×{v.weight:g}" for v in experiment.variants)
        typer.echo(f"{experiment.name}{state}: {span}; decided on {experiment.metric!r}; variants {variants}")


@experiments_app.command("report")
def experiments_report(
    name: str = typer.Argument(..., help="The experiment's name."),
    chart: Path = typer.Option(None, "--chart", help="Also write the rates as a PNG chart here."),
) -> None:
    """Each variant's rates with 95% confidence intervals, the test, and whether there are enough users."""
    from bot.evaluation.abtest import describe, write_chart

    try:
        report = _engine().experiment_report(name)
    except KeyError as error:
        _fail(str(error.args[0]))
    typer.echo(describe(report))
    if chart is not None:
        typer.echo(f"chart: {write_chart(report, chart)}")


@experiments_app.command("simulate")
def experiments_simulate(
    days: int = typer.Option(30, min=1, help="Replay this many last days of the data."),
    aa_runs: int = typer.Option(1000, min=1, help="A/A runs (the A/A outcomes dealt out again)."),
    data: Path = typer.Option(None, help="The MovieTweetings folder (default: BOT_SHARED_DATA's)."),
    out: Path = typer.Option(None, help="Also write the results as Markdown here, the A/B chart beside it."),
) -> None:
    """Replay MovieTweetings through the engine under an A/B (popular vs personalized) and an
    A/A experiment: the pipeline must find the one difference and not the other."""
    from bot.encoder import Encoder
    from bot.evaluation.abtest import write_chart
    from bot.evaluation.data import InteractionDataError, load_movietweetings
    from bot.evaluation.replay import describe_simulation, simulate

    settings = _settings()
    try:
        log, items = load_movietweetings(data or settings.shared_data_dir / "movietweetings-100k")
    except InteractionDataError as error:
        _fail(str(error))
    simulation = simulate(log, items, Encoder(settings.embedding_cache_path), days, aa_runs, progress=True)
    text = describe_simulation(simulation)
    typer.echo(text)
    if out is not None:
        chart = write_chart(simulation.ab, out.with_suffix(".png"))
        out.write_text(f"# Experiment pipeline check: a MovieTweetings replay\n\nWritten by `bot experiments simulate "
                       f"--days {days} --aa-runs {aa_runs} --out {out}` (bot/evaluation/replay.py says how).\n\n"
                       f"```\n{text}\n```\n\n![A/B rates]({chart.name})\n")
        typer.echo(f"wrote {out} and {chart}")


def _day(moment, missing: str) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else missing


def _print_segments(segments) -> None:
    users = sum(segment.size for segment in segments.segments)
    typer.echo(f"{len(segments.segments)} segments of {users} users, built {segments.built_at:%Y-%m-%d %H:%M} UTC")
    for segment in segments.segments:
        typer.echo(f"{segment.number:>3}  {segment.size:>6} users  {', '.join(segment.top_categories) or '-'}")


@user_app.command("consent")
def user_consent(
    sender_id: str,
    granted: bool = typer.Option(..., "--grant/--withdraw", help="Record a yes, or withdraw (deletes learned tastes)."),
) -> None:
    """Record a user's consent decision, e.g. one given on another system."""
    _engine().set_consent(sender_id, granted, channel="cli")
    typer.echo(f"{sender_id}: consent {'granted' if granted else 'withdrawn; learned tastes and feedback deleted'}")


@user_app.command("export")
def user_export(sender_id: str) -> None:
    """Everything stored about a user, as JSON on standard output."""
    data = _engine().export(sender_id)
    if data is None:
        _fail(f"no data stored for {sender_id!r}")
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@user_app.command("erase")
def user_erase(sender_id: str, yes: bool = typer.Option(False, "--yes", help="Do not ask.")) -> None:
    """Delete everything about a user: engine rows and their conversation in Rasa's tracker store."""
    if not yes:
        typer.confirm(f"Erase all data of {sender_id!r}?", abort=True)
    erased = _engine().erase(sender_id)
    if not any(erased.values()):
        _fail(f"no data stored for {sender_id!r}")
    typer.echo(f"erased {sender_id}: the profile and {erased['conversation_events']} conversation events")


@app.command("purge")
def purge(
    older_than_days: int | None = typer.Option(
        None, "--older-than-days", min=1, help="Retention in days (default: BOT_RETENTION_DAYS, 365)."
    ),
) -> None:
    """Delete events and conversation turns older than the retention period (run it daily)."""
    purged = _engine().purge(older_than_days)
    typer.echo(", ".join(f"{count} {what.replace('_', ' ')}" for what, count in purged.items()) + " deleted")


@app.command("eval")
def eval_command(
    data: Path | None = typer.Option(
        None, "--data", help="MovieTweetings directory (default: BOT_SHARED_DATA/movietweetings-100k)."
    ),
    interactions: Path | None = typer.Option(
        None, "--interactions", help="Another data set: its interaction log (CSV or JSONL)."
    ),
    catalog: Path | None = typer.Option(
        None, "--catalog", help="Another data set: its item catalog (the bot's catalog format)."
    ),
    catalog_mapping: Path | None = typer.Option(
        None, "--catalog-mapping", help="YAML column mapping of that catalog (see data/catalog/README.md)."
    ),
    user_col: str = typer.Option("user", "--user-col", help="Interaction log column of the user id."),
    item_col: str = typer.Option("item", "--item-col", help="Interaction log column of the item id."),
    time_col: str = typer.Option(
        "time", "--time-col", help="Interaction log column of the time (Unix seconds or ISO 8601)."
    ),
    rating_col: str | None = typer.Option(
        None, "--rating-col", help="Interaction log column of the rating (for the cold-start picks)."
    ),
    log_format: str | None = typer.Option(
        None, "--format", help="csv or jsonl (default: from the file's suffix)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Report folder (default: docs/ of the project)."),
    models: str = typer.Option(
        "popularity,recent_popularity,itemknn,als,bpr,engine", "--models",
        help="Comma-separated models: popularity, recent_popularity, itemknn, als, bpr, engine.",
    ),
) -> None:
    """Run the offline evaluation protocol; write evaluation.json/.md and plots, print the table."""
    import time

    from bot.catalog import CatalogError, ColumnMapping
    from bot.config import PROJECT_ROOT
    from bot.encoder import Encoder
    from bot.evaluation.baselines import BASELINES, baseline_models
    from bot.evaluation.data import (
        InteractionDataError,
        load_catalog_items,
        load_interactions,
        load_movietweetings,
    )
    from bot.evaluation.report import results_table, write_report
    from bot.evaluation.runner import ENGINE_SWEEP, PROTOCOL, engine_model, run_protocol
    from bot.evaluation.split import make_split

    started = time.perf_counter()
    settings = _settings()
    names = [name.strip() for name in models.split(",") if name.strip()]
    unknown = [name for name in names if name not in BASELINES and name != "engine"]
    if unknown or not names:
        problem = f"unknown model {unknown[0]!r}" if unknown else "no models given"
        _fail(f"{problem}; known: {', '.join([*BASELINES, 'engine'])}")
    if (interactions is None) != (catalog is None):
        _fail("--interactions and --catalog go together (another data set needs both)")
    try:
        if interactions is not None:
            items = load_catalog_items(catalog, ColumnMapping.from_yaml(catalog_mapping) if catalog_mapping else None)
            log = load_interactions(
                interactions, [item.id for item in items], user=user_col, item=item_col,
                time=time_col, rating=rating_col, fmt=log_format, report=typer.echo,
            )
            protocol, label = f"{interactions.stem}-leave-last-out", f"{interactions.name} + {catalog.name}"
        else:
            directory = data or settings.shared_data_dir / "movietweetings-100k"
            log, items = load_movietweetings(directory)
            protocol, label = PROTOCOL, directory.name
    except (InteractionDataError, CatalogError) as error:
        _fail(str(error))
    typer.echo(f"{label}: {len(log):,} interactions, {log.n_users:,} users, {log.n_items:,} items")
    split = make_split(log, [item.categories for item in items])
    typer.echo(f"{len(split.test_users):,} test users (at least 5 interactions)")
    if not len(split.test_users):
        _fail("no user has at least 5 interactions")

    specs = baseline_models([name for name in names if name != "engine"])
    if "engine" in names:
        typer.echo(f"engine: embedding {len(items):,} item texts (cached in {settings.embedding_cache_path})")
        specs.append(engine_model(items, Encoder(settings.embedding_cache_path), progress=True))
    if not specs:
        _fail("nothing to evaluate")

    results = run_protocol(specs, split, progress=True, protocol=protocol, sweeps={"engine": ENGINE_SWEEP})
    results["seconds"] = round(time.perf_counter() - started, 1)
    written = write_report(results, out or PROJECT_ROOT / "docs", data_label=label)
    for variant in ("full_history", "cold_start"):
        typer.echo(f"\n{variant} ({results['test_users']:,} test users)")
        typer.echo(results_table(results, variant, bold=False))
    typer.echo(f"\n{results['seconds']:.0f} s; wrote " + ", ".join(str(path) for path in written))


@app.command("web")
def web(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the chat page (it talks to the Rasa server at BOT_RASA_URL) and the user-data API.

    The API needs BOT_API_KEY (or BOT_USER_TOKEN_SECRET for users' own tokens); export links point at
    BOT_PUBLIC_URL. Uvicorn's access log is
    off because it would print the secret in /export/{token}: the app logs each request by
    its route template instead (logger bot.web.access), never tokens or message text.
    """
    import logging

    import uvicorn

    from bot.web.app import create_app

    settings = _settings()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    bot_log = logging.getLogger("bot")
    bot_log.addHandler(handler)
    bot_log.setLevel(logging.INFO)
    if settings.api_key is None and settings.user_token_secret is None:
        typer.echo("note: BOT_API_KEY is not set, so the user-data API answers 503", err=True)
    typer.echo(f"serving http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
