"""Migration 0004: on PostgreSQL the stored JSON documents are compressed with LZ4; down again to the
server's default."""

import importlib

from alembic import command
from sqlalchemy import text

from cartrial.store.db import make_engine
from cartrial.store.migrate import alembic_config, upgrade
from tests.support import postgres

DOCUMENTS = importlib.import_module("cartrial.store.migrations.versions.0004_lz4_documents").DOCUMENTS


def _methods(url: str) -> dict[tuple[str, str], str]:
    """Each document column's compression method as pg_attribute has it ('l' LZ4, '' the default)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, a.attname, a.attcompression FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid WHERE a.attnum > 0 AND NOT a.attisdropped"
            )
        ).all()
    engine.dispose()
    return {(table, column): method for table, column, method in rows if (table, column) in DOCUMENTS}


def test_documents_are_compressed_with_lz4_and_back(postgres_cluster: str) -> None:
    url = postgres.create_database(postgres_cluster)
    upgrade(url)
    assert _methods(url) == dict.fromkeys(DOCUMENTS, "l")
    command.downgrade(alembic_config(url), "0003")
    assert _methods(url) == dict.fromkeys(DOCUMENTS, "")
