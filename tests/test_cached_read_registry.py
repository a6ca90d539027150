"""The registry of cached reads (``careerladder.core.versions.CACHED_READS``) and the writes
that must move the versions those reads are keyed on.

A cached read is only as fresh as the versions in its key: a write that moves no version, or
not the one a read is keyed on, leaves that read stale for ``CACHED_READ_SECONDS`` without any
error (a mentor's /me/ said "You mentor 1 technician" for ten minutes after the mentee at another
site left). These tests fail when that can happen:

- the registry: every call site names a registered read, asked for under versions its entry
  declares, and each entry's dependencies are covered by a version its key includes
  (``versions.registry_problems``); each read, computed for real, reads only tables of the
  models its entry declares (or of the models listed in ``NOT_VERSIONED`` as shown by no cached
  read, which this checks too);
- every model of the project's apps is tracked by the version mechanism or listed in
  ``NOT_VERSIONED`` with the reason; a new model fails until it is one or the other;
- every tracked model, written through the ORM (create, update, delete, many-to-many links),
  moves exactly the versions of what it belongs to: the sites of the technicians it points to
  (site data) or the configuration's (everything else), and no other site's;
- writes that send no model signal (``bulk_create``, ``bulk_update``, ``QuerySet.update``,
  ``_raw_delete``, ``COPY``, raw SQL) are found in the application code by reading its syntax
  tree: the function that makes one must call ``touch_sites``/``touch_all``/``touch_config``,
  itself or through every caller in its module, or be in ``UNSIGNALLED_WRITES`` with the function
  that does and why (demo modules: ``demo_data_create``);
- the three imports (technicians, certifications, CE credits) move every version on, a dry run
  none;
- the Django admin: a change form saved and the "delete selected" action, for every tracked
  model the admin offers;
- data migrations (decision): ``RunPython`` writes through historical models, whose saves reach
  no receiver of the version mechanism, and the cache (Redis) outlives a release, so a data
  migration alone would leave the previous release's entries current. Neither "versions start
  from the clock when missing" (Redis keeps them across a deploy) nor "data migrations only run
  before a cache exists" (``technicians 0004`` filled a column on live data) holds, so
  ``migrate`` itself moves every version on once it has applied anything
  (``versions.on_post_migrate``, as ``flush`` does); a ``migrate`` with nothing to apply, run by
  every deploy, moves none. Checked for each ``RunPython`` migration of the project, forwards
  and backwards;
- the mentor link across sites, in both directions (the page-level regression is
  ``tests/test_cached_reads.py::test_a_mentors_page_follows_a_mentee_at_another_site``).

Models are found by class name or through ``versions``' own categories, never by app label:
they move between apps.
"""

from __future__ import annotations

import ast
import builtins
import datetime as dt
import decimal
import itertools
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careerladder.core import versions
from tests.factories import SiteFactory, TechnicianFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
TOUCHES = {"touch_sites", "touch_all", "touch_config"}

# Models of the project's apps that no version follows, and why no cached read needs one.
NOT_VERSIONED = {
    "User": "a login: see versions.UNVERSIONED_READS (what decides a viewer's content is in every key)",
    "ImportRun": "an import's bookkeeping: the imports page reads it live",
    "UserSession": "login security's session bookkeeping",
    "KpiSnapshot": "stored KPI figures: the dashboard tiles and trends read them live; the cached KPIs compute",
    "KpiRun": "a recompute request's progress, read live",
    "Notification": "in-app notices, read live",
    "Digest": "e-mail digests' bookkeeping",
    "CalendarFeed": "calendar feed tokens",
}
# Audit history (simple_history): written with every tracked write; the history page reads it live.
HISTORY_REASON = "audit history, read live by the history pages"


def is_history(model) -> bool:
    return hasattr(model, "instance_type")  # simple_history's historical models


def project_app_configs():
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(BASE_DIR) and ".venv" not in Path(config.path).parts
    ]


def project_models():
    return [model for config in project_app_configs() for model in config.get_models()]


def model_named(name: str):
    found = [model for model in apps.get_models() if model.__name__ == name]
    assert len(found) == 1, f"{len(found)} models named {name}"
    return found[0]


TRACKED = sorted(model.__name__ for model in versions.tracked_models())


# ---- versions ----------------------------------------------------------------------------------


def versions_of(sites: dict) -> dict[str, int]:
    """The current versions: the configuration's, the organisation's, the one of every version
    (``all``), and each site's under its label."""
    keys = {"config": versions.CONFIG_KEY, "org": versions.ORG_KEY, "all": versions.ALL_KEY}
    keys |= {label: versions._site_key(site.pk) for label, site in sites.items()}
    values = versions._read(list(keys.values()))
    return {label: values[key] for label, key in keys.items()}


