"""HTML and script typed into any free-text field are shown as text on every page.

The permission matrix's objects (a record of every kind, in and out of each role's scope) are
loaded, then every free-text column of every model of the project (names, comments,
justifications, titles, notes, …, and their history rows) is overwritten with one of two
payloads. Every page route is then requested by every role that may see it, and the answer
must never contain a payload unescaped. Routes come from the URLconf and EXPECTED, so a new
page or a new text field is covered without touching this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.html import escape

from tests.test_permission_matrix import (
    EXPECTED,
    PAGE,
    ROLES,
    VARIANTS,
    Logins,
    _expected_status,
    discover_routes,
    objects,  # noqa: F401 - the fixture, reused
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, ATTRIBUTE)
# What must never reach a page raw (the attribute payload is harmless once its "<" is escaped).
RAW = (SCRIPT, "<img src=x onerror=alert(1)>")
ESCAPED = tuple(escape(p) for p in PAYLOADS)
UNIQUE_SUFFIX = 8  # " #" and the row id, on unique columns

# Text that is not typed freely: identifiers the code looks rows up by, or values parsed for
# meaning (a UAN's topic, a state's two letters). The forms refuse "<" in these anyway.
NOT_FREE_TEXT = {"code", "uan", "ce_uan", "topic", "trigger_key", "state", "username", "password", "session_key"}


def project_models() -> list[type[models.Model]]:
    base = Path(settings.BASE_DIR).resolve()
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents and ".venv" not in path.parts:
            found.extend(m for m in config.get_models() if not m._meta.proxy and m._meta.managed)
    return found


def free_text_fields(model) -> list[models.Field]:
    fields = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if isinstance(field, models.EmailField | models.URLField | models.SlugField | models.FileField):
            continue
        if field.choices or field.primary_key or field.name in NOT_FREE_TEXT or field.name.endswith("_code"):
            continue
        if any(isinstance(v, RegexValidator) for v in field.validators):
            continue
        room = min(map(len, PAYLOADS)) + (UNIQUE_SUFFIX if field.unique else 0)
        if field.max_length is not None and field.max_length < room:
            continue  # too short to hold markup
        fields.append(field)
    return fields


def poison_every_free_text_field() -> list[str]:
    """Overwrite every free-text column of every row with a payload; return "model.field"s."""
    poisoned = []
    for model in project_models():
        changes = {}
        for n, field in enumerate(free_text_fields(model)):
            # Both payloads in turn, the shorter one where the longer does not fit.
            room = (field.max_length or 10_000) - (UNIQUE_SUFFIX if field.unique else 0)
            payload = Value(next(p for p in (PAYLOADS[n % 2], PAYLOADS[(n + 1) % 2]) if len(p) <= room))
            # Unique columns (employee ids) keep their rows apart with the row's id.
            changes[field.name] = (
                Concat(payload, Value(" #"), Cast("pk", models.CharField())) if field.unique else payload
            )
            poisoned.append(f"{model._meta.label}.{field.name}")
        if changes:
            model._default_manager.update(**changes)
    return poisoned


def pages_for(role: str):
    """(route name, url) for every page ``role`` may GET with an answer of 200, one object in
    scope for routes that take an id."""
    for name in sorted(set(discover_routes()) & set(EXPECTED)):
        route = EXPECTED[name]
        if route.kind != PAGE or "GET" not in route.methods:
            continue
        for variant in VARIANTS[route.obj] if route.obj else (None,):
            status = _expected_status(route.methods["GET"][role], role=role, obj_kind=route.obj, variant=variant)
            if status == 200:
                yield name, route.obj, variant
                break


def unescaped(html: str) -> list[str]:
    return [raw for raw in RAW if raw in html]


@pytest.fixture
def poisoned(objects, users):  # noqa: F811 - objects is the permission matrix's fixture
    fields = poison_every_free_text_field()
    # Every kind of text a person types is among them.
    for expected in (
        "technicians.Site.name",
        "technicians.Technician.first_name",
        "technicians.Technician.last_name",
        "technicians.Technician.employee_id",
        "technicians.Technician.exit_notes",
        "technicians.User.first_name",
        "technicians.User.last_name",
        "tiers.Evaluation.comments",
        "tiers.Evaluation.technician_comment",
        "tiers.Promotion.justification",
        "tiers.Promotion.note",
        "competencies.SignOff.comment",
        "tracks.MentoringMeeting.notes",
        "certifications.Certification.number",
        "certifications.CECredit.title",
        "certifications.Attestation.supervisor_name",
        "certifications.PtcbExtension.reason",
        "training.Program.name",
        "training.TrainingAssignment.note",
        "training.Rotation.note",
    ):
        assert expected in fields, f"{expected} was not poisoned"
    return objects


@pytest.mark.parametrize("role", ROLES[1:])
def test_typed_html_is_escaped_on_every_page(role, users, poisoned):
    client = Logins(users).client(role)
    problems, checked, shown = [], [], []

    for name, kind, variant in pages_for(role):
        obj = poisoned[f"{kind}:{variant}"] if kind else None
        url = reverse(name, kwargs={"pk": obj.pk}) if obj else reverse(name)
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url} [{name}]: answered {response.status_code}, expected 200")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # CSV, XLSX, PDF, iCalendar: no HTML to inject into (exports: test_exports.py)
        html = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        checked.append(name)
        for raw in unescaped(html):
            problems.append(f"{url} [{name}]: {raw!r} appears unescaped")
        if any(e in html for e in ESCAPED):
            shown.append(name)

    assert not problems, f"As {role}:\n" + "\n".join(problems)
    assert len(checked) >= 8, checked
    # The payloads did reach the pages (escaped): the role's home and the technicians' pages.
    must_show = {
        "technician": {"me", "technicians:detail"},
        "evaluator": {"me", "technicians:list", "technicians:detail"},
        "manager": {"dashboard", "technicians:list", "technicians:detail"},
        "hr": {"dashboard", "technicians:list", "technicians:detail"},
        "admin": {"dashboard", "technicians:list", "technicians:detail"},
    }[role]
    assert must_show <= set(shown), f"no escaped payload on {sorted(must_show - set(shown))}"


def test_query_strings_are_escaped_when_echoed(users, poisoned):
    """Filters, search boxes and ``next`` echo what is in the URL: escaped too."""
    client = Logins(users).client("hr")
    params = dict.fromkeys(("q", "search", "next", "site", "status", "kind", "category", "tier", "track"), SCRIPT)
    params.update(start=ATTRIBUTE, end=ATTRIBUTE, week=ATTRIBUTE, month=ATTRIBUTE)
    problems = []
    for name, kind, _variant in pages_for("hr"):
        if kind:
            continue
        response = client.get(reverse(name), params)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        problems += [f"{name}: {raw!r} appears unescaped" for raw in unescaped(html)]
    login = Logins({"anonymous": None}).client("anonymous").get("/accounts/login/", {"next": ATTRIBUTE})
    problems += [f"login: {raw!r} appears unescaped" for raw in unescaped(login.content.decode())]
    assert not problems, "\n".join(problems)
