"""name and prison-number search index: FTS5 on SQLite, pg_trgm (GIN) on PostgreSQL

The caseload's search matches a name anywhere inside "family given" or "given family"
and a prison number from its start (``core.persons.search``). A substring LIKE cannot
use a B-tree, so it read every person of the partnership. PostgreSQL gets trigram GIN
indexes on exactly the expressions the search compares, kept by PostgreSQL itself.
SQLite gets an FTS5 trigram table over a copy of those texts, kept by triggers on
``persons`` (insert, update of a name or prison number, delete); the copy is an ordinary
table with an INTEGER PRIMARY KEY so that the FTS rowids survive VACUUM.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The texts the search compares (core.persons.search builds the same expressions).
GIVEN_FAMILY = "lower(given_name || ' ' || family_name)"
PG_INDEXES = {
    "ix_persons_sort_name_trgm": "sort_name",
    "ix_persons_given_family_trgm": f"({GIVEN_FAMILY})",
    "ix_persons_prison_number_trgm": "prison_number",
}


def _sqlite_name(row: str) -> str:
    # The two name forms on one line each: the query never holds a newline, so a match
    # inside this text is a match inside one of the forms, never across them.
    return f"{row}.sort_name || char(10) || lower({row}.given_name || ' ' || {row}.family_name)"


def _sqlite_statements() -> list[str]:
    new_name, new_number = _sqlite_name("NEW"), "upper(coalesce(NEW.prison_number, ''))"
    return [
        "CREATE TABLE person_search_rows ("
        "id INTEGER PRIMARY KEY, tenant_id CHAR(32) NOT NULL, person_id CHAR(32) NOT NULL, "
        "name TEXT NOT NULL, prison_number TEXT NOT NULL)",
        "CREATE UNIQUE INDEX ix_person_search_rows_person "
        "ON person_search_rows (tenant_id, person_id)",
        "CREATE VIRTUAL TABLE person_search USING fts5("
        "name, prison_number, person_id UNINDEXED, "
        "content='person_search_rows', content_rowid='id', "
        "tokenize='trigram case_sensitive 1')",
        # The FTS index follows its content table ...
        "CREATE TRIGGER trg_person_search_rows_ai AFTER INSERT ON person_search_rows BEGIN "
        "INSERT INTO person_search(rowid, name, prison_number, person_id) "
        "VALUES (NEW.id, NEW.name, NEW.prison_number, NEW.person_id); END",
        "CREATE TRIGGER trg_person_search_rows_ad AFTER DELETE ON person_search_rows BEGIN "
        "INSERT INTO person_search(person_search, rowid, name, prison_number, person_id) "
        "VALUES ('delete', OLD.id, OLD.name, OLD.prison_number, OLD.person_id); END",
        "CREATE TRIGGER trg_person_search_rows_au AFTER UPDATE ON person_search_rows BEGIN "
        "INSERT INTO person_search(person_search, rowid, name, prison_number, person_id) "
        "VALUES ('delete', OLD.id, OLD.name, OLD.prison_number, OLD.person_id); "
        "INSERT INTO person_search(rowid, name, prison_number, person_id) "
        "VALUES (NEW.id, NEW.name, NEW.prison_number, NEW.person_id); END",
        # ... and the content table follows persons.
        "CREATE TRIGGER trg_persons_search_ai AFTER INSERT ON persons BEGIN "
        "INSERT INTO person_search_rows (tenant_id, person_id, name, prison_number) "
        f"VALUES (NEW.tenant_id, NEW.id, {new_name}, {new_number}); END",
        "CREATE TRIGGER trg_persons_search_au AFTER UPDATE OF "
        "sort_name, given_name, family_name, prison_number ON persons BEGIN "
        f"UPDATE person_search_rows SET name = {new_name}, prison_number = {new_number} "
        "WHERE tenant_id = OLD.tenant_id AND person_id = OLD.id; END",
        "CREATE TRIGGER trg_persons_search_ad AFTER DELETE ON persons BEGIN "
        "DELETE FROM person_search_rows "
        "WHERE tenant_id = OLD.tenant_id AND person_id = OLD.id; END",
        # The people already registered.
        "INSERT INTO person_search_rows (tenant_id, person_id, name, prison_number) "
        f"SELECT tenant_id, id, {_sqlite_name('persons')}, "
        "upper(coalesce(prison_number, '')) FROM persons",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON persons USING gin ({expression} gin_trgm_ops)")
        return
    for statement in _sqlite_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        # The extension stays: other databases' objects (or a DBA's) may use it.
        return
    for trigger in ("persons_search_ai", "persons_search_au", "persons_search_ad"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_{trigger}")
    op.execute("DROP TABLE IF EXISTS person_search")
    op.execute("DROP TABLE IF EXISTS person_search_rows")
