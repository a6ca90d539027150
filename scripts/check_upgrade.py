"""Upgrade check: a database made by the code before the app split migrates with every row intact.

Run by CI (``.ci/run``) and by hand::

    .venv/bin/python scripts/check_upgrade.py [--from COMMIT] [--database-url URL]

1. Exports the code at ``--from`` (default ``BASE_COMMIT``, the last commit before competencies
   and tracks moved out of ``tiers``) with ``git archive`` into a scratch folder under ``build/``.
2. Drops and creates the scratch database (``--database-url``, default ``DEFAULT_DATABASE_URL``);
   the old code migrates it and fills it with ``seed_demo``. The demo must leave rows in the
   tables the move touches (``REQUIRED_TABLES``): an empty table proves nothing.
3. Takes a snapshot of every table in the public schema: its row count and an md5 of its rows
   (each row as text, sorted), and counts rows per model through the old code's ORM.
4. Migrates the same database with the current code and takes the snapshot again.
5. Compares. Every table must come through with the same count and checksum of the columns it
   had (columns added since are new data; a column dropped or rewritten on purpose is named in
   ``EXPECTED_DROPPED_COLUMNS`` or ``EXPECTED_REWRITTEN_COLUMNS``, rows added on purpose in ``EXPECTED_ADDED_ROWS``), under its
   own name or renamed: a table ``<app>_<suffix>`` that is gone must match exactly one new table
   ``<other app>_<suffix>``. ``django_migrations`` is left out (it changes by design);
   ``django_content_type`` and ``auth_permission`` are compared by row count and ids, since the
   move relabels the moved models' content types to their new app (reported) while every
   content type and permission keeps its id and every model keeps its permissions; a content
   type is new only for a model that did not exist before (not for a moved one). Every
   sequence must still be ahead of its table's ids. ``migrate --check`` and
   ``makemigrations --check --dry-run`` must be clean, and the current code's ORM must count
   the same rows per model as the old code's did.

Exits 0 when everything matches, 1 with the reasons otherwise, 2 when the check could not run
(unknown commit, database unreachable, a command failed). Both codebases run with this
interpreter, an in-process cache and no broker (Celery runs tasks in process), so nothing
touches a shared Redis. The scratch folder is removed at the end; the database is left for a
look and dropped by the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

BASE_COMMIT = "fa6cc30"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/careerladder_upgrade"
SEED_DEMO_ARGS = ("--technicians", "60", "--sites", "3", "--years", "2", "--seed", "7")

REPO_ROOT = Path(__file__).resolve().parent.parent
# The tables of the base commit that the move touches: the demo must fill them.
REQUIRED_TABLES = (
    "tiers_competency",
    "tiers_checklistitem",
    "tiers_signoff",
    "tiers_historicalsignoff",
    "tiers_competencyround",
    "tiers_enrolment",
    "tiers_promotion",
    "tiers_track",
    "tiers_trackposition",
    "tiers_trackposition_required_competencies",
    "tiers_tier_required_competencies",
)
# Models counted through both ORMs that must have rows, wherever they live.
KEY_MODELS = ("Competency", "SignOff", "Enrolment", "Promotion")
# Not compared row by row: the migration history changes by design; content types and
# permissions are compared by count and ids (a moved model's content type is relabelled).
NOT_CHECKSUMMED = {
    "django_migrations": "changes by design",
    "django_content_type": "count and ids",
    "auth_permission": "count and ids",
}
# Rows the upgrade rewrites on purpose: before the comparison, the old snapshot's rows of the
# table get the same text replacement, so anything else that changed still fails.
# Columns later migrations drop on purpose (their data moved elsewhere), left out of both checksums.
EXPECTED_DROPPED_COLUMNS = {
    # competencies 0005: the tech-check-tech targets moved from the checklist item to the
    # per-state rule (competencies_tctrule), seeded from these values by 0004.
    "tiers_checklistitem": {"tct_min_checks", "tct_min_days", "tct_min_accuracy"},
    "tiers_historicalchecklistitem": {"tct_min_checks", "tct_min_days", "tct_min_accuracy"},
}
# Columns later migrations rewrite on purpose in existing rows, left out of both checksums.
EXPECTED_REWRITTEN_COLUMNS = {
    # competencies 0004 moves the later items of the sterile-compounding checklist down one
    # place to make room for the surface sample.
    "tiers_checklistitem": {"position"},
}
# Rows later migrations add on purpose: (rows, why). The rows that were there must be intact.
EXPECTED_ADDED_ROWS = {
    # competencies 0004: the surface sample of the compounding area after a media fill.
    "tiers_checklistitem": (1, "the USP <797> surface sample after a media fill"),
}
# The models those rows belong to, for the ORM's counts.
EXPECTED_ADDED_MODEL_ROWS = {"ChecklistItem": 1}
EXPECTED_REWRITES = {
    # incentives migration 0003: the nightly check's task lives in the incentives app now.
    "django_celery_beat_periodictask": (
        "certifications.tasks.incentive_triggers_nightly",
        "incentives.tasks.incentive_triggers_nightly",
    ),
}
# Printed once for each model, as the single line the check reads back.
ORM_PROBE = """
import json
from collections import defaultdict
from django.apps import apps
by_name = defaultdict(list)
for model in apps.get_models():
    by_name[model.__name__].append(model)
