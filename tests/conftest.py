"""Fixtures shared by every test: a fresh SQLite database in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database, open_database

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_454bbc6226a6af22.txt"
CORPUS = ROOT.parent / "shared" / "corpus" / "articles.jsonl"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real, migrated SQLite database file, new for each test."""
    database = await open_database(tmp_path / "news.db")
    yield database
    await database.close()
