"""scripts/backup.sh and scripts/restore.sh: a backup restored into a fresh database gives back
every row and every uploaded file.

The source is the pytest test database with a little committed data (two sites, two
technicians with their tier history, three logins, a KPI snapshot, the data migrations' rows);
the target is a scratch database created for the test and dropped after it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from metrics import services
from tests.reliability.processes import ROOT, database_url, missing_service, require_postgres

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCRIPTS = ROOT / "scripts"


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the project's own scripts, fixed arguments
        [str(SCRIPTS / script), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def admin_connection() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=True,
    )


def row_counts(url_or_name: str) -> dict[str, int]:
    """Rows of every table in the public schema of the database ``url_or_name``."""
    with psycopg.connect(url_or_name) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]
        return {
            table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            for table in tables
        }


@pytest.fixture
def scratch_database():
    """An empty database beside the test database; its URL."""
    require_postgres()
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        missing_service("pg_dump/pg_restore are not installed (apt-get install postgresql-client).")
    name = f"{connection.settings_dict['NAME']}_restore"
    with admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield database_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def seeded(tech_a, tech_b, manager_user, hr_user, admin_user, tmp_path):
    services.kpi_snapshots_compute(site_id=tech_a.site_id, months=[tech_a.hire_date], today=tech_a.hire_date)
    media = tmp_path / "media"
    (media / "evidence" / "2025").mkdir(parents=True)
    (media / "evidence" / "2025" / "cpht-A-1.pdf").write_bytes(b"%PDF-1.4 certificate of Alice Archer\n")
    return media


def test_a_backup_restores_into_a_fresh_database_with_every_row_and_file(seeded, scratch_database, tmp_path):
    source = database_url()
    backups = tmp_path / "backups"

    made = run("backup.sh", str(backups), env={"DATABASE_URL": source, "MEDIA_ROOT": str(seeded), "BACKUP_STAMP": "T1"})
    assert made.returncode == 0, made.stderr
    dump, archive = backups / "careerladder-T1.dump", backups / "media-T1.tar.gz"
    assert made.stdout.split() == [str(dump), str(archive)]
    assert sorted(p.name for p in backups.iterdir()) == ["careerladder-T1.dump", "media-T1.tar.gz"]

    restored_media = tmp_path / "restored-media"
    restored = run(
        "restore.sh",
        str(dump),
        str(archive),
        env={"TARGET_DATABASE_URL": scratch_database, "MEDIA_ROOT": str(restored_media), "DATABASE_URL": ""},
    )
    assert restored.returncode == 0, restored.stderr

    before, after = row_counts(source), row_counts(scratch_database)
    assert after == before
    assert (before["technicians_site"], before["technicians_technician"], before["technicians_user"]) == (2, 2, 3)
    assert (before["tiers_tierassignment"], before["metrics_kpisnapshot"]) == (2, 1)
    assert before["django_migrations"] > 0 and before["tiers_tier"] > 0  # schema history and seeded ladder
    evidence = restored_media / "evidence" / "2025" / "cpht-A-1.pdf"
    assert evidence.read_bytes() == b"%PDF-1.4 certificate of Alice Archer\n"

    # Restoring again over the restored database replaces it rather than failing or duplicating.
    again = run("restore.sh", str(dump), env={"TARGET_DATABASE_URL": scratch_database, "DATABASE_URL": ""})
    assert again.returncode == 0, again.stderr
    assert row_counts(scratch_database) == before


def test_backup_refuses_a_database_that_is_not_postgres(tmp_path):
    made = run("backup.sh", str(tmp_path / "b"), env={"DATABASE_URL": "sqlite:///var/careerladder.sqlite3"})

    assert made.returncode == 2
    assert "DATABASE_URL is not a Postgres URL" in made.stderr
    assert not (tmp_path / "b").exists()


def test_restore_of_a_missing_dump_changes_nothing(tmp_path):
    restored = run(
        "restore.sh", str(tmp_path / "nothing.dump"), env={"TARGET_DATABASE_URL": "postgres://x@127.0.0.1/none"}
    )

    assert restored.returncode == 2
    assert restored.stderr.strip() == f"restore.sh: no such dump: {tmp_path / 'nothing.dump'}"


def test_the_scripts_are_executable():
    for script in ("backup.sh", "restore.sh"):
        assert os.access(Path(SCRIPTS / script), os.X_OK), script