counts = {name: models[0]._base_manager.count() for name, models in by_name.items() if len(models) == 1}
apps_labels = sorted(config.label for config in apps.get_app_configs())
print("UPGRADE-CHECK " + json.dumps({"apps": apps_labels, "counts": counts}))
"""
ORM_MARKER = "UPGRADE-CHECK "
PROBLEMS_SHOWN = 60
STARTED = time.monotonic()


class CheckCannotRun(Exception):
    """Something the check needs is missing or failed: not a verdict on the upgrade."""


@dataclass
class Snapshot:
    tables: dict[str, tuple[int, str]]  # name -> (rows, md5 of the rows)
    columns: dict[str, list[str]]  # name -> the columns the checksum read
    max_ids: dict[str, int]  # name -> the highest id (tables with an integer "id")
    content_types: dict[int, tuple[str, str]]  # id -> (app_label, model)
    permissions: dict[int, tuple[str, int]]  # id -> (codename, content_type_id)
    sequences: dict[tuple[str, str], int]  # (table, column) -> next value


def progress(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


# --- the old code ---------------------------------------------------------------------------


def git(*args: str) -> str:
    git_binary = shutil.which("git")
    if git_binary is None:
        raise CheckCannotRun("git is not installed")
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [git_binary, "-C", str(REPO_ROOT), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise CheckCannotRun(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def commit_resolve(ref: str) -> str:
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except CheckCannotRun:
        raise CheckCannotRun(
            f"commit {ref} is not in this clone's history (a shallow clone? `git fetch --unshallow`)"
        ) from None
    try:
        git("merge-base", "--is-ancestor", commit, "HEAD")
    except CheckCannotRun:
        raise CheckCannotRun(f"commit {ref} is not an ancestor of HEAD: there is no upgrade path from it") from None
    return commit


def tree_export(commit: str, destination: Path) -> None:
    git_binary = shutil.which("git")
    archive = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [git_binary, "-C", str(REPO_ROOT), "archive", commit], stdout=subprocess.PIPE
    )
    untar = subprocess.run(  # noqa: S603 (fixed arguments)
        [shutil.which("tar"), "-x", "-C", str(destination)], stdin=archive.stdout, check=False
    )
    archive.stdout.close()
    if archive.wait() != 0 or untar.returncode != 0:
        raise CheckCannotRun(f"git archive {commit} | tar -x failed")


# --- the database ---------------------------------------------------------------------------


def database_recreate(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise CheckCannotRun(f"refusing to drop the database {name!r}: give a scratch database")
    environment_url = os.environ.get("DATABASE_URL", "")
    if environment_url and urlsplit(environment_url).path.lstrip("/") == name:
        raise CheckCannotRun(f"refusing to drop {name!r}: it is the database DATABASE_URL points at")
    maintenance_url = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise CheckCannotRun(f"could not re-create the database {name!r}: {exc}") from exc


def _table_columns(connection: psycopg.Connection, table: str) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
            "ORDER BY ordinal_position",
            [table],
        )
    ]


def _checksum(connection, table: str, columns: list[str], *, rewrite=None, up_to_id: int | None = None):
    """(rows, md5 of the rows as text, sorted) reading ``columns`` only, optionally only the rows
    with ``id <= up_to_id`` (the rows that were there before)."""
    row_text = sql.SQL("ROW({})::text").format(sql.SQL(", ").join(sql.Identifier("t", c) for c in columns))
    if rewrite is not None:
        old, new = rewrite
        row_text = sql.SQL("replace({}, {}, {})").format(row_text, sql.Literal(old), sql.Literal(new))
    where = sql.SQL("")
    if up_to_id is not None:
        where = sql.SQL(" WHERE t.id <= {}").format(sql.Literal(up_to_id))
    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg({row}, '|' ORDER BY {row} COLLATE \"C\"), '')) FROM {table} AS t{where}"
    ).format(row=row_text, table=sql.Identifier(table), where=where)
    return connection.execute(query).fetchone()


def _connect(database_url: str) -> psycopg.Connection:
    connection = psycopg.connect(database_url)
    # The checksums read timestamps as text: one time zone and format for both snapshots.
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET DateStyle = 'ISO, YMD'")
    connection.execute("SET extra_float_digits = 1")
    return connection


def snapshot_take(database_url: str, *, rewrite: bool = False) -> Snapshot:
    """``rewrite``: apply ``EXPECTED_REWRITES`` to the rows first (the snapshot before the upgrade).
    Each table's checksum reads its columns but those in ``EXPECTED_DROPPED_COLUMNS``."""
    with _connect(database_url) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        tables, columns, max_ids = {}, {}, {}
        for name in names:
            if NOT_CHECKSUMMED.get(name) == "changes by design":
                continue
            left_out = EXPECTED_DROPPED_COLUMNS.get(name, set()) | EXPECTED_REWRITTEN_COLUMNS.get(name, set())
            read = [c for c in _table_columns(connection, name) if c not in left_out]
            columns[name] = read
            if "id" in read:
                top = connection.execute(sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(name))).fetchone()[0]
                if isinstance(top, int):
                    max_ids[name] = top
            tables[name] = _checksum(connection, name, read, rewrite=EXPECTED_REWRITES.get(name) if rewrite else None)
        content_types = {
            pk: (app_label, model)
            for pk, app_label, model in connection.execute("SELECT id, app_label, model FROM django_content_type")
        }
        permissions = {
            pk: (codename, content_type_id)
            for pk, codename, content_type_id in connection.execute(
                "SELECT id, codename, content_type_id FROM auth_permission"
            )
        }
        return Snapshot(tables, columns, max_ids, content_types, permissions, sequences_read(connection))


