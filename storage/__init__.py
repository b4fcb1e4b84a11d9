"""The data layer of newsbot: SQLite through aiosqlite. Nothing here imports ``telegram``."""

from storage.db import Database, open_database

__all__ = ["Database", "open_database"]
