"""Learner access tokens: issued once, stored only as a SHA-256 hash.

Tokens are `secrets.token_urlsafe(32)` (256 random bits), so a plain SHA-256 is enough:
there is nothing to brute-force that a slow hash would protect. They live in the
gateway's own SQLite file (settings.token_db_path), outside the study data.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

TOKEN_PREFIX = "aimed_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS learner_tokens (
    token_hash TEXT PRIMARY KEY,
    learner_id TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS learner_tokens_learner ON learner_tokens (learner_id);
"""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """Issues tokens and resolves a presented token to its learner id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def issue(self, learner_id: str, label: str = "") -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO learner_tokens (token_hash, learner_id, label, created_at) VALUES (?, ?, ?, ?)",
                (hash_token(token), learner_id, label, datetime.now(UTC).isoformat()),
            )
        return token

    def learner_for(self, token: str) -> str | None:
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT learner_id FROM learner_tokens WHERE token_hash = ?", (hash_token(token),)
            ).fetchone()
        return None if row is None else str(row[0])