def legacy_checksums(database_url: str, before: Snapshot, after: Snapshot, renames: dict, problems: list[str]):
    """Each table of ``before`` read again after the upgrade with the columns it had then (the
    columns added since are new data), and only its old rows where rows were added on purpose.
    Returns name after the upgrade -> (rows, md5); a column that vanished unannounced is a problem."""
    found = {}
    with _connect(database_url) as connection:
        for table, read in before.columns.items():
            target = table if table in after.tables else renames.get(table)
            if not isinstance(target, str) or table in NOT_CHECKSUMMED:
                continue
            now = set(_table_columns(connection, target))
            missing = [c for c in read if c not in now]
            if missing:
                problems.append(f"{target}: columns {', '.join(missing)} are gone and not announced")
                continue
            up_to = before.max_ids.get(table) if table in EXPECTED_ADDED_ROWS else None
            found[target] = _checksum(connection, target, read, up_to_id=up_to)
    return found


def sequences_read(connection: psycopg.Connection) -> dict[tuple[str, str], int]:
    """(table, column) -> the next value its sequence hands out."""
    sequences = {}
    columns = connection.execute(
        "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
    ).fetchall()
    for table, column, sequence in columns:
        if sequence is None:
            continue
        last_value, is_called = connection.execute(
            sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(*sequence.split(".", 1)))
        ).fetchone()
        sequences[(table, column)] = last_value + 1 if is_called else last_value
    return sequences


# --- running a codebase ---------------------------------------------------------------------


def code_environment(database_url: str, scratch: Path) -> dict[str, str]:
    environment = dict(os.environ)
    # Each codebase picks its own default settings module.
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.update(
        {
            "DATABASE_URL": database_url,
            # Set rather than unset, so that a .env file beside the code cannot bring Redis back.
            "CACHE_URL": "locmemcache://upgrade-check",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
            "CELERY_RESULT_BACKEND": "",
            "SECRET_KEY": "upgrade-check-scratch-database-only",
            "DEBUG": "false",
            "MEDIA_ROOT": str(scratch / "media"),
        }
    )
    return environment