def moved(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {label for label in before if before[label] != after[label]}


@pytest.fixture(autouse=True)
def _cached_reads_on(settings):
    settings.CACHED_READ_SECONDS = 600


# ---- the registry --------------------------------------------------------------------------------


def test_every_entry_of_the_registry_is_covered_by_the_versions_it_is_keyed_on():
    assert versions.registry_problems() == []


def test_a_wrong_declaration_is_reported(monkeypatch):
    config_only = frozenset({versions.CONFIG_VERSION})
    wrong = {
        # The kind of mistake: site data under a key without any site's version.
        "site-data-in-config-key": versions.CachedRead("x", (versions.SITE_DATA,), config_only),
        "link-nobody-follows": versions.CachedRead(
            "x", (versions.Across("Technician", "site", "target"),), frozenset({versions.GIVEN_SITES})
        ),
        "no-such-field": versions.CachedRead(
            "x", (versions.Across("Technician", "buddy", "target"),), frozenset({versions.GIVEN_SITES})
        ),
        "not-a-version": versions.CachedRead("x", (), frozenset({"the weather"})),
        "not-a-category": versions.CachedRead("x", ("Technician",), config_only),
    }
    for name, entry in wrong.items():
        monkeypatch.setitem(versions.CACHED_READS, name, entry)

    problems = "\n".join(versions.registry_problems())

    assert "site-data-in-config-key: reads site data but its key has no site's version" in problems
    assert "link-nobody-follows: reads Technician.site (target, at any site), which does not point to a technician" in (
        problems
    )
    assert "link-nobody-follows: reads Technician.site (target, at any site), a link that writes do not follow" in (
        problems
    )
    assert "no-such-field: reads Technician.buddy (target, at any site), which is not a field of a model" in problems
    assert "not-a-version: keyed on ['the weather'], which are not versions" in problems
    assert "not-a-version: every key contains the configuration's version; declare it" in problems
    assert "not-a-category: reads 'Technician', which is neither SITE_DATA, CONFIGURATION nor Across" in problems


def test_a_model_whose_writes_move_no_version_is_reported(monkeypatch):
    configuration = next(m for m in versions.tracked_models() if not versions.is_site_data(m))
    monkeypatch.setattr(versions, "_tracked", versions._tracked - {configuration})

    problems = versions.registry_problems()

    assert f"ladder: reads {configuration._meta.label}, whose writes move no version" in problems


def test_an_unregistered_name_is_refused_by_every_kind_of_cached_read(site_a):
    for ask in (
        lambda: versions.cached("no-such-read", scope=None, site_ids=[site_a.pk], parts=[], compute=lambda: 1),
        lambda: versions.cached_by_bucket("no-such-read", site_ids=[site_a.pk], parts=[], compute=lambda ids: {}),
        lambda: versions.config_memo("no-such-read", lambda: 1),
    ):
        with pytest.raises(versions.CachedReadError, match="'no-such-read' is not registered: add it to CACHED_READS"):
            ask()


def test_a_read_asked_for_under_versions_its_entry_does_not_declare_is_refused(site_a, settings):
    settings.CACHED_READ_SECONDS = 0  # refused even when nothing is cached
    with pytest.raises(versions.CachedReadError, match="'ladder' is asked for under given sites"):
        versions.cached("ladder", scope=None, site_ids=[site_a.pk], parts=[], compute=lambda: 1)
    with pytest.raises(
        versions.CachedReadError,
        match=r"'exit-reasons' reads more than the configuration: config_memo\(\) cannot keep it",
    ):
        versions.config_memo("exit-reasons", lambda: 1)
    with pytest.raises(versions.CachedReadError, match="'me' is asked for under groups of sites"):
        versions.cached_by_bucket("me", site_ids=[site_a.pk], parts=[], compute=lambda ids: {})


def test_a_name_built_from_parameters_is_registered_by_its_prefix():
    assert versions.registered("matrix-columns:competency:") is versions.CACHED_READS["matrix-columns:*"]
    with pytest.raises(versions.CachedReadError):
        versions.registered("matrix-rows:competency:")


# ---- the call sites ------------------------------------------------------------------------------


def application_files() -> list[Path]:
    """The Python files of the project's apps (and the settings package), without migrations."""
    roots = {Path(config.path) for config in project_app_configs()} | {BASE_DIR / "careerladder"}
    files = {
        path
        for root in roots
        for path in root.rglob("*.py")
        if "migrations" not in path.relative_to(BASE_DIR).parts and ".venv" not in path.parts
    }
    return sorted(files)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(BASE_DIR).with_suffix("").parts)


def cached_read_calls():
    """(where, entry point, name node, keywords) of every call of ``versions.cached``,
    ``cached_by_bucket`` and ``config_memo`` in the application code."""
    for path in application_files():
        if path == BASE_DIR / "careerladder" / "core" / "versions.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "versions"
                and node.func.attr in ("cached", "cached_by_bucket", "config_memo")
            ):
                yield f"{path.relative_to(BASE_DIR)}:{node.lineno}", node.func.attr, node.args[0], node.keywords


