"""Alembic environment. The URL comes from airace's Settings, never from alembic.ini.

Programmatic runs (`airace db upgrade`, automatic upgrades) pass an engine in
`config.attributes["engine"]`; the `alembic` command line builds one from Settings.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from db.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("engine"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

# Tables managed outside the models (full-text search indexes) are not drift.
EXTERNAL_TABLE_PREFIXES = ("articles_fts",)


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if type_ == "table" and name and name.startswith(EXTERNAL_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and name and name.startswith(EXTERNAL_TABLE_PREFIXES))


def _engine():  # type: ignore[no-untyped-def]
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from airace.config import load_settings
    from db.engine import make_engine

    return make_engine(load_settings().database_url)


def run_migrations_offline() -> None:
    from airace.config import load_settings

    context.configure(
        url=load_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
