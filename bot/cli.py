"""`bot` command line: build the index, generate NLU lookups, inspect and manage users, evaluate.

A thin face: it parses options, calls the engine, the operator's jobs (:mod:`bot.maintenance`)
or the offline evaluation (:mod:`bot.evaluation.pipeline`), and prints what they return. Heavy
modules are imported inside commands so that `bot --help` answers instantly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.config import ConfigError, Settings
from bot.vocabulary import StoreUnavailable

app = typer.Typer(help="Personalization engine of the recommendation bot.", no_args_is_help=True)
index_app = typer.Typer(help="The FAISS item index.", no_args_is_help=True)
catalog_app = typer.Typer(help="The item catalog.", no_args_is_help=True)
nlu_app = typer.Typer(help="Rasa training data from the catalog, and the intent model.", no_args_is_help=True)
user_app = typer.Typer(help="One user's data.", no_args_is_help=True)
segments_app = typer.Typer(help="Groups of users with similar tastes.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(catalog_app, name="catalog")
app.add_typer(nlu_app, name="nlu")
app.add_typer(user_app, name="user")
app.add_typer(segments_app, name="segments")
experiments_app = typer.Typer(help="A/B experiments on the ranking (BOT_EXPERIMENTS).", no_args_is_help=True)
app.add_typer(experiments_app, name="experiments")
history_app = typer.Typer(help="A shop's past interactions (orders, ratings, views).", no_args_is_help=True)
app.add_typer(history_app, name="history")
db_app = typer.Typer(help="The bot's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        _fail(str(error))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _engine():
    from bot.engine import Engine
    from bot.maintenance import OPERATOR_ERRORS

    try:
        return Engine.from_settings(_settings())
    except OPERATOR_ERRORS as error:
        _fail(str(error))


@catalog_app.command("validate")
def catalog_validate(
    path: Annotated[Path | None, typer.Argument()] = None,
    mapping: Path | None = typer.Option(None, help="YAML column mapping for a foreign file."),
) -> None:
    """Check every row of a catalog; list each bad row with line and field."""
    from bot import maintenance

    try:
        catalog = maintenance.check_catalog(_settings(), path, mapping)
    except maintenance.OPERATOR_ERRORS as error:
        _fail(str(error))
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
    from bot import maintenance

    settings = _settings()
    try:
        items, problems = maintenance.read_catalog_file(file, mapping)
    except maintenance.OPERATOR_ERRORS as error:
        _fail(str(error))
    for problem in problems:
        typer.echo(f"rejected: {problem}", err=True)
    typer.echo(f"{file}: {len(items)} valid items, {len(problems)} rejected rows")
    if strict and problems:
        _fail(f"--strict: refusing the whole file because of {len(problems)} bad rows; nothing imported")
    if not items:
        _fail("no valid items to import")
    imported = maintenance.import_catalog(settings, items, file.stem, out)
    if imported.facets:
        typer.echo(f"the catalog has too few categories: {len(imported.facets)} derived from the items' own words "
                   f"({', '.join(imported.facets)}); rename them in the written file if you like")
    typer.echo(f"embedded {imported.embedded} new or changed items ({imported.cached} unchanged, from the cache)")
    typer.echo(f"wrote {imported.path}; serve it with: BOT_CATALOG={imported.path} make run")


@history_app.command("import")
def history_import(
    file: Path,
    mapping: Path | None = typer.Option(None, help="YAML mapping of the file's columns and event names "
                                                   "(see docs/history.md)."),
    fmt: str | None = typer.Option(None, "--format", help="csv, jsonl or parquet (default: from the file's suffix)."),
) -> None:
    """Import a shop's past interactions (CSV, JSON Lines or Parquet) about the configured
    catalog's items; run it again to resume or to add newer rows: a row is never stored twice."""
    from tqdm import tqdm

    from bot import maintenance

    settings = _settings()
    with tqdm(total=maintenance.count_history_rows(file, fmt), unit=" rows", disable=None) as bar:
        try:
            report = maintenance.import_history(settings, file, mapping, fmt, progress=lambda n: bar.update(n - bar.n))
        except maintenance.OPERATOR_ERRORS as error:
            _fail(str(error))
        except StoreUnavailable as error:
            _fail(f"{error}; the rows stored so far are kept, run the same command again to go on")
    for problem in report.problems:
        typer.echo(f"rejected: {problem}", err=True)
    if report.bad_rows > len(report.problems):
        typer.echo(f"rejected: ... and {report.bad_rows - len(report.problems)} more bad rows", err=True)
    unknown = ", ".join(item for item, _ in report.unknown_items.most_common(5))
    typer.echo(
        f"{file}: {report.rows} rows read; {report.stored} events stored now and {report.already_stored} before, "
        f"of {len(report.users)} users; {sum(report.unknown_items.values())} rows about "
        f"{len(report.unknown_items)} items not in the catalog{f' ({unknown}, ...)' if unknown else ''}; "
        f"{report.skipped_rows} rows of {len(report.skipped_users)} users who declined or were erased left out; "
        f"{report.bad_rows} bad rows; {report.consents} consents taken from the file"
    )
    typer.echo("train on them with: make train-recs")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the bot's database to this version's schema (the bot also does it when it starts)."""
    from bot import maintenance

    try:
        revision = maintenance.upgrade_database(_settings())
    except StoreUnavailable as error:
        _fail(str(error))
    typer.echo(f"{_settings().database_url.split('@')[-1]}: at revision {revision}")


@index_app.command("build")
def index_build(force: bool = typer.Option(False, help="Rebuild even if the catalog is unchanged.")) -> None:
    """Embed the catalog (only new or changed items) and write the FAISS index."""
    from bot import maintenance

    try:
        index = maintenance.build_index(_settings(), force)
    except maintenance.OPERATOR_ERRORS as error:
        _fail(str(error))
    if index.built:
        typer.echo(f"indexed {index.items} items from {index.catalog} into {index.directory}")
    else:
        typer.echo(f"index is up to date with {index.catalog} ({index.items} items) and the index settings")


@nlu_app.command("train")
def nlu_train() -> None:
    """Train the intent model (bot/intent_model.py) on Rasa's training data, if it changed."""
    from bot import maintenance

    result = maintenance.train_intents(_settings())
    state = "trained" if result.trained else "is up to date:"
    typer.echo(f"intent model {state} {result.phrases} phrases, {result.intents} intents "
               f"(min confidence {result.min_confidence}, min similarity {result.min_similarity})")