def manage(code: Path, environment: dict[str, str], *args: str, allow_failure: bool = False):
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=code,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 and not allow_failure:
        output = (result.stdout + result.stderr).strip().splitlines()
        print("\n".join(f"    | {line}" for line in output[-40:]), flush=True)
        raise CheckCannotRun(f"manage.py {' '.join(args)} failed in {code} (exit {result.returncode})")
    return result


def orm_probe(code: Path, environment: dict[str, str]) -> dict:
    result = manage(code, environment, "shell", "--no-imports", "-v", "0", "-c", ORM_PROBE)
    for line in result.stdout.splitlines():
        if line.startswith(ORM_MARKER):
            return json.loads(line[len(ORM_MARKER) :])
    raise CheckCannotRun("the ORM probe printed no counts")


# --- comparing ------------------------------------------------------------------------------


def renames_derive(gone: set[str], new: set[str], old_apps: list[str], current_apps: list[str]) -> dict:
    """gone table -> new table, or -> a list of candidates when there is not exactly one."""
    renames = {}
    for table in sorted(gone):
        prefixes = [label for label in old_apps if table.startswith(f"{label}_")]
        if not prefixes:
            renames[table] = []
            continue
        suffix = table[len(max(prefixes, key=len)) + 1 :]
        candidates = sorted(f"{label}_{suffix}" for label in current_apps if f"{label}_{suffix}" in new)
        renames[table] = candidates[0] if len(candidates) == 1 else candidates
    return renames


def tables_compare(
    before: Snapshot, after: Snapshot, renames: dict, problems: list[str], *, legacy: dict, expected_extra: dict
) -> list[tuple]:
    """``legacy``: the after-upgrade checksums over the columns each table had before;
    ``expected_extra``: table -> rows added on purpose (new content types and permissions too)."""
    rows = []
    for table, (count_before, checksum_before) in sorted(before.tables.items()):
        target = table if table in after.tables else renames.get(table)
        label = table if target == table else f"{table} -> {target}"
        if not isinstance(target, str):
            reason = f"several candidates {', '.join(target)}" if target else "no table took its place"
            problems.append(f"{table} ({count_before} rows) is gone: {reason}")
            rows.append((table, count_before, "-", "FAIL: gone"))
            continue
        count_after = after.tables[target][0]
        checksum_after = legacy.get(target, after.tables[target])[1]
        extra = expected_extra.get(table, 0)
        if count_after != count_before + extra:
            verdict = "FAIL: rows"
            added = f" ({extra} added on purpose)" if extra else ""
            problems.append(f"{label}: {count_before} rows before, {count_after} after{added}")
        elif table in NOT_CHECKSUMMED:
            verdict = f"ok ({NOT_CHECKSUMMED[table]})"
        elif checksum_after != checksum_before:
            verdict = "FAIL: content"
            problems.append(f"{label}: same {count_after} rows, but their content changed")
        else:
            verdict = f"ok (+{extra} new)" if extra else "ok"
        rows.append((label, count_before, count_after, verdict))
    return rows


def sequences_compare(before: Snapshot, after: Snapshot, renames: dict, problems: list[str]) -> None:
    """A table recreated or a sequence reset would hand out ids that rows already have."""
    for (table, column), next_before in sorted(before.sequences.items()):
        target = table if table in after.tables else renames.get(table)
        if not isinstance(target, str):
            continue  # reported with the tables
        next_after = after.sequences.get((target, column))
        if next_after is None:
            problems.append(f"{target}.{column} lost its sequence (the next id was {next_before})")
        elif next_after < next_before:
            problems.append(f"{target}.{column}: the next id went back from {next_before} to {next_after}")


def new_models(before: Snapshot, after: Snapshot) -> tuple[set[int], int]:
    """Content types of models that did not exist before (not moved ones), and how many
    permissions they brought."""
    models_before = {model for _, model in before.content_types.values()}
    fresh = {pk for pk, (_, model) in after.content_types.items() if pk not in before.content_types}
    fresh = {pk for pk in fresh if after.content_types[pk][1] not in models_before}
    return fresh, sum(1 for _, ct in after.permissions.values() if ct in fresh)