def test_every_call_site_names_a_registered_read_under_versions_it_declares():
    """Read from the source, so that a call no test reaches is checked too: the name is a
    literal (or an f-string whose literal start is a registered ``prefix:``), and the versions
    the call asks for are among those its entry declares."""
    seen = set()
    problems = []
    for where, entry_point, name, keywords in cached_read_calls():
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            literal = name.value
        elif isinstance(name, ast.JoinedStr) and isinstance(name.values[0], ast.Constant):
            literal = name.values[0].value + "x"  # an f-string: its literal start names the pattern
        else:
            problems.append(f"{where}: the read's name is not written out")
            continue
        try:
            entry = versions.registered(literal)
        except versions.CachedReadError as exc:
            problems.append(f"{where}: {exc}")
            continue
        seen.add(next(key for key, value in versions.CACHED_READS.items() if value is entry))
        if entry_point == "config_memo":
            asked = versions.CONFIG_VERSION
        elif entry_point == "cached_by_bucket":
            asked = versions.SITE_BUCKETS
        else:
            site_ids = next((k.value for k in keywords if k.arg == "site_ids"), None)
            if site_ids is None:
                asked = versions.VIEWER_SITES
            elif isinstance(site_ids, ast.Constant) and site_ids.value is None:
                asked = versions.ORGANISATION
            else:  # an expression: given sites, or None at run time (checked there)
                asked = versions.GIVEN_SITES
        if asked not in entry.keyed_on:
            problems.append(f"{where}: asks for {literal!r} under {asked}, not declared in CACHED_READS")
    assert problems == []
    # Every entry but the rules' own test read is used somewhere: no entry outlives its read.
    assert set(versions.CACHED_READS) - seen == {"rule-test"}


# ---- what each read really reads -----------------------------------------------------------------


