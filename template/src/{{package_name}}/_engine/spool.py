"""An opt-in durable spool: accepted events survive a crash in a SQLite file.

An event is written before the call that accepted it returns and deleted once its batch
is delivered or handed to the dead-letter callback. A new client opened on the same file
sends what is left. SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit is in
the operating system's hands when it returns, so a killed process loses nothing (a power
cut may lose the last commits; use ``synchronous=FULL`` if that matters more than speed).

The files hold write keys, so the database, its ``-wal`` and ``-shm`` files and the lock
file are created readable by their owner only (never looser, not even for a moment), and
one live client at a time may use it (an exclusive ``flock`` where the platform has one).
Leftovers are read in pages, so a large spool is never loaded at once.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import SourceError

try:  # POSIX only; elsewhere two clients on one spool are not detected.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    write_key TEXT NOT NULL,
    region TEXT NOT NULL,
    body BLOB NOT NULL
)
"""

# The database's companions; SQLite creates them with the database file's mode.
_SUFFIXES = ("", "-wal", "-shm", "-journal", ".lock")
PAGE_ROWS = 500


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    # The umask is process-wide: another thread creating a file in this instant gets an
    # owner-only file too, which errs on the safe side.
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


class Spool:
    """The events accepted and not yet delivered, in a SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open (or create) the spool and take its lock.

        Args:
            path: The SQLite file; its directory must exist.

        Raises:
            SourceError: When another live client holds the spool.
        """
        self.path = Path(path)
        self._lock = threading.Lock()
        self._inherited: list[sqlite3.Connection] = []
        self._closed = False
        with _private_umask():
            for suffix in _SUFFIXES:  # tighten files an older version left readable
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(f"{self.path}{suffix}", 0o600)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            self._lock_file = open(os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600), "a+b")  # noqa: SIM115 - held while open
        if fcntl is not None:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock_file.close()
                raise SourceError(f"spool {self.path} is in use by another live client") from None
        self._conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        with _private_umask():
            # isolation_level=None: each statement commits on its own, no implicit transaction.
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute(_SCHEMA)
        return conn

    def add(self, write_key: str, region: str, body: bytes) -> int:
        """Store one accepted event and return its row id (committed on return)."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO events (write_key, region, body) VALUES (?, ?, ?)", (write_key, region, body)
            )
        return int(cursor.lastrowid or 0)

    def remove(self, ids: Iterable[int]) -> None:
        """Forget events that were delivered or handed to the dead-letter callback."""
        rows = [(i,) for i in ids]
        if not rows:
            return
        with self._lock:
            if self._closed:  # a late answer after close(): the rows stay for the next run
                return
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany("DELETE FROM events WHERE id = ?", rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def last_id(self) -> int:
        """Return the id of the newest stored event (0 when empty)."""
        with self._lock:
            return int(self._conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def leftovers(self, upto: int, page: int = PAGE_ROWS) -> Iterator[tuple[int, str, str, bytes]]:
        """Yield ``(id, write_key, region, body)`` of the events with ids up to ``upto``.

        Rows are read ``page`` at a time, oldest first, so a large spool is never loaded
        at once; events added later (ids above ``upto``) are not yielded.
        """
        after = 0
        while after < upto:
            with self._lock:
                if self._closed:
                    return
                rows = self._conn.execute(
                    "SELECT id, write_key, region, body FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                    (after, upto, page),
                ).fetchall()
            if not rows:
                return
            for row_id, write_key, region, body in rows:
                yield row_id, write_key, region, bytes(body)
            after = rows[-1][0]

    def count(self, first: int = 0, last: int | None = None) -> int:
        """Return how many events are stored (with ids from ``first`` to ``last``, if given)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM events WHERE id >= ? AND (? IS NULL OR id <= ?)", (first, last, last)
            ).fetchone()
        return int(row[0])

    def reopen_after_fork(self) -> None:
        """Give a forked child its own connection (SQLite connections must not cross a fork).

        The inherited connection is deliberately kept, never closed: closing it in the
        child could checkpoint or unlink the WAL under the parent's feet.
        """
        self._inherited.append(self._conn)
        self._lock = threading.Lock()
        self._conn = self._connect()

    def close(self) -> None:
        """Close the database and release the lock."""
        with self._lock:
            self._closed = True
            self._conn.close()
        self._lock_file.close()

    def __repr__(self) -> str:
        return f"Spool({str(self.path)!r})"
