"""caseload order on the relation tables: a copy of persons.sort_name, kept by triggers

A scoped caseload (people my organisation works with, people assigned to me, people who
consented to share with me) is read page by page in name order. With the name on the
relation row, each page walks the viewer's own index range instead of every person in
the partnership. The database keeps the copy in step, so no code path can forget it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:40:00.000000
"""

# The SQL below is built from this file's own table names, never from input.
# ruff: noqa: S608

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables that copy the person's name, and their primary keys (for SQLite's AFTER INSERT).
COPIES = {
    "person_organisations": ("tenant_id", "organisation_id", "person_id"),
    "person_assignments": ("tenant_id", "user_id", "person_id"),
    "consents": ("tenant_id", "id"),
}
# Whether a consent is in force, read from the index itself rather than from each row.
IN_FORCE = ["withdrawn_at", "given_at", "expires_at"]
INDEXES = {
    "ix_person_organisations_caseload": (
        "person_organisations",
        ["tenant_id", "organisation_id", "sort_name", "person_id"],
    ),
    "ix_person_assignments_caseload": (
        "person_assignments",
        ["tenant_id", "user_id", "sort_name", "person_id"],
    ),
    "ix_consents_caseload_kind": (
        "consents",
        ["tenant_id", "category", "recipient_kind", "sort_name", "person_id", *IN_FORCE],
    ),
    "ix_consents_caseload_organisation": (
        "consents",
        [
            "tenant_id",
            "category",
            "recipient_organisation_id",
            "sort_name",
            "person_id",
            *IN_FORCE,
        ],
    ),
}


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, key in COPIES.items():
        match = " AND ".join(f"{column} = NEW.{column}" for column in key)
        statements.append(
            f"CREATE TRIGGER trg_{table}_sort_name AFTER INSERT ON {table} BEGIN "
            f"UPDATE {table} SET sort_name = (SELECT sort_name FROM persons "
            "WHERE persons.tenant_id = NEW.tenant_id AND persons.id = NEW.person_id) "
            f"WHERE {match}; END"
        )
    spread = " ".join(
        f"UPDATE {table} SET sort_name = NEW.sort_name "
        "WHERE tenant_id = NEW.tenant_id AND person_id = NEW.id;"
        for table in COPIES
    )
    statements.append(
        "CREATE TRIGGER trg_persons_sort_name AFTER UPDATE OF sort_name ON persons "
        f"BEGIN {spread} END"
    )
    return statements


def _postgresql_triggers() -> list[str]:
    spread = " ".join(
        f"UPDATE {table} SET sort_name = NEW.sort_name "
        "WHERE tenant_id = NEW.tenant_id AND person_id = NEW.id;"
        for table in COPIES
    )
    statements = [
        "CREATE FUNCTION throughcare_copy_sort_name() RETURNS trigger AS $$ BEGIN "
        "NEW.sort_name := (SELECT sort_name FROM persons "
        "WHERE persons.tenant_id = NEW.tenant_id AND persons.id = NEW.person_id); "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE FUNCTION throughcare_spread_sort_name() RETURNS trigger AS $$ BEGIN "
        f"{spread} RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER trg_persons_sort_name AFTER UPDATE OF sort_name ON persons "
        "FOR EACH ROW WHEN (OLD.sort_name IS DISTINCT FROM NEW.sort_name) "
        "EXECUTE FUNCTION throughcare_spread_sort_name()",
    ]
    statements += [
        f"CREATE TRIGGER trg_{table}_sort_name BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION throughcare_copy_sort_name()"
        for table in COPIES
    ]
    return statements


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: SQLite's batch mode rebuilds a table and would
    # drop its triggers (a later migration that rebuilds these tables must recreate them).
    for table in COPIES:
        op.add_column(
            table, sa.Column("sort_name", sa.String(length=201), nullable=False, server_default="")
        )
        op.execute(
            f"UPDATE {table} SET sort_name = (SELECT sort_name FROM persons "
            f"WHERE persons.tenant_id = {table}.tenant_id AND persons.id = {table}.person_id)"
        )
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    dialect = op.get_bind().dialect.name
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in ["persons", *COPIES]:
        op.execute(
            f"DROP TRIGGER IF EXISTS trg_{table}_sort_name" + (f" ON {table}" if postgresql else "")
        )
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS throughcare_copy_sort_name()")
        op.execute("DROP FUNCTION IF EXISTS throughcare_spread_sort_name()")
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
    for table in COPIES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("sort_name")
