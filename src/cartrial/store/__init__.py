"""The store: SQLAlchemy tables, Alembic migrations, and the hash-chained audit trail.

SQLite by default (`CARTRIAL_DATABASE_URL`, default `sqlite:///cartrial.sqlite`), PostgreSQL 15 for a
multi-site server. Nothing is ever deleted: corrections are new versions, and every change is an audit
entry written in the same transaction.
"""
