"""Cached reads that stay correct: versions of the data, moved on by every write.

The pages read far more often than the data under them changes (a manager reloads the
dashboard all day; a site of ten technicians gets a handful of sign-offs). So the costly
parts of the dashboard, ``/me/``, the training matrix and the KPI API are kept in Django's
cache (``CACHES``, Redis in production: every process must see the same versions) under a key
that contains the **versions** of the data they were computed from:

- one version per site, moved on by every committed write to a technician of the site or to a
  record that belongs to one (tier assignments, sign-offs, evaluations, certifications, CE
  credits, training, rotations, …: every model of the career apps with a foreign key to
  ``Technician``);
- the organisation's version, moved on together with any site's and by bulk writes;
- the configuration's version (every other model of those apps: the ladder, competencies,
  checklist items, certification types, policies, training programmes, tracks), which every
  cached read includes.

Rules that make this safe:

- A reader takes the versions **before** it reads the data and stores its result under them;
  a writer moves the versions on when it writes and again **after** its transaction commits
  (``transaction.on_commit``). A result computed from data older than the commit is therefore
  only ever stored under versions that are already out of date, and nobody asks for those
  again. (The first move lets reads inside the writing transaction itself see the change.)
- A version that is missing (never written, or evicted) starts from the clock in nanoseconds,
  never from 1, so a version cannot come back to a value an old cache entry was stored under.
- Writes that send no model signal (``bulk_create``, ``bulk_update``, ``QuerySet.update``,
  ``COPY`` in the imports) call ``touch_sites`` or ``touch_all`` themselves; ``migrate``, whose
  data migrations write through historical models that no receiver hears, moves every version
  on once it has applied anything (``on_post_migrate``).
- Entries also expire after ``settings.CACHED_READ_SECONDS`` (ten minutes by default) and
  every key contains the day, so anything a signal cannot see (a renamed user, a change made
  in SQL by hand) is out of the pages within minutes, and date-driven lists (overdue, due
  soon) turn over at midnight.

``CACHED_READ_SECONDS = 0`` switches the cached reads off (every read computes).

Who is looking is part of every key. A cached read shows each viewer exactly what an
uncached one would (PRODUCT.md section 5), so ``cached`` takes the viewer's ``ViewerScope``
(``technicians.selectors.viewer_scope``): the role, the sites they see and the technician
record they are. Two technicians of one site, or two managers whose sites overlap, never share
an entry; hr and admin share one only where their role and scope are the same. A read whose
content does not depend on the viewer at all (KPI figures for given sites) says so with
``scope=None``.

Every cached read is registered in ``CACHED_READS``, by the name its caller gives ``cached``,
``cached_by_bucket`` or ``config_memo`` ("prefix:*" for names built from a query): what it shows,
what it is computed from and which versions its key contains. What it reads is said in the
mechanism's own categories, which survive models moving between apps: ``SITE_DATA`` (sites,
technicians and every tracked model with a foreign key to a technician: a write moves the
sites of the technicians it points to), ``CONFIGURATION`` (every other tracked model: a write
moves the configuration's version), ``Across`` links that reach technicians at other sites (a
mentor's mentees, a mentee's mentor: ``FOLLOWED_LINKS``, which ``_on_write`` follows too), and
models outside the mechanism that it shows anyway (``UNVERSIONED_READS``, with the reason).
The versions are ``VIEWER_SITES``, ``GIVEN_SITES``, ``ORGANISATION``, ``SITE_BUCKETS`` and
``CONFIG_VERSION``. A name missing from the registry, or asked for under versions its entry
does not declare (or kept by ``config_memo`` while it reads more than the configuration), raises
``CachedReadError``, so no cached read exists without its dependencies stated.
``registry_problems()`` checks each entry: site data needs a site's version in the key, every
model of its categories must be hooked to the signals, every link must be followed.
tests/test_cached_read_registry.py checks the rest against the running code: what each read
really queries, that every write (ORM, admin, imports, bulk writes found in the source,
migrations) moves the versions of what it wrote, and that every model of the project is tracked
or listed as not versioned with its reason.

A cache outage is a miss (careerladder/core/cache.py): the versions then come from the clock,
so every read computes from the database and stores nothing anyone asks for again; once Redis
answers again, ``cache_recovered`` moves every version on, so a bump dropped during the outage
cannot leave an entry from before it looking current.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

CAREER_APPS = ("technicians", "competencies", "tiers", "tracks", "certifications", "incentives", "training")
# Models of those apps that no cached read shows (imports' bookkeeping, logins).
IGNORED_MODELS = {"technicians.user"}
ORG_KEY = "v:org"
CONFIG_KEY = "v:config"
ALL_KEY = "v:all"


# ---- the registry of cached reads --------------------------------------------------------------

# What a cached read is computed from, in the categories of the version mechanism (model labels
# change when models move between apps; these do not):
SITE_DATA = "site data"  # Site, Technician and every tracked model with a foreign key to Technician
CONFIGURATION = "configuration"  # every other tracked model, and their many-to-many links

# Which versions a read's key contains (the configuration's is in every key):
VIEWER_SITES = "the viewer's sites"  # cached() without site_ids: the scope's (every site: the organisation's)
GIVEN_SITES = "given sites"  # cached(site_ids=[...])
ORGANISATION = "the organisation"  # cached(site_ids=None)
SITE_BUCKETS = "groups of sites"  # cached_by_bucket(): each bucket's version
CONFIG_VERSION = "the configuration"  # every key; config_memo() has only this one
SITE_KEYS = frozenset({VIEWER_SITES, GIVEN_SITES, ORGANISATION, SITE_BUCKETS})
KEYS = SITE_KEYS | {CONFIG_VERSION}


@dataclass(frozen=True)
class Across:
    """Rows of technicians at *other* sites that a read keyed on site S reaches through the
    foreign key ``model.field`` (a model named by its class, resolved with ``django.apps``):
    ``"referrers"``, the rows whose ``field`` points to a technician of S (a mentor's mentees);
    ``"target"``, the technician a record of S points to (a mentee's mentor). Covered only when
    ``_on_write`` follows the same link (``FOLLOWED_LINKS``)."""

    model: str
    field: str
    reads: str  # "referrers" | "target"

    def __str__(self) -> str:
        return f"{self.model}.{self.field} ({self.reads}, at any site)"


# The links between sites that a write to a technician follows (``_on_write``): it moves on
# the sites of the technician's mentors (their pages list it) and of its mentees (their pages
# show its name). Not when a mentor is deleted: ``on_delete=SET_NULL`` clears the mentees'
# mentor with one UPDATE that sends no signal, and by ``post_delete`` they no longer point to it
# (their pages show the old name until CACHED_READ_SECONDS).
MENTEES = Across("Technician", "mentor", "referrers")
MENTOR = Across("Technician", "mentor", "target")
FOLLOWED_LINKS = frozenset({MENTEES, MENTOR})


# Models outside the version mechanism that a cached read may still show, and why that is
# acceptable (by class name).
UNVERSIONED_READS = {
    "User": "a login's name (an evaluator's on a sign-off): a rename shows within CACHED_READ_SECONDS; "
    "the role, sites and technician record that decide what a viewer sees are in every key (ViewerScope)",
}


@dataclass(frozen=True)
class CachedRead:
    """One cached read: what it shows, what it is computed from (``SITE_DATA``,
    ``CONFIGURATION``, ``Across`` links; empty: nothing from the database), the versions its
    key contains (``keyed_on``: one of ``SITE_KEYS`` per call, and ``CONFIG_VERSION``) and the
    models of ``UNVERSIONED_READS`` it shows too."""

    shows: str
    reads: tuple[str | Across, ...]
    keyed_on: frozenset[str]
    unversioned: tuple[str, ...] = ()


def _read_of(shows: str, reads: tuple, *keyed_on: str, unversioned: tuple[str, ...] = ()) -> CachedRead:
    return CachedRead(shows, reads, frozenset({*keyed_on, CONFIG_VERSION}), unversioned)


# Every name given to cached(), cached_by_bucket() and config_memo(); "prefix:*" stands for the
# names that start with "prefix:" (built from a query's parameters). A name missing here is an
# error (``CachedReadError``), so that no cached read exists without its dependencies stated.
CACHED_READS: dict[str, CachedRead] = {
    "me": _read_of(
        "A technician's /me/ page: career map, certificates, training, mentees, profile and mentor",
        (SITE_DATA, CONFIGURATION, MENTEES, MENTOR),
        GIVEN_SITES,  # the technician's own site
        unversioned=("User",),
    ),
    "api-technician-list": _read_of(
        "A page of GET /api/v1/technicians/ (the viewer's technicians)", (SITE_DATA, CONFIGURATION), VIEWER_SITES
    ),
    "mentor-candidates": _read_of(
        "How many Tech III and Lead technicians the technician form offers as mentors",
        (SITE_DATA, CONFIGURATION),
        VIEWER_SITES,
    ),
    "training-matrix-page": _read_of(
        "The training matrix page: filters, cells, skill coverage gaps, lapsing duties",
        (SITE_DATA, CONFIGURATION),
        VIEWER_SITES,
    ),
    "dashboard-actions": _read_of(
        "The dashboard's \"Needs attention today\" lists (a site picked, else the viewer's sites)",
        (SITE_DATA, CONFIGURATION),
        GIVEN_SITES,
        ORGANISATION,  # hr and admin without a site
        unversioned=("User",),
    ),
    "exit-reasons": _read_of("The organisation's exit reasons of the year (dashboard)", (SITE_DATA,), ORGANISATION),
    "promotions-by-tier": _read_of(
        "The organisation's promotions of the year by tier (dashboard)", (SITE_DATA, CONFIGURATION), ORGANISATION
    ),
    "count": _read_of(
        "The total of a list paginated by CachedCountPaginator (technicians page and API)",
        (SITE_DATA, CONFIGURATION),
        ORGANISATION,
    ),
    # The KPI names changed when the SHRM monthly turnover was added (a new figure, new counts):
    # values cached under the former names have another shape.
    "kpi-figures": _read_of(
        "Section 3's KPI figures of a period, for given sites or the organisation",
        (SITE_DATA, CONFIGURATION),
        GIVEN_SITES,
        ORGANISATION,
    ),
    "kpi-figures-by-site": _read_of(
        "The KPI figures of a period for each site (reports)", (SITE_DATA, CONFIGURATION), GIVEN_SITES, ORGANISATION
    ),
    "kpi-bucket-counts": _read_of(
        "The KPI counts of a period summed over a group of sites (the organisation's figures)",
        (SITE_DATA, CONFIGURATION),
        SITE_BUCKETS,
    ),
    "ladder": _read_of("The ladder: tiers, active competencies and their checklists (LadderConfig)", (CONFIGURATION,)),
    "org-policy": _read_of("The organisation's policy (OrgPolicy)", (CONFIGURATION,)),
    "competency-policy": _read_of("The USP <797> re-assessment policy (CompetencyPolicy)", (CONFIGURATION,)),
    "tct-rules": _read_of("The tech-check-tech rules by state (TctRule)", (CONFIGURATION,)),
    "certification-upgrades": _read_of(
        "Which certification types count as which: an upgrade (CPhT-Adv) for the one it upgrades (CPhT)",
        (CONFIGURATION,),
    ),
    "matrix-columns:*": _read_of(
        "The training matrix's columns: competencies, certification types, programmes", (CONFIGURATION,)
    ),
    "rule-test": _read_of(
        "Nothing of the database: a value made by the tests of these rules (tests/test_cached_reads.py)",
        (),
        GIVEN_SITES,
        ORGANISATION,
    ),
}


class CachedReadError(LookupError):
    """A cached read that is not in ``CACHED_READS``, or asked for under versions its entry does
    not declare."""


def registered(name: str) -> CachedRead:
    """The registry's entry for ``name`` (or for its ``prefix:*``)."""
    entry = CACHED_READS.get(name)
    if entry is None and ":" in name:
        entry = CACHED_READS.get(name.split(":", 1)[0] + ":*")
    if entry is None:
        raise CachedReadError(
            f"Cached read {name!r} is not registered: add it to CACHED_READS (careerladder/core/versions.py) "
            "with what it shows, what it reads and the versions it is keyed on."
        )
    return entry


def _check_call(name: str, key: str) -> None:
    entry = registered(name)
    if key not in entry.keyed_on:
        raise CachedReadError(
            f"Cached read {name!r} is asked for under {key}; its entry in CACHED_READS is keyed on "
            f"{', '.join(sorted(entry.keyed_on))}."
        )
    if key == CONFIG_VERSION and set(entry.reads) - {CONFIGURATION}:
        raise CachedReadError(f"Cached read {name!r} reads more than the configuration: config_memo() cannot keep it.")


def _site_key(site_id: int) -> str:
    return f"v:site:{site_id}"


def _seed() -> int:
    return time.time_ns()


def _read(keys: list[str]) -> dict[str, int]:
    """Current versions of ``keys``, creating the missing ones (two cache round trips at most,
    whatever the number of keys). A missing version is set to a fresh clock value before the
    caller reads any data, so a write committed afterwards moves it on: overwriting another
    reader's fresh value is harmless, as neither is ever an earlier value."""
    found = cache.get_many(keys)
    missing = {key: _seed() for key in keys if key not in found}
    if missing:
        cache.set_many(missing, timeout=None)
        found.update(missing)
    return {key: found[key] for key in keys}


def _bump(keys: Iterable[str]) -> None:
    for key in keys:
        try:
            cache.incr(key)  # None when the cache is down: it then starts every read again
        except ValueError:  # missing or evicted: a fresh, never-used value
            cache.set(key, _seed(), timeout=None)


def on_cache_recovered(**kwargs) -> None:
    """The cache answers again after this process could not reach it (a bump may have been
    dropped, here or in a process that did not survive the outage): every version moves on,
    so nothing stored before the outage is served."""
    _bump([CONFIG_KEY, ORG_KEY, ALL_KEY])
    _memo.clear()


def _bump_now_and_on_commit(keys: list[str]) -> None:
    _bump(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(keys))


def enabled() -> bool:
    return getattr(settings, "CACHED_READ_SECONDS", 600) > 0


# ---- writers -----------------------------------------------------------------------------------


def touch_sites(site_ids: Iterable[int | None]) -> None:
    """Mark these sites' data (their groups' and the organisation's with them) as changed, now
    and again when the current transaction commits."""
    ids = {pk for pk in site_ids if pk is not None}
    keys = {_site_key(pk) for pk in ids} | {_bucket_key(bucket_of(pk)) for pk in ids}
    keys.add(ORG_KEY)
    _bump_now_and_on_commit(sorted(keys))


def touch_all() -> None:
    """Mark every site, the organisation and the configuration as changed (bulk writes whose
    sites are not worth listing: imports, demo data)."""
    _bump_now_and_on_commit([CONFIG_KEY, ORG_KEY, ALL_KEY])


def touch_config() -> None:
    _bump_now_and_on_commit([CONFIG_KEY])


# ---- readers -----------------------------------------------------------------------------------


SCOPE_SITES = object()  # cached()'s default: the data versions of the viewer's own sites


@dataclass(frozen=True)
class ViewerScope:
    """What determines a cached read's content for one viewer: their role, the sites they
    see (``None``: every site) and the technician record they are (their own records: a
    technician's, an evaluator's). Built by ``technicians.selectors.viewer_scope``."""

    role: str | None
    site_ids: tuple[int, ...] | None
    technician_id: int | None

    def key(self) -> str:
        sites = "all" if self.site_ids is None else ",".join(map(str, self.site_ids))
        return f"{self.role}/{sites}/{self.technician_id}"


def stamp(*, site_ids: Iterable[int] | None) -> str:
    """The versions a read of ``site_ids`` depends on (``None``: the whole organisation), as
    one string for a cache key. Sites are listed in full only up to 50; a larger scope uses
    the organisation's version, which moves with every site's."""
    keys = [CONFIG_KEY, ALL_KEY]
    if site_ids is None:
        keys.append(ORG_KEY)
    else:
        ids = sorted(set(site_ids))
        keys += [ORG_KEY] if len(ids) > 50 else [_site_key(pk) for pk in ids]
    versions = _read(keys)
    return ".".join(str(versions[key]) for key in keys)


def cached(
    name: str,
    *,
    scope: ViewerScope | None,
    site_ids: Iterable[int] | None | object = SCOPE_SITES,
    parts: Iterable[Any],
    compute: Callable[[], Any],
) -> Any:
    """``compute()``, kept under ``name``, the viewer's ``scope``, the data versions of
    ``site_ids`` and ``parts`` (the day, the query's parameters...). ``site_ids`` defaults to
    the scope's sites; give it to depend on fewer (one site of a manager's) or on other sites
    (``None``: the organisation). ``scope=None`` only for a read that is the same for every
    viewer who may ask (KPI figures of given sites). Reads the versions first. The cache
    outlives a release: give ``name`` a new value whenever the shape of what ``compute``
    returns changes."""
    _check_call(name, VIEWER_SITES if site_ids is SCOPE_SITES else ORGANISATION if site_ids is None else GIVEN_SITES)
    if not enabled():
        return compute()
    if site_ids is SCOPE_SITES:
        if scope is None:
            raise TypeError("cached() needs site_ids when there is no viewer scope")
        site_ids = scope.site_ids
    site_ids = None if site_ids is None else sorted(set(site_ids))
    raw = "|".join(
        [
            stamp(site_ids=site_ids),
            "any viewer" if scope is None else scope.key(),
            repr(site_ids),
            *map(repr, parts),
        ]
    )
    key = f"cached:{name}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.CACHED_READ_SECONDS)
    return value


BUCKETS = 128  # sites are grouped for organisation-wide sums: site id modulo this


def bucket_of(site_id: int) -> int:
    return site_id % BUCKETS


def _bucket_key(bucket: int) -> str:
    return f"v:bucket:{bucket}"


def cached_by_bucket(
    name: str, *, site_ids: list[int], parts: Iterable[Any], compute: Callable[[list[int] | None], dict[int, Any]]
) -> dict[int, Any]:
    """Values for groups of sites ("buckets", ``site id % BUCKETS``), each kept under its
    bucket's version, which every write at one of its sites moves on with the site's: after a
    write at one site, only that site's bucket is computed again. ``compute(ids)`` returns
    ``{bucket: value}`` for the buckets of the sites ``ids`` (``None``: all of ``site_ids``).
    Two cache round trips of ``BUCKETS`` keys whatever the number of sites."""
    _check_call(name, SITE_BUCKETS)
    if not enabled():
        return compute(None)
    head = stamp(site_ids=())
    parts = "|".join(map(repr, parts))
    buckets = sorted({bucket_of(pk) for pk in site_ids})
    bucket_versions = _read([_bucket_key(b) for b in buckets])
    keys = {
        b: f"cached:{name}:{hashlib.sha256(f'{head}|{parts}|{b}|{bucket_versions[_bucket_key(b)]}'.encode()).hexdigest()[:40]}"
        for b in buckets
    }
    stored = cache.get_many(list(keys.values()))
    result = {b: stored[key] for b, key in keys.items() if key in stored}
    missing = [b for b in buckets if b not in result]
    if missing:
        wanted = set(missing)
        ids = None if len(missing) == len(buckets) else [pk for pk in site_ids if bucket_of(pk) in wanted]
        computed = compute(ids)
        fresh = {b: computed[b] for b in missing}
        cache.set_many({keys[b]: value for b, value in fresh.items()}, timeout=settings.CACHED_READ_SECONDS)
        result.update(fresh)
    return result


_memo: dict[str, tuple[str, Any]] = {}


def config_memo(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` kept in this process for as long as the configuration's version stays
    the same: the ladder, the policy, read by nearly every page, cost one cache read instead of
    their queries. The value is shared by every caller in the process: treat it as read-only."""
    _check_call(name, CONFIG_VERSION)
    if not enabled():
        return compute()
    current = stamp(site_ids=())
    hit = _memo.get(name)
    if hit is not None and hit[0] == current:
        return hit[1]
    value = compute()
    _memo[name] = (current, value)
    return value


# ---- signals -----------------------------------------------------------------------------------


def _technician_fields(model) -> list[str]:
    technician = apps.get_model("technicians", "Technician")
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.is_relation and field.many_to_one and field.related_model is technician
    ]


def _sites_of(technician_ids: set[int]) -> set[int]:
    technician = apps.get_model("technicians", "Technician")
    return set(technician.objects.filter(pk__in=technician_ids).values_list("site_id", flat=True))


def _cascaded(instance, origin) -> bool:
    """A delete that another tracked delete brought about (a technician's sign-offs going
    with it): the origin's own signal moves the versions, so the rows that follow it need
    not each look up their site."""
    if origin is None or origin is instance:
        return False
    if hasattr(origin, "model"):  # QuerySet.delete(): its own rows are not a cascade
        if isinstance(instance, origin.model):
            return False
        return origin.model in _tracked
    return type(origin) in _tracked


def _on_write(sender, instance, **kwargs) -> None:
    if "origin" in kwargs and _cascaded(instance, kwargs["origin"]):
        return
    label = sender._meta.label_lower
    if label == "technicians.site":
        touch_sites([instance.pk])
    elif label == "technicians.technician":
        sites = {instance.site_id, getattr(instance, "_loaded_site_id", None)}
        # A mentor's /me/ lists their mentees, who may work at another site: a change to a
        # mentee (a separation, a new mentor) moves the mentors' sites on too.
        mentors = {instance.mentor_id, getattr(instance, "_loaded_mentor_id", None)} - {None}
        # And a mentee's /me/ shows its mentor's name: a change to a technician already in the
        # database (not a delete: see FOLLOWED_LINKS) moves its mentees' sites on, in the same query.
        mentees = kwargs.get("created") is False
        if mentors or mentees:
            technician = apps.get_model("technicians", "Technician")
            lookup = (Q(pk__in=mentors) if mentors else Q()) | (Q(mentor_id=instance.pk) if mentees else Q())
            sites |= set(technician.objects.filter(lookup).values_list("site_id", flat=True).distinct())
        touch_sites(sites)
        # The row's site and mentor from now on, for instances not loaded from the database
        # (just created) and for the next save of this one: a later move must touch them too.
        instance._loaded_site_id = instance.site_id
        instance._loaded_mentor_id = instance.mentor_id
    else:
        fields = _technician_fields(sender)
        if not fields:
            touch_config()
            return
        ids = {getattr(instance, name) for name in fields} - {None}
        loaded = [instance._state.fields_cache.get(name.removesuffix("_id")) for name in fields]
        sites = {tech.site_id for tech in loaded if tech is not None and tech.pk in ids}
        if len(sites) < len(ids):
            sites |= _sites_of(ids)
        # A deleted technician's own records go with it (cascade): its site was touched.
        touch_sites(sites)


def on_post_migrate(plan=None, **kwargs) -> None:
    """``migrate`` applied migrations (or ``flush`` emptied the tables): data migrations write
    through historical models, whose saves reach no receiver here, and the cache outlives a
    release. Every version moves on; a ``migrate`` with nothing to apply (each deploy's) moves
    none."""
    if plan is None or plan:
        touch_all()


def _on_m2m(sender, instance, **kwargs) -> None:
    if kwargs.get("action", "").startswith("post_"):
        touch_config()


def tracked_models() -> list:
    """Every model whose writes move a version (the career apps' models, not their history)."""
    return [
        model
        for name in CAREER_APPS
        for model in apps.get_app_config(name).get_models()
        if not model.__name__.startswith("Historical") and model._meta.label_lower not in IGNORED_MODELS
    ]


_tracked: set = set()


def connect() -> None:
    from careerladder.core.cache import cache_recovered

    cache_recovered.connect(on_cache_recovered, dispatch_uid="versions-cache-recovered")
    # Sent once per app after a migrate: the core app's is enough.
    post_migrate.connect(on_post_migrate, sender=apps.get_app_config("core"), dispatch_uid="versions-post-migrate")
    _tracked.update(tracked_models())
    for model in tracked_models():
        uid = f"versions-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}-delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(_on_m2m, sender=field.remote_field.through, dispatch_uid=f"{uid}-{field.name}")


# ---- checking the registry ---------------------------------------------------------------------


def is_site_data(model) -> bool:
    """A tracked model whose writes move the versions of sites (``_on_write``)."""
    label = model._meta.label_lower
    return label in ("technicians.site", "technicians.technician") or bool(_technician_fields(model))


def models_read(category: str) -> list:
    """The tracked models of ``SITE_DATA`` or ``CONFIGURATION``."""
    if category not in (SITE_DATA, CONFIGURATION):
        raise ValueError(f"Unknown category of data {category!r}")
    return [model for model in tracked_models() if is_site_data(model) == (category == SITE_DATA)]


def _connected(model) -> bool:
    """``connect()`` hooked this model's saves and deletes (and its many-to-many links)."""
    uid = f"versions-{model._meta.label_lower}"
    hooks = [(post_save, f"{uid}-save", model), (post_delete, f"{uid}-delete", model)]
    hooks += [(m2m_changed, f"{uid}-{f.name}", f.remote_field.through) for f in model._meta.local_many_to_many]
    return model in _tracked and all(
        any(key == (name, id(sender)) for key, *_ in signal.receivers) for signal, name, sender in hooks
    )


def registry_problems() -> list[str]:
    """What makes an entry of ``CACHED_READS`` wrong: a read of site data without a site's
    version in its key, a model it reads whose writes move no version (signals not connected),
    a link between sites that writes do not follow, a key that is not a version. Empty when
    every dependency is covered by a version the read's key includes."""
    technician = apps.get_model("technicians", "Technician")
    problems = []
    for name, entry in CACHED_READS.items():
        if not entry.keyed_on <= KEYS:
            problems.append(f"{name}: keyed on {sorted(entry.keyed_on - KEYS)}, which are not versions")
        if CONFIG_VERSION not in entry.keyed_on:
            problems.append(f"{name}: every key contains the configuration's version; declare it")
        site_keyed = bool(entry.keyed_on & SITE_KEYS)
        for model_name in entry.unversioned:
            if model_name not in UNVERSIONED_READS:
                problems.append(f"{name}: shows {model_name}, which UNVERSIONED_READS does not list with its reason")
            elif any(model.__name__ == model_name for model in _tracked):
                problems.append(f"{name}: shows {model_name} as unversioned, but its writes move versions: declare it")
        for dependency in entry.reads:
            if isinstance(dependency, Across):
                try:
                    model = next(m for m in apps.get_models() if m.__name__ == dependency.model)
                    field = model._meta.get_field(dependency.field)
                except (StopIteration, FieldDoesNotExist):
                    problems.append(f"{name}: reads {dependency}, which is not a field of a model")
                    continue
                if field.related_model is not technician:
                    problems.append(f"{name}: reads {dependency}, which does not point to a technician")
                if dependency not in FOLLOWED_LINKS:
                    problems.append(f"{name}: reads {dependency}, a link that writes do not follow (FOLLOWED_LINKS)")
                if not site_keyed:
                    problems.append(f"{name}: reads {dependency} but its key has no site's version")
                continue
            if dependency not in (SITE_DATA, CONFIGURATION):
                problems.append(f"{name}: reads {dependency!r}, which is neither SITE_DATA, CONFIGURATION nor Across")
                continue
            if dependency == SITE_DATA and not site_keyed:
                problems.append(f"{name}: reads site data but its key has no site's version")
            for model in models_read(dependency):
                if not _connected(model):
                    problems.append(f"{name}: reads {model._meta.label}, whose writes move no version")
    return problems
