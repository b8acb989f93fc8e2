"""keyword search: FTS5 on SQLite, a GIN full-text index on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 19:40:00

Every object here is named `articles_fts*`, which alembic/env.py leaves out of `alembic check`:
they are managed by this migration, not by the models. The SQL is kept in sync with db/search.py
(the FTS expression and tokenizer there must match what is created here).

SQLite: an external-content FTS5 table over articles.title + articles.text (no copy of the text),
kept in sync by three triggers and filled once with 'rebuild'. A table rebuilt by a later batch
migration loses its triggers: such a migration must re-create them (SQLITE_TRIGGERS below).

PostgreSQL: a GIN index on the same `to_tsvector('simple', ...)` expression db/search.py queries,
so `@@` uses the index and nothing needs to be kept in sync.
"""
from typing import Sequence, Union

from alembic import op


revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
    "title, text, content='articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, text)
  VALUES ('delete', old.id, old.title, old.text);
END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, text)
  VALUES ('delete', old.id, old.title, old.text);
  INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END""",
)
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS articles_fts_gin ON articles USING gin ("
    "to_tsvector('simple'::regconfig, coalesce(title, '') || ' ' || coalesce(text, '')))"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_CREATE)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(PG_INDEX)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS articles_fts_gin")
