"""`bot` command line: build the index, generate NLU lookups, inspect and manage users.

A thin face over :mod:`bot.engine`; heavy modules are imported inside commands
so that `bot --help` answers instantly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.config import ConfigError, Settings

app = typer.Typer(help="Personalization engine of the recommendation bot.", no_args_is_help=True)
index_app = typer.Typer(help="The FAISS item index.", no_args_is_help=True)
catalog_app = typer.Typer(help="The item catalog.", no_args_is_help=True)
nlu_app = typer.Typer(help="Rasa training data generated from the catalog.", no_args_is_help=True)
user_app = typer.Typer(help="One user's data.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(catalog_app, name="catalog")
app.add_typer(nlu_app, name="nlu")
app.add_typer(user_app, name="user")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        _fail(str(error))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _catalog(path: Path | None):
    from bot.catalog import CatalogError, load_catalog

    try:
        return load_catalog(path or _settings().catalog_path)
    except CatalogError as error:
        _fail(str(error))


def _engine():
    from bot.catalog import CatalogError
    from bot.engine import Engine

    try:
        return Engine.from_settings(_settings())
    except CatalogError as error:
        _fail(str(error))


@catalog_app.command("validate")
def catalog_validate(path: Annotated[Optional[Path], typer.Argument()] = None) -> None:
    """Check every row of a catalog; list each bad row with line and field."""
    catalog = _catalog(path)
    counts = catalog.category_counts()
    typer.echo(f"{catalog.path}: {len(catalog)} items, {len(counts)} categories, all rows valid")


@index_app.command("build")
def index_build(force: bool = typer.Option(False, help="Rebuild even if the catalog is unchanged.")) -> None:
    """Embed the catalog (only new or changed items) and write the FAISS index."""
    from bot.encoder import Encoder
    from bot.engine import build_index, load_or_build_index
    from bot.index import IndexUnavailable, ItemIndex

    settings = _settings()
    catalog = _catalog(None)
    encoder = Encoder(settings.embedding_cache_path)
    if force:
        index = build_index(catalog, encoder, progress=True)
        index.save(settings.index_dir)
    else:
        try:
            current = ItemIndex.load(settings.index_dir).fingerprint == catalog.fingerprint
        except IndexUnavailable:
            current = False
        if current:
            typer.echo(f"index is up to date with {catalog.path} ({len(catalog)} items)")
            return
        index = load_or_build_index(settings, catalog, encoder, progress=True)
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


@app.command("recommend")
def recommend(
    sender_id: str,
    n: int = typer.Option(5, min=1, max=50),
    category: Optional[str] = typer.Option(None, help="Only this category."),
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
    """Delete every row about a user from the engine database."""
    if not yes:
        typer.confirm(f"Erase all data of {sender_id!r}?", abort=True)
    if not _engine().erase(sender_id):
        _fail(f"no data stored for {sender_id!r}")
    typer.echo(f"erased {sender_id}")


@app.command("web")
def web(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the chat page (it talks to the Rasa server at BOT_RASA_URL)."""
    import uvicorn

    from bot.web.app import create_app

    uvicorn.run(create_app(_settings().rasa_url), host=host, port=port, log_level="warning")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
