"""``manage.py check_sqlite``: a good SQLite file passes; a damaged one, a broken foreign key
or a configuration that is not SQLite fails with a clear message and a non-zero exit status."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.reliability.processes import ROOT


def make_database(path, *, orphan: bool = False) -> None:
    """Two sites and 2,000 technicians (enough pages to damage one in the middle); with
    ``orphan``, one technician points at a site that does not exist."""
    with closing(sqlite3.connect(path)) as db:
        db.executescript(
            """
            CREATE TABLE site (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
            CREATE TABLE technician (
                id INTEGER PRIMARY KEY,
                site_id INTEGER NOT NULL REFERENCES site (id),
                name TEXT NOT NULL
            );
            CREATE INDEX technician_site ON technician (site_id);
            INSERT INTO site (id, code) VALUES (1, 'A01'), (2, 'B01');
            """
        )
        db.executemany(
            "INSERT INTO technician (site_id, name) VALUES (?, ?)",
            [(1 + n % 2, f"Technician {n:05d} " + "x" * 60) for n in range(2000)],
        )
        if orphan:
            db.execute("INSERT INTO technician (site_id, name) VALUES (99, 'Nobody''s')")
        db.commit()


def check(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("check_sqlite", file=str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_good_file_passes(tmp_path):
    path = tmp_path / "good.sqlite3"
    make_database(path)
    before = path.read_bytes()

    out, err = check(path)

    assert out == f"{path}: integrity ok, foreign keys ok.\n"
    assert err == ""
    assert path.read_bytes() == before  # opened read-only


def test_a_damaged_page_fails(tmp_path):
    path = tmp_path / "damaged.sqlite3"
    make_database(path)
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    middle = (len(data) // page_size // 2) * page_size  # a page in the middle of the table
    data[middle : middle + 64] = b"\xff" * 64  # its header and cell pointers
    path.write_bytes(bytes(data))

    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("check_sqlite", file=str(path), stdout=StringIO(), stderr=err)

    assert str(failure.value).startswith(f"{path} is not consistent: ")
    assert str(failure.value).endswith("Restore it from the last good copy.")
    assert err.getvalue().lstrip().startswith(("integrity: ", "unreadable: "))


def test_a_file_that_is_not_a_database_fails(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"These are not the pages you are looking for.\n" * 200)

    err = StringIO()
    with pytest.raises(CommandError, match=r"is not consistent: 1 problem found\."):
        call_command("check_sqlite", file=str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue() == "  unreadable: file is not a database\n"


def test_a_broken_foreign_key_fails_and_names_the_row(tmp_path):
    path = tmp_path / "orphan.sqlite3"
    make_database(path, orphan=True)

    err = StringIO()
    with pytest.raises(CommandError, match=r"is not consistent: 1 problem found\."):
        call_command("check_sqlite", file=str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue() == "  foreign key: technician row 2001 refers to a row missing from site\n"


def test_a_missing_file_fails(tmp_path):
    with pytest.raises(CommandError, match=r"^No SQLite database file at .*missing\.sqlite3\.$"):
        check(tmp_path / "missing.sqlite3")


def run_command(database_url: str) -> subprocess.CompletedProcess:
    """The command as an operator runs it, on the database the environment configures."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "careerladder.settings.base"}
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "manage.py", "check_sqlite"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_configured_sqlite_database_is_checked_and_the_exit_status_says_how_it_went(tmp_path):
    good, orphan = tmp_path / "good.sqlite3", tmp_path / "orphan.sqlite3"
    make_database(good)
    make_database(orphan, orphan=True)

    passed, failed = run_command(f"sqlite:///{good}"), run_command(f"sqlite:///{orphan}")

    assert (passed.returncode, passed.stdout) == (0, f"{good}: integrity ok, foreign keys ok.\n")
    assert failed.returncode == 1
    assert f"CommandError: {orphan} is not consistent: 1 problem found." in failed.stderr


def test_a_postgres_configuration_is_refused_with_the_way_to_back_it_up():
    refused = run_command("postgres://careerladder@127.0.0.1:5432/careerladder")

    assert refused.returncode == 1
    assert (
        "CommandError: The 'default' database is not SQLite (django.db.backends.postgresql); "
        "check_sqlite checks the embedded SQLite file only. Back up Postgres with scripts/backup.sh"
    ) in refused.stderr
