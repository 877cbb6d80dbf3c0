"""Alembic's entry point for the bot's database: run on the connection that
:func:`bot.migrations.upgrade` hands over, or, from the ``alembic`` command of a developer
writing a new migration, on BOT_DATABASE_URL (see bot/migrations/README.md)."""

from alembic import context
from sqlalchemy import create_engine

from bot.config import Settings
from bot.schema import Base


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with create_engine(Settings.from_env().database_url).connect() as opened:
        _run(opened)
        opened.commit()
