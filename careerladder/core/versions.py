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
  ``COPY`` in the imports) call ``touch_sites`` or ``touch_all`` themselves.
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
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

CAREER_APPS = ("technicians", "competencies", "tiers", "tracks", "certifications", "incentives", "training")
# Models of those apps that no cached read shows (imports' bookkeeping, logins).
IGNORED_MODELS = {"technicians.user"}
ORG_KEY = "v:org"
CONFIG_KEY = "v:config"
ALL_KEY = "v:all"


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
        if mentors:
            sites |= _sites_of(mentors)
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
    _tracked.update(tracked_models())
    for model in tracked_models():
        uid = f"versions-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}-delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(_on_m2m, sender=field.remote_field.through, dispatch_uid=f"{uid}-{field.name}")
