"""PostgreSQL: the stored JSON documents compressed with LZ4

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:10:00

A screening's record (about 3 kB) and result (about 5.5 kB) are over PostgreSQL's TOAST threshold, so
each insert compresses them; the default method, pglz, cost about a fifth of the server's CPU per
screening write in the API load benchmark (docs/api.md, "Load"), LZ4 a fraction of that for slightly
larger values. Only new values are compressed the new way. A server built without LZ4 refuses the
method (feature_not_supported) and keeps pglz. SQLite stores text as it comes: nothing to do.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DOCUMENTS = (
    ("protocol_versions", "content"),
    ("screenings", "record_json"),
    ("screenings", "result_json"),
    ("dlt_assessments", "input_json"),
    ("dlt_assessments", "result_json"),
    ("src_decisions", "recommendation_json"),
    ("clinical_records", "document_json"),
)


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    alters = "; ".join(
        f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}" for table, column in DOCUMENTS
    )
    op.execute(f"DO $$ BEGIN {alters}; EXCEPTION WHEN feature_not_supported THEN NULL; END $$")


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("default")