@nlu_app.command("cv")
def nlu_cv(
    chosen_only: bool = typer.Option(False, "--chosen-only", help="Only the model `bot nlu train` trains."),
    folds: int = typer.Option(5, min=2, help="Outer folds."),
) -> None:
    """Cross-validation of the intent model's choices on its training data alone; prints the
    table of data/intents/README.md (several minutes per row)."""
    from bot.evaluation.nlu import crossval

    choices = [crossval.CHOSEN] if chosen_only else list(crossval.CANDIDATES)
    rows = crossval.run(_settings(), choices, folds, say=lambda line: typer.echo(line, err=True))
    typer.echo(crossval.table(rows, folds))


@nlu_app.command("lookups")
def nlu_lookups(out: Path = typer.Option(..., help="YAML file to write (Rasa NLU data).")) -> None:
    """Write lookup tables of the catalog's categories and titles for Rasa training."""
    from bot import maintenance

    try:
        written = maintenance.write_lookups(_settings(), out)
    except maintenance.OPERATOR_ERRORS as error:
        _fail(str(error))
    typer.echo(f"wrote {out}" if written else f"{out} is up to date")


@app.command("train-recs")
def train_recs() -> None:
    """Fit the hybrid model's collaborative and trend signals on all users' feedback."""
    from bot import maintenance

    settings = _settings()
    try:
        events = maintenance.train_model(settings)
    except maintenance.OPERATOR_ERRORS as error:
        _fail(str(error))
    typer.echo(f"trained the hybrid model on {events} feedback events into {settings.model_path}")


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
    from bot.maintenance import OPERATOR_ERRORS

    engine = _engine()
    try:
        segments = engine.build_segments(k)
    except OPERATOR_ERRORS as error:
        _fail(str(error))
    _print_segments(segments)


@segments_app.command("show")
def segments_show() -> None:
    """The segments as last built."""
    segments = _engine().current_segments()
    if segments is None:
        _fail("no segments yet: run `bot segments build`")
    _print_segments(segments)


@experiments_app.command("list")
def experiments_list() -> None:
    """The experiments defined, with their variants and when they run."""
    engine = _engine()
    experiments = engine.defined_experiments()
    if not experiments:
        _fail("no experiments: set BOT_EXPERIMENTS to a YAML file (see data/experiments.example.yml)")
    running = engine.running_experiment()
    for experiment in experiments:
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
    from bot.evaluation.charts import write_chart

    try:
        report = _engine().experiment_report(name)
    except KeyError as error:
        _fail(str(error.args[0]))
    typer.echo(report.describe())
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
    from bot.evaluation import pipeline

    try:
        text, written = pipeline.simulate_experiments(_settings(), data, days, aa_runs, out)
    except pipeline.EvaluationError as error:
        _fail(str(error))
    typer.echo(text)
    if written:
        typer.echo("wrote " + " and ".join(str(path) for path in written))


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
        None, "--data", help="A shared data set folder: movietweetings-100k or xwines-slim "
                             "(default: BOT_SHARED_DATA/movietweetings-100k).",
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
    from bot.evaluation import pipeline

    source = pipeline.DataSource(movietweetings=data, interactions=interactions, catalog=catalog,
                                 catalog_mapping=catalog_mapping, user=user_col, item=item_col, time=time_col,
                                 rating=rating_col, fmt=log_format)
    try:
        evaluation = pipeline.run(_settings(), models, source, out, say=typer.echo)
    except pipeline.EvaluationError as error:
        _fail(str(error))
    typer.echo(evaluation.summary())


@app.command("nlu-eval")
def nlu_eval(
    sets: Path | None = typer.Option(None, "--sets", help="Folder of the held-out sets (default: tests/data/nlu)."),
    model: Path | None = typer.Option(None, "--model", help="Rasa model (default: the newest models/*.tar.gz)."),
    out: Path | None = typer.Option(None, "--out", help="Report folder (default: docs/ of the project)."),
) -> None:
    """Measure how today's NLU reads the held-out sets; write nlu.md and nlu.json, print the headline."""
    from bot.evaluation import nlu

    try:
        evaluation = nlu.run(_settings(), sets, model, out, say=typer.echo)
    except nlu.NluEvalError as error:
        _fail(str(error))
    typer.echo(evaluation.summary())


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


@app.command("tune")
def tune() -> None:
    """Choose the hybrid model's weights on the event log's validation items (the protocol of
    `bot eval`), keep them beside the trained model and refit it; `bot train-recs` uses them."""
    from bot.evaluation import pipeline

    try:
        tuning = pipeline.tune_live(_settings(), say=typer.echo)
    except pipeline.EvaluationError as error:
        _fail(str(error))
    typer.echo(tuning.summary())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