def content_types_compare(before: Snapshot, after: Snapshot, problems: list[str], added: list[str]) -> list[str]:
    """Relabelled content types (reported); ``added`` collects those of new models."""
    relabelled = []
    for pk, (app_label, model) in sorted(before.content_types.items()):
        if pk not in after.content_types:
            problems.append(f"content type {pk} ({app_label}.{model}) is gone")
            continue
        app_after, model_after = after.content_types[pk]
        if model_after != model:
            problems.append(f"content type {pk} was {app_label}.{model}, is now {app_after}.{model_after}")
        elif app_after != app_label:
            relabelled.append(f"{app_label}.{model} -> {app_after}.{model} (id {pk})")
    models_before = {model for _, model in before.content_types.values()}
    for pk in sorted(set(after.content_types) - set(before.content_types)):
        app_label, model = after.content_types[pk]
        if model in models_before:
            problems.append(
                f"content type {pk} ({app_label}.{model}) is new: the moved model's old one was not relabelled?"
            )
        else:
            added.append(f"{app_label}.{model} (id {pk})")

    def per_app_model(snapshot: Snapshot) -> Counter:
        return Counter(snapshot.content_types[ct] for _, ct in snapshot.permissions.values())

    counts_before, counts_after = per_app_model(before), per_app_model(after)
    after_by_model = {}
    for app_label, model in counts_after:
        after_by_model.setdefault(model, []).append(app_label)
    for (app_label, model), count in sorted(counts_before.items()):
        apps_now = [app_label] if (app_label, model) in counts_after else after_by_model.get(model, [])
        if len(apps_now) != 1:
            problems.append(
                f"permissions of {app_label}.{model}: {count} before, found under {apps_now or 'no app'} after"
            )
        elif counts_after[(apps_now[0], model)] != count:
            problems.append(
                f"permissions of {app_label}.{model}: {count} before, {counts_after[(apps_now[0], model)]} "
                f"under {apps_now[0]}.{model} after"
            )
    for pk, (codename, content_type) in sorted(before.permissions.items()):
        now = after.permissions.get(pk)
        model_before = before.content_types[content_type][1]
        if now is None:
            problems.append(f"permission {pk} ({codename}) is gone")
        elif now[0] != codename or after.content_types.get(now[1], ("", ""))[1] != model_before:
            problems.append(f"permission {pk} was {codename} on {model_before}, is now {now[0]}")
    return relabelled


def orm_compare(before: dict, after: dict, problems: list[str], *, expected_extra: dict) -> list[tuple]:
    rows = []
    for name in KEY_MODELS:
        for probe, when in ((before, "the old code"), (after, "the current code")):
            if name not in probe["counts"]:
                problems.append(f"{when} has no single model named {name}")
            elif probe["counts"][name] == 0:
                problems.append(f"{when} counts no {name} rows: the demo data proves nothing")
    for name in sorted(set(before["counts"]) & set(after["counts"])):
        count_before, count_after = before["counts"][name], after["counts"][name]
        expected = count_before + expected_extra.get(name, 0)
        if count_after != expected:
            problems.append(f"ORM: {count_before} {name} before, {count_after} after (expected {expected})")
        if name in KEY_MODELS or count_before != count_after:
            rows.append((name, count_before, count_after, "ok" if count_after == expected else "FAIL"))
    return rows


