"""``python manage.py check_sqlite [--file PATH]``: is the embedded SQLite database consistent?

Runs ``PRAGMA integrity_check`` (every page, index and constraint of the file) and
``PRAGMA foreign_key_check`` (every foreign key points at an existing row) on the configured
SQLite database, or on ``--file`` (e.g. a copy about to be restored). The file is opened
read-only, so the check never creates or changes it. Prints one line when all is well; lists
each problem and exits with status 1 otherwise, so it can gate a backup or a restore.
The production stack runs on Postgres: back that up with scripts/backup.sh instead.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

MAX_LISTED = 50


class Command(BaseCommand):
    help = "Check the embedded SQLite database file: PRAGMA integrity_check and foreign_key_check."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database alias to check (default: default).")
        parser.add_argument("--file", help="Check this SQLite file instead of the configured database.")

    def handle(self, *args, database: str, file: str | None, **options):
        path = Path(file) if file else self._configured_file(database)
        if not path.is_file():
            raise CommandError(f"No SQLite database file at {path}.")
        problems = self._problems(path)
        if problems:
            for problem in problems[:MAX_LISTED]:
                self.stderr.write(f"  {problem}")
            if len(problems) > MAX_LISTED:
                self.stderr.write(f"  … and {len(problems) - MAX_LISTED} more")
            raise CommandError(
                f"{path} is not consistent: {len(problems)} problem{'s' if len(problems) != 1 else ''} found. "
                "Restore it from the last good copy."
            )
        self.stdout.write(f"{path}: integrity ok, foreign keys ok.")

    def _configured_file(self, alias: str) -> Path:
        if alias not in connections.settings:
            raise CommandError(f"No database alias {alias!r} in DATABASES.")
        settings_dict = connections.settings[alias]
        engine = settings_dict["ENGINE"]
        if not engine.endswith("sqlite3"):
            raise CommandError(
                f"The {alias!r} database is not SQLite ({engine}); check_sqlite checks the embedded SQLite file only. "
                "Back up Postgres with scripts/backup.sh (docs/production.md)."
            )
        name = str(settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise CommandError(f"The {alias!r} database is an in-memory SQLite database: there is no file to check.")
        return Path(name)

    def _problems(self, path: Path) -> list[str]:
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
                integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
                problems = [] if integrity == ["ok"] else [f"integrity: {line}" for line in integrity]
                for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check"):
                    problems.append(f"foreign key: {table} row {rowid} refers to a row missing from {parent}")
            return problems
        except sqlite3.DatabaseError as exc:  # not a database at all, or too damaged to read
            return [f"unreadable: {exc}"]
