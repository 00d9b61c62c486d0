"""SQLite's write-ahead log: checkpointed by commits by default; by `checkpoint_wal` beside the commits
when the engine is made with `background_checkpoints` (the API server)."""

from pathlib import Path

from cartrial.store.db import checkpoint_wal, make_engine

# SQLite's default checkpoint threshold in pages (PRAGMA wal_autocheckpoint, SQLite documentation).
SQLITE_DEFAULT_AUTOCHECKPOINT = 1000
# SQLite's default page size in bytes (PRAGMA page_size, SQLite documentation).
PAGE_BYTES = 4096


def test_background_checkpoints_leave_the_log_to_checkpoint_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.sqlite'}"
    engine = make_engine(url, background_checkpoints=True)
    with engine.begin() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
    # More than the default threshold's worth of log: no commit checkpoints it.
    for _ in range(3):
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (?)", [("x" * 4000,) for _ in range(400)])
    database, wal = tmp_path / "wal.sqlite", tmp_path / "wal.sqlite-wal"
    assert wal.stat().st_size > SQLITE_DEFAULT_AUTOCHECKPOINT * PAGE_BYTES
    assert database.stat().st_size < 10 * PAGE_BYTES  # the rows are in the log only
    checkpoint_wal(engine)
    assert database.stat().st_size > SQLITE_DEFAULT_AUTOCHECKPOINT * PAGE_BYTES
    engine.dispose()


def test_by_default_commits_checkpoint(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite'}")
    with engine.begin() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == (
            SQLITE_DEFAULT_AUTOCHECKPOINT
        )
    engine.dispose()