def table_print(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = [
            str(cell).ljust(width) if i in (0, 3) else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  " + "  ".join(cells).rstrip())


# --- the check ------------------------------------------------------------------------------


def upgrade_check(base: str, database_url: str) -> list[str]:
    commit = commit_resolve(base)
    subject = git("log", "-1", "--format=%h %s", commit)
    head = git("log", "-1", "--format=%h %s", "HEAD")
    build = REPO_ROOT / "build"
    build.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="upgrade-check-", dir=build))
    try:
        old_code = scratch / "code"
        old_code.mkdir()
        progress(f"exporting {subject[:90]}")
        tree_export(commit, old_code)
        environment = code_environment(database_url, scratch)

        progress(f"re-creating the database {urlsplit(database_url).path.lstrip('/')}")
        database_recreate(database_url)
        progress("old code: migrate")
        manage(old_code, environment, "migrate", "--noinput", "-v", "0")
        progress(f"old code: seed_demo {' '.join(SEED_DEMO_ARGS)}")
        manage(old_code, environment, "seed_demo", *SEED_DEMO_ARGS)
        progress("old code: counting rows through the ORM")
        orm_before = orm_probe(old_code, environment)
        progress("snapshot before the upgrade")
        before = snapshot_take(database_url, rewrite=True)
        rows_before = sum(count for count, _ in before.tables.values())
        progress(f"  {len(before.tables)} tables, {rows_before} rows")
        empty = [table for table in REQUIRED_TABLES if before.tables.get(table, (0, ""))[0] == 0]
        if empty:
            raise CheckCannotRun(
                f"the demo data left these tables missing or empty, which proves nothing: {', '.join(empty)}"
            )

        progress(f"current code ({head[:80]}): migrate")
        applied = manage(REPO_ROOT, environment, "migrate", "--noinput").stdout
        for line in applied.splitlines():
            if line.strip().startswith("Applying"):
                print(f"    {line.strip()}", flush=True)
        progress("snapshot after the upgrade")
        after = snapshot_take(database_url)
        progress("current code: counting rows through the ORM")
        orm_after = orm_probe(REPO_ROOT, environment)

        problems: list[str] = []
        progress("current code: migrate --check, makemigrations --check --dry-run")
        pending = manage(REPO_ROOT, environment, "migrate", "--check", allow_failure=True)
        if pending.returncode != 0:
            problems.append(f"migrate --check: migrations still pending\n{pending.stdout.strip()}")
        changes = manage(REPO_ROOT, environment, "makemigrations", "--check", "--dry-run", allow_failure=True)
        if changes.returncode != 0:
            problems.append(f"makemigrations --check: models differ from the migrations\n{changes.stdout.strip()}")

        gone = set(before.tables) - set(after.tables)
        new = set(after.tables) - set(before.tables)
        renames = renames_derive(gone, new, orm_before["apps"], orm_after["apps"])
        legacy = legacy_checksums(database_url, before, after, renames, problems)
        fresh, fresh_permissions = new_models(before, after)
        expected_tables = {table: rows for table, (rows, _) in EXPECTED_ADDED_ROWS.items()}
        expected_tables.update({"django_content_type": len(fresh), "auth_permission": fresh_permissions})
        report = tables_compare(before, after, renames, problems, legacy=legacy, expected_extra=expected_tables)
        added_models: list[str] = []
        relabelled = content_types_compare(before, after, problems, added_models)
        expected_models = dict(EXPECTED_ADDED_MODEL_ROWS)
        expected_models.update({"ContentType": len(fresh), "Permission": fresh_permissions})
        orm_rows = orm_compare(orm_before, orm_after, problems, expected_extra=expected_models)
        sequences_compare(before, after, renames, problems)

        print(f"\nTables (rows before and after; content compared by checksum), from {commit[:10]}:", flush=True)
        table_print(("table", "before", "after", "ok"), report)
        taken = {target for target in renames.values() if isinstance(target, str)}
        for table in sorted(new - taken):
            print(f"  new table {table}: {after.tables[table][0]} rows")
        print("\nContent types relabelled:" if relabelled else "\nContent types relabelled: none")
        for line in relabelled:
            print(f"  {line}")
        print(f"\nContent types of models new since {commit[:10]}: {', '.join(added_models) or 'none'}")
        for table, (rows, why) in EXPECTED_ADDED_ROWS.items():
            print(f"Rows added on purpose to {table}: {rows} ({why})")
        print("\nRows per model through the ORM (key models, and any that differ):")
        table_print(("model", "before", "after", "ok"), orm_rows)
        print(f"\nSequences: {len(before.sequences)} compared (the next id may not go back)", flush=True)
        return problems
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--from", dest="base", default=BASE_COMMIT, help=f"the old code's commit (default {BASE_COMMIT})"
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"the scratch Postgres database, dropped and re-created (default {DEFAULT_DATABASE_URL})",
    )
    options = parser.parse_args(argv)
    try:
        problems = upgrade_check(options.base, options.database_url)
    except CheckCannotRun as exc:
        print(f"\nupgrade check could not run: {exc}", file=sys.stderr, flush=True)
        return 2
    elapsed = time.monotonic() - STARTED
    if problems:
        print(f"\nupgrade check FAILED ({len(problems)} problems, {elapsed:.0f} s):", flush=True)
        for problem in problems[:PROBLEMS_SHOWN]:
            print(f"  - {problem}")
        if len(problems) > PROBLEMS_SHOWN:
            print(f"  ... and {len(problems) - PROBLEMS_SHOWN} more")
        return 1
    print(f"\nupgrade check passed in {elapsed:.0f} s: every table and row came through the upgrade intact", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