def _tables_to_models() -> dict[str, type[models.Model]]:
    """Table name -> the model whose versions cover it (a many-to-many table: its owner's)."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        owner = model._meta.auto_created or model
        tables[model._meta.db_table] = owner
    return tables


def declared_models(entry: versions.CachedRead) -> set:
    declared = set()
    for dependency in entry.reads:
        if isinstance(dependency, versions.Across):
            declared.add(model_named(dependency.model))
        else:
            declared |= set(versions.models_read(dependency))
    return declared


@pytest.fixture
def reads_of_every_page(monkeypatch, site_a, site_b, tech_a, tech_b, users):
    """Each registered read's computation, run for real from the pages that show it, with the
    models whose tables it read (``{name: set of models}``)."""
    tables = _tables_to_models()
    read: dict[str, set] = defaultdict(set)
    table_name = re.compile(r'"([A-Za-z0-9_]+)"')

    def spy(original):
        def ask(name, *args, **kwargs):
            key = next(k for k, v in versions.CACHED_READS.items() if v is versions.registered(name))
            compute = kwargs.pop("compute") if "compute" in kwargs else args[0]

            def recorded(*compute_args):
                with CaptureQueriesContext(connection) as ctx:
                    value = compute(*compute_args)
                for query in ctx.captured_queries:
                    read[key] |= {tables[t] for t in table_name.findall(query["sql"]) if t in tables}
                return value

            if "compute" in kwargs or not args:
                return original(name, *args, compute=recorded, **kwargs)
            return original(name, recorded, *args[1:], **kwargs)

        return ask

    for entry_point in ("cached", "cached_by_bucket", "config_memo"):
        monkeypatch.setattr(versions, entry_point, spy(getattr(versions, entry_point)))
    versions._memo.clear()
    TechnicianFactory(site=site_a, first_name="Theo", tier="TECH3", hire_date=dt.date(2023, 1, 9))
    period = {"start": "2025-01-01", "end": "2025-03-31"}
    pages = [
        ("technician", "/me/", None),
        ("evaluator", "/me/", None),
        ("manager", "/dashboard/", None),
        ("manager", "/dashboard/", {"site": site_a.pk}),
        ("manager", "/training/matrix/", None),
        ("manager", "/technicians/", None),
        ("manager", "/technicians/new/", None),
        ("manager", "/api/v1/technicians/", None),
        ("manager", "/api/v1/kpis/", period),
        ("hr", "/dashboard/", None),
        ("hr", "/api/v1/kpis/", period),
        ("hr", "/reports/", period),
        ("hr", "/ladder/", None),
    ]
    for role, url, params in pages:
        client = Client()
        client.force_login(users[role])
        response = client.get(url, params or {})
        assert response.status_code == 200, (role, url, response.status_code)
    return read


def test_each_read_reads_only_the_models_its_entry_declares(reads_of_every_page):
    """Computed for real, each read touches only tables of the models its entry declares (its
    categories, its links across sites, its ``unversioned`` models): a query that joins a new
    model, or a read that starts showing logins, fails here until its entry says so."""
    assert set(reads_of_every_page) == set(versions.CACHED_READS) - {"rule-test"}, "a read no page here asks for"
    undeclared = {}
    for name, read in reads_of_every_page.items():
        entry = versions.CACHED_READS[name]
        extra = read - declared_models(entry) - {model_named(m) for m in entry.unversioned}
        if extra:
            undeclared[name] = sorted(m._meta.label for m in extra)
    assert undeclared == {}
    # And an entry that says it shows a login's name does.
    for name, read in reads_of_every_page.items():
        assert {model_named(m) for m in versions.CACHED_READS[name].unversioned} <= read, name


# ---- every model is tracked or ignored with its reason -------------------------------------------


def test_every_model_of_the_project_is_tracked_or_ignored_with_a_reason():
    tracked = set(versions.tracked_models())
    forgotten = [
        model._meta.label
        for model in project_models()
        if model not in tracked and not is_history(model) and model.__name__ not in NOT_VERSIONED
    ]
    assert forgotten == [], "track these models (versions.CAREER_APPS) or add them to NOT_VERSIONED with the reason"
    names = {model.__name__ for model in project_models()}
    assert set(NOT_VERSIONED) <= names, "NOT_VERSIONED names a model that no longer exists"
    assert not {model.__name__ for model in tracked} & set(NOT_VERSIONED)
    assert all(NOT_VERSIONED.values()) and HISTORY_REASON


# ---- writes through the ORM ----------------------------------------------------------------------

SEQUENCE = itertools.count(1)


class World:
    """Three sites; a technician at A and one at B (a record with two technicians gets both: a
    sign-off's evaluator, a meeting's mentor); a login. C is the unrelated site."""

    def __init__(self):
        self.sites = {"A": SiteFactory(code="REG-A"), "B": SiteFactory(code="REG-B"), "C": SiteFactory(code="REG-C")}
        self.techs = [TechnicianFactory(site=self.sites["A"]), TechnicianFactory(site=self.sites["B"])]
        self.user = UserFactory(username="registry-writer")


@pytest.fixture
def world(db):
    return World()


def _value(field):
    """A valid value for a required field without a default."""
    n = next(SEQUENCE)
    if field.choices:
        return field.flatchoices[0][0]
    if isinstance(field, models.EmailField):
        return f"registry{n}@example.org"
    if isinstance(field, models.URLField):
        return "https://example.org/"
    if isinstance(field, models.CharField):
        return f"R{n}"[: field.max_length]
    if isinstance(field, models.TextField):
        return "Registry test"
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return dt.date(2024, 6, 1)
    if isinstance(field, models.TimeField):
        return dt.time(9, 0)
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return decimal.Decimal("1")
    if isinstance(field, models.FloatField):
        return 1.0
    if isinstance(field, models.IntegerField):  # and its small, big and positive kinds
        return 1000 + n if field.unique else 1
    if isinstance(field, models.DurationField):
        return dt.timedelta(hours=1)
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.FileField):
        return f"registry/{n}.pdf"
    raise AssertionError(f"Teach _value() a {type(field).__name__} ({field.model.__name__}.{field.name})")


# Values a generic instance cannot guess (by model class name): the models' check constraints.
OVERRIDES = {
    "MentoringMeeting": lambda world: {"minutes": 30},
    # Each technician has its open hire assignment already: this one is closed, earlier.
    "TierAssignment": lambda world: {"start_date": dt.date(2023, 1, 2), "end_date": dt.date(2023, 6, 1)},
    "OrgPolicy": lambda world: {"pk": 1},
    # ACPE CE has its UAN (a check constraint); CE without one is a college or non-ACPE credit.
    "CECredit": lambda world: {"uan": "0145-0000-24-001-H01-T", "source": "acpe"},
    "CompetencyPolicy": lambda world: {"pk": 1},
    # A state of its own: the migrations' default rule (blank state) stays.
    "TctRule": lambda world: {"state": "WI"},
    # Not empty, so that the admin's form takes it back.
    "PracticeTest": lambda world: {
        "domain_scores": {"medications": 70, "federal_requirements": 70, "patient_safety": 70, "order_entry": 70}
    },
}
# Models with a single row (a check constraint): the migrations' row is deleted first.
SINGLE_ROW = {"OrgPolicy", "CompetencyPolicy"}


def _related(model, world: World, made: dict):
    technician = model_named("Technician")
    if model is technician:
        return world.techs[0]
    if model is model_named("Site"):
        return world.sites["A"]
    if model is model_named("User"):
        return world.user
    if model not in made:
        made[model] = build(model, world, made)
        made[model].save()
    return made[model]


def build(model, world: World, made: dict | None = None):
    """An unsaved ``model`` with every required field filled: its foreign keys to technicians
    point to A's technician, then B's; other required relations to rows made (and saved) first."""
    made = {} if made is None else made
    technician = model_named("Technician")
    if model.__name__ in SINGLE_ROW:
        model.objects.all().delete()
    values = {}
    to_technicians = [f for f in model._meta.concrete_fields if f.many_to_one and f.related_model is technician]
    for index, field in enumerate(to_technicians):
        values[field.name] = world.techs[index % 2] if model is not technician else None
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in values:
            continue
        if field.is_relation:
            if not field.null or not field.blank:  # required in the database or in forms
                values[field.name] = _related(field.related_model, world, made)
            continue
        if (
            field.has_default()
            or field.null
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            continue
        if field.blank and isinstance(field, models.CharField | models.TextField):
            continue  # "" when not given
        values[field.name] = _value(field)
    values = {name: value for name, value in values.items() if value is not None}
    values.update(OVERRIDES.get(model.__name__, lambda world: {})(world))
    return model(**values)


def expected_moves(instance, world: World) -> set[str]:
    """What a write of ``instance`` must move: the sites of the technicians it belongs to (and
    the organisation's) for site data, the configuration's otherwise."""
    if not versions.is_site_data(type(instance)):
        return {"config"}
    labels = {site.pk: label for label, site in world.sites.items()}
    if type(instance) is model_named("Site"):
        return {labels[instance.pk], "org"}
    if type(instance) is model_named("Technician"):
        return {labels[instance.site_id], "org"}
    techs = {getattr(instance, name) for name in versions._technician_fields(type(instance))} - {None}
    sites = model_named("Technician").objects.filter(pk__in=techs).values_list("site_id", flat=True)
    return {labels[pk] for pk in sites} | {"org"}


@pytest.mark.parametrize("name", TRACKED)
def test_creating_updating_and_deleting_a_record_moves_the_versions_it_belongs_to(name, world):
    model = model_named(name)
    instance = build(model, world)
    if model is model_named("Site"):
        instance.pk = max(s.pk for s in world.sites.values()) + 1
        world.sites["new"] = instance
    versions_before = versions_of(world.sites)

    instance.save()
    expected = expected_moves(instance, world)
    after_create = versions_of(world.sites)

    assert moved(versions_before, after_create) == expected
    if expected != {"config"}:
        assert "C" not in expected  # the unrelated site kept its cached reads

    instance = model.objects.get(pk=instance.pk)
    instance.save()
    after_update = versions_of(world.sites)
    assert moved(after_create, after_update) == expected

    instance.delete()
    assert moved(after_update, versions_of(world.sites)) == expected


M2M = sorted(
    (model.__name__, field.name) for model in versions.tracked_models() for field in model._meta.local_many_to_many
)


@pytest.mark.parametrize(("name", "field"), M2M, ids=[f"{n}.{f}" for n, f in M2M])
def test_a_many_to_many_link_moves_the_configuration(name, field, world):
    model = model_named(name)
    instance = build(model, world)
    instance.save()
    other = _related(model._meta.get_field(field).related_model, world, {})
    before = versions_of(world.sites)

    getattr(instance, field).add(other)
    after_add = versions_of(world.sites)
    getattr(instance, field).remove(other)

    assert moved(before, after_add) == {"config"}
    assert moved(after_add, versions_of(world.sites)) == {"config"}


# ---- the mentor link, across sites ---------------------------------------------------------------


@pytest.fixture
def mentoring(world):
    """Theo (TECH3, site A) mentors Bob (site B)."""
    technician = model_named("Technician")
    theo = TechnicianFactory(site=world.sites["A"], first_name="Theo", tier="TECH3")
    bob = world.techs[1]
    bob.mentor = theo
    bob.save()
    return technician.objects.get(pk=theo.pk), technician.objects.get(pk=bob.pk)


def test_a_mentees_separation_moves_the_mentors_site(world, mentoring):
    """The versions behind ``test_a_mentors_page_follows_a_mentee_at_another_site`` (the issue):
    Bob's separation is a write at B, yet Theo's /me/ is keyed on A."""
    theo, bob = mentoring
    before = versions_of(world.sites)

    application_function("technician_update")(
        technician=bob,
        data={"status": "terminated", "termination_date": timezone.localdate(), "termination_type": "voluntary"},
    )

    assert moved(before, versions_of(world.sites)) == {"A", "B", "org"}


def test_a_change_to_a_mentor_moves_the_mentees_site(world, mentoring):
    """Bob's /me/ (keyed on B) shows his mentor's name: Theo renamed at A moves B on too."""
    theo, bob = mentoring
    before = versions_of(world.sites)

    theo.first_name = "Theodore"
    theo.save()

    assert moved(before, versions_of(world.sites)) == {"A", "B", "org"}


# Deleting a mentor clears its mentees' mentor with one UPDATE (on_delete=SET_NULL) that sends
# no signal: the mentees' sites keep their versions. The one read that shows a mentor to a mentee,
# ``me``, is keyed on the mentor's site as well (technicians/views.py), whose version the delete
# moves: tests/test_cached_reads.py::test_a_mentees_page_follows_the_mentor_at_another_site.


def test_a_technician_moved_to_another_mentor_moves_both_mentors_sites(world, mentoring):
    theo, bob = mentoring
    cyril = TechnicianFactory(site=world.sites["C"], first_name="Cyril", tier="TECH3")
    before = versions_of(world.sites)

    bob.mentor = cyril
    bob.save()

    assert moved(before, versions_of(world.sites)) == {"A", "B", "C", "org"}


# ---- writes that send no signal ------------------------------------------------------------------

# Calls that write rows without sending a model signal. ``copy`` only counts on a cursor.
BULK_METHODS = {"bulk_create", "bulk_update", "_raw_delete", "bulk_create_with_history", "bulk_update_with_history"}
COPY_METHODS = {"copy", "copy_expert", "copy_from"}
QUERYSET_METHODS = {
    "objects",
    "filter",
    "exclude",
    "all",
    "select_for_update",
    "order_by",
    "distinct",
    "select_related",
    "prefetch_related",
    "annotate",
    "only",
    "defer",
    "using",
    "none",
    "values",
}
RAW_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE|COPY)\b", re.I)

# Functions that write without signals and do not touch the versions themselves, by qualified
# name (modules move; "Class.*" stands for every method): the function that touches them for
# it (None: what it writes is not versioned), and why.
UNSIGNALLED_WRITES = {
    "BulkWriter.*": (
        "run_import",
        "the imports' writer: only the apply() of an import uses it, and run_import calls touch_all "
        "after apply() (test_an_import_moves_every_version_on runs all three)",
    ),
    "PtcbExtension.save": (
        None,
        "stores the new deadline on the extension's own technician: the extension's post_save "
        "moves that technician's site in the same transaction",
    ),
    "demo_ladder_delete": (
        "demo_data_create",
        "only seed_demo --reset calls it (through demo_data_delete, which then deletes every "
        "technician through the ORM), in the transaction whose demo_data_create calls touch_all",
    ),
    "_update_rows": (None, "KPI snapshots (raw UPDATE of metrics' KpiSnapshot), which no version follows"),
    "digest_send": (None, "notifications' digests (QuerySet.update of Notification), which no version follows"),
}
# Demo data is written in bulk by each app's ``demo`` module, all called from demo_data_create,
# which calls touch_all once the demo is written.
DEMO_CREATE = "demo_data_create"


def _is_demo(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "demo"


def _chain_root(node):
    """The name a call's receiver chain starts from, and the attribute names along it."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return (node.id if isinstance(node, ast.Name) else None), names


def _text(node) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
    return ""


class _Functions(ast.NodeVisitor):
    """Every function of a module: its qualified name, the names it calls, and its writes that
    send no signal (``[(line, what, model name or None)]``)."""

    def __init__(self):
        self.stack: list[str] = []
        self.calls: dict[str, set[str]] = defaultdict(set)
        self.writes: dict[str, list] = defaultdict(list)
        self.querysets: dict[str, set[str]] = defaultdict(set)  # local names bound to a queryset

    def _visit_scope(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _visit_scope

    @property
    def here(self) -> str:
        return ".".join(self.stack)

    def visit_Assign(self, node):
        root, names = _chain_root(node.value)
        if isinstance(node.value, ast.Call) and ({"objects"} & set(names) or set(names) & QUERYSET_METHODS):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.querysets[self.here].add(target.id)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name:
            self.calls[self.here].add(name)
        root, names = _chain_root(func)
        receiver = names[1:]  # the attributes before the called one
        if name in BULK_METHODS:
            self.writes[self.here].append((node.lineno, name, root))
        elif name == "update" and isinstance(func, ast.Attribute):
            on_queryset = (set(receiver) & QUERYSET_METHODS) or (
                isinstance(func.value, ast.Name) and func.value.id in self.querysets[self.here]
            )
            # A helper's result (``pending(...).update``), but not a builtin's (``vars().update``).
            helper = (
                isinstance(func.value, ast.Call)
                and not (set(receiver) - QUERYSET_METHODS)
                and not (isinstance(func.value.func, ast.Name) and func.value.func.id in dir(builtins))
            )
            if on_queryset or helper:
                self.writes[self.here].append((node.lineno, "QuerySet.update", root))
        elif name in COPY_METHODS and isinstance(func, ast.Attribute) and "cursor" in {root, *receiver}:
            self.writes[self.here].append((node.lineno, "COPY", root))
        elif name == "execute" and node.args and RAW_WRITE.match(_text(node.args[0])):
            self.writes[self.here].append((node.lineno, f"raw SQL {RAW_WRITE.match(_text(node.args[0]))[1]}", root))
        self.generic_visit(node)


def _parsed(path: Path) -> _Functions:
    functions = _Functions()
    functions.visit(ast.parse(path.read_text(), filename=str(path)))
    return functions


def _untracked_model(root: str | None) -> bool:
    """The receiver names a model that no version follows (its write needs no touch). A
    receiver that names no model (a variable, a helper's queryset, a cursor) counts as tracked."""
    found = [model for model in apps.get_models(include_auto_created=True) if model.__name__ == root]
    return bool(found) and all(model not in versions._tracked for model in found)


def _touched(functions: _Functions, qualname: str, depth: int = 3) -> bool:
    """``qualname`` touches the versions, or every function of its module that calls it does."""
    if TOUCHES & functions.calls[qualname]:
        return True
    if depth == 0:
        return False
    short = qualname.rsplit(".", 1)[-1]
    callers = [name for name, called in functions.calls.items() if short in called and name != qualname]
    return bool(callers) and all(_touched(functions, name, depth - 1) for name in callers)


def application_functions() -> dict[str, list[tuple[str, _Functions]]]:
    """Qualified name -> [(module, its parsed module)] for every function of the app code."""
    found = defaultdict(list)
    for path in application_files():
        functions = _parsed(path)
        for qualname in set(functions.calls) | set(functions.writes):
            found[qualname].append((module_name(path), functions))
    return found


def unsignalled_writes() -> list[tuple[str, str, int, str, _Functions]]:
    """(module, function, line, what, parsed module) of every write that sends no signal."""
    found = []
    for path in application_files():
        module = module_name(path)
        if module == "careerladder.core.versions":
            continue
        functions = _parsed(path)
        for qualname, writes in functions.writes.items():
            for line, what, root in writes:
                if not _untracked_model(root):
                    found.append((module, qualname, line, what, functions))
    return found


def _allowed(qualname: str) -> str | None:
    for key in (qualname, qualname.split(".", 1)[0] + ".*"):
        if key in UNSIGNALLED_WRITES:
            return key
    return None


def test_every_write_that_sends_no_signal_touches_the_versions():
    writes = unsignalled_writes()
    assert len(writes) >= 10, "the scan found too few writes: it no longer recognises them"
    problems = []
    used = set()
    for module, qualname, line, what, functions in writes:
        if _touched(functions, qualname):
            continue
        allowed = _allowed(qualname)
        if allowed:
            used.add(allowed)
        elif _is_demo(module):
            used.add(DEMO_CREATE)
        else:
            problems.append(f"{module}:{line} {qualname}: {what} without touch_sites/touch_all/touch_config")
    assert problems == []
    assert used == {*UNSIGNALLED_WRITES, DEMO_CREATE}, "an entry of UNSIGNALLED_WRITES no longer covers any write"


def test_the_functions_named_as_touching_the_versions_do():
    functions = application_functions()
    for toucher in {toucher for toucher, _ in UNSIGNALLED_WRITES.values() if toucher} | {DEMO_CREATE}:
        assert len(functions[toucher]) == 1, f"{toucher}: defined {len(functions[toucher])} times"
        ((module, parsed),) = functions[toucher]
        assert _touched(parsed, toucher, depth=0), f"{module}.{toucher} does not call touch_*"
    # The imports' writer is made only in modules that import through run_import.
    for path in application_files():
        source = path.read_text()
        if "BulkWriter(" in source and "class BulkWriter" not in source:
            assert "run_import(" in source, path
    # Every demo module's entry point is called from demo_data_create.
    ((_, parsed),) = functions[DEMO_CREATE]
    entry_points = {
        name
        for name, found in functions.items()
        if name.startswith("demo_") and name.endswith("_create")
        for module, _ in found
        if _is_demo(module)
    } - {DEMO_CREATE, "demo_kpis_create"}  # the KPI snapshots are computed after the commit
    assert entry_points and entry_points <= parsed.calls[DEMO_CREATE]


def test_the_scan_finds_each_kind_of_write(tmp_path):
    source = """
def quiet(ids):
    Technician.objects.filter(pk__in=ids).update(status="x")
    Incentive.objects.bulk_create([])
    qs = Certification.objects.filter(pk__in=ids)
    qs.update(number="")
    model.objects.all()._raw_delete(db)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE t SET a = 1")
        cursor.cursor.copy("COPY t FROM STDIN")
    pending(ids).update(number="")
    errors.update({"a": 1})
    vars().update({"a": 1})
    Notification.objects.filter(pk__in=ids).update(read_at=None)

def loud(ids):
    Technician.objects.filter(pk__in=ids).update(status="x")
    versions.touch_sites([1])

def inner():
    Site.objects.bulk_create([])

def outer():
    inner()
    versions.touch_all()
"""
    path = tmp_path / "sample.py"
    path.write_text(source)
    functions = _parsed(path)
    writes = functions.writes["quiet"]
    assert [what for _, what, root in writes if not _untracked_model(root)] == [
        "QuerySet.update",
        "bulk_create",
        "QuerySet.update",
        "_raw_delete",
        "raw SQL UPDATE",
        "COPY",
        "QuerySet.update",
    ]
    assert [root for _, what, root in writes if _untracked_model(root)] == ["Notification"]
    assert not _touched(functions, "quiet")
    assert _touched(functions, "loud")
    assert _touched(functions, "inner")  # through its only caller


def application_function(name: str):
    """The function ``name`` of the app code, wherever it lives now."""
    import importlib

    ((module, _),) = application_functions()[name]
    return getattr(importlib.import_module(module), name)


# ---- imports -------------------------------------------------------------------------------------


def _upload(name: str, header, rows) -> SimpleUploadedFile:
    from tests.imports.conftest import csv_bytes

    return SimpleUploadedFile(name, csv_bytes(header, rows))


@pytest.mark.parametrize("dry_run", [False, True], ids=["applied", "dry-run"])
@pytest.mark.parametrize("kind", ["technicians", "certifications", "ce-credits"])
def test_an_import_moves_every_version_on(kind, dry_run, world, hr_user):
    """An import writes in bulk (COPY on Postgres, bulk_create elsewhere): every version moves
    on (``touch_all``), which every key contains; a dry run writes nothing and moves nothing."""
    from tests.imports.conftest import TECHNICIAN_HEADER, tech_row

    alice = world.techs[0]
    alice.employee_id = "REG-1"
    alice.save()
    if kind == "technicians":
        run = application_function("technicians_import")
        upload = _upload(
            "people.csv", TECHNICIAN_HEADER, [tech_row("REG-2", "Nora", "New", "REG-C", "2025-01-06", tier="TECH1")]
        )
    elif kind == "certifications":
        run = application_function("certifications_import")
        upload = _upload(
            "certs.csv",
            ("employee_id", "type", "number", "issued_on", "expires_on"),
            [["REG-1", "BLS", "B-1", "2025-01-10", ""]],
        )
    else:
        run = application_function("ce_credits_import")
        upload = _upload(
            "ce.csv",
            ("employee_id", "completed_on", "title", "provider", "uan", "hours"),
            [["REG-1", "2025-02-10", "Pharmacy law update", "RxLearn", "0145-0000-25-012-H03-T", "1.5"]],
        )
    before = versions_of(world.sites)

    result = run(upload=upload, user=hr_user, dry_run=dry_run)

    assert not result.errors, result.errors
    assert result.created == 1
    assert moved(before, versions_of(world.sites)) == (set() if dry_run else {"all", "config", "org"})


# ---- the Django admin ----------------------------------------------------------------------------


class _FormFields(HTMLParser):
    """The values a browser would post from the admin's change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = defaultdict(list)
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data[name].append(attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file", "image"):
                self.data[name].append(attrs.get("value") or "")
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name].append("")

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def _textarea_value(text: str) -> str:
    return text[1:] if text.startswith("\n") else text  # the browser drops the first newline


ADMIN_MODELS = sorted(name for name in TRACKED if model_named(name) in admin.site._registry)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("name", ADMIN_MODELS)
def test_saving_a_record_in_the_admin_moves_its_versions(name, world, admin_client):
    model = model_named(name)
    instance = build(model, world)
    instance.save()
    if model is model_named("Site"):
        world.sites["new"] = instance
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[instance.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    if 'name="_save"' not in page.content.decode():
        pytest.skip(f"the admin shows {name} read-only")
    form = _FormFields()
    form.feed(page.content.decode())
    data = {key: [_textarea_value(v) for v in values] for key, values in form.data.items()}
    data["_save"] = ["Save"]
    before = versions_of(world.sites)

    response = admin_client.post(url, data)

    assert response.status_code == 302, re.findall(
        r'<ul class="errorlist[^>]*>.*?</ul>', response.content.decode(), re.S
    )
    assert moved(before, versions_of(world.sites)) == expected_moves(model.objects.get(pk=instance.pk), world)


@pytest.mark.parametrize("name", ["Certification", "Program"])
def test_the_admins_delete_selected_action_moves_the_versions(name, world, admin_client):
    """The admin's one bulk action on tracked models ("delete selected"): its QuerySet.delete
    sends a signal per row, as the version mechanism needs."""
    model = model_named(name)
    rows = [build(model, world), build(model, world)]
    for row in rows:
        row.save()
    expected = expected_moves(rows[0], world)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    before = versions_of(world.sites)

    response = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [row.pk for row in rows], "post": "yes"}
    )

    assert response.status_code == 302
    assert not model.objects.filter(pk__in=[row.pk for row in rows]).exists()
    assert moved(before, versions_of(world.sites)) == expected


def test_the_admin_offers_no_other_bulk_action_on_tracked_models(admin_user, rf):
    request = rf.get("/admin/")
    request.user = admin_user
    for name in ADMIN_MODELS:
        model_admin = admin.site._registry[model_named(name)]
        assert set(model_admin.get_actions(request)) <= {"delete_selected"}, name


# ---- data migrations -----------------------------------------------------------------------------


def run_python_migrations() -> list:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = {config.label for config in project_app_configs()}
    return sorted(
        (
            migration
            for (label, _), migration in loader.disk_migrations.items()
            if label in labels and any(isinstance(op, RunPython) for op in migration.operations)
        ),
        key=lambda m: (m.app_label, m.name),
    )


RUN_PYTHON = run_python_migrations()


def test_a_data_migration_alone_moves_no_version(world):
    """Why ``migrate`` must move the versions: a RunPython's writes go through historical
    models, which no receiver of the version mechanism hears."""
    state = MigrationLoader(connection).project_state()
    program = next(m for m in versions.models_read(versions.CONFIGURATION) if m.__name__ == "Program")
    historical = state.apps.get_model(program._meta.app_label, "Program")
    template = program.objects.first()
    before = versions_of(world.sites)

    historical.objects.create(
        **{
            f.attname: getattr(template, f.attname)
            for f in program._meta.concrete_fields
            if not f.primary_key and not f.unique
        },
        **{
            f.attname: f"MIGRATED-{f.attname}"[: f.max_length]
            for f in program._meta.concrete_fields
            if f.unique and not f.primary_key
        },
    )

    assert moved(before, versions_of(world.sites)) == set()


@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize("migration", RUN_PYTHON, ids=[f"{m.app_label}.{m.name}" for m in RUN_PYTHON])
def test_migrate_moves_every_version_on_after_a_data_migration(migration, backwards, world):
    before = versions_of(world.sites)

    emit_post_migrate_signal(0, False, "default", plan=[(migration, backwards)], apps=apps)

    assert moved(before, versions_of(world.sites)) == {"all", "config", "org"}


def test_migrate_with_nothing_to_apply_moves_no_version(world):
    """Every deploy runs ``migrate``: with nothing to apply it must not empty every cached page."""
    before = versions_of(world.sites)

    emit_post_migrate_signal(0, False, "default", plan=[], apps=apps)

    assert moved(before, versions_of(world.sites)) == set()


def test_the_project_has_data_migrations_on_tracked_models():
    """The parametrised test above runs for each of them (seeds of the ladder, certification
    types, programmes, duties; the PTCB deadline column filled on live data)."""
    assert len(RUN_PYTHON) >= 5
