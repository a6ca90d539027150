"""The permission matrix: every URL of the project × every role × every method it accepts.

Routes are discovered from the URL resolver, so a new endpoint cannot slip past this test: it
fails until the new route's expected answers are written into ``EXPECTED`` below.

Rules it holds the code to (PRODUCT.md sections 1 and 4):
- anonymous callers: pages redirect to ``/accounts/login/``; the API answers 401 (Token auth
  comes first, so the answer carries ``WWW-Authenticate``);
- objects outside the caller's scope answer 404, never 403, so that ids cannot be probed;
- a forbidden action on a visible object answers 403; a page or endpoint that is not for a
  role answers 404 (pages) or 403 (the API);
- a refused write changes nothing.

Each request runs in a savepoint that is rolled back afterwards, so an allowed write (a delete,
an approval) never changes what the next role meets, and every answer is exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from certifications.models import Attestation, CECredit, Certification, CertificationType, PracticeTest, PtcbExtension
from competencies import services as competencies_services
from competencies.models import ChecklistItem, Competency
from incentives.models import Incentive, IncentiveProgram
from notifications.models import Notification
from technicians.models import Technician, User
from tests.factories import TechnicianFactory, UserFactory
from tiers import services as tier_services
from tiers.models import RUBRIC, Tier, TierAssignment
from tracks import services as tracks_services
from tracks.models import Enrolment, MentoringMeeting, Track, TrackPosition
from training.models import Program, Rotation, TrainingAssignment

ROLES = ("anonymous", "technician", "evaluator", "manager", "hr", "admin")
PAGE, API = "page", "api"


@dataclass(frozen=True)
class Redirect:
    """A 302 to ``location`` (or to anything starting with it, when ``prefix``)."""

    location: str
    prefix: bool = False

    def __str__(self) -> str:
        return f"302 → {self.location}{'…' if self.prefix else ''}"


@dataclass(frozen=True)
class Scoped:
    """``status`` when the object is in the role's scope, 404 when it is not."""

    status: int

    def __str__(self) -> str:
        return f"{self.status} in scope / 404 outside"


LOGIN = Redirect("/accounts/login/?next=", prefix=True)
ADMIN_LOGIN = Redirect("/admin/login/?next=", prefix=True)
S200, S403 = Scoped(200), Scoped(403)
TRAINING_PAGE = Redirect("/training/technicians/", prefix=True)


def by_role(anonymous, technician, evaluator, manager, hr, admin) -> dict:
    return {
        "anonymous": anonymous,
        "technician": technician,
        "evaluator": evaluator,
        "manager": manager,
        "hr": hr,
        "admin": admin,
    }


@dataclass
class Route:
    kind: str
    methods: dict[str, dict]
    obj: str | None = None  # the kind of object the route's ``pk`` names
    body: dict = field(default_factory=dict)  # sent with writes: empty, so allowed roles get a 400 or a no-op
    kwargs: dict = field(default_factory=dict)  # fixed URL arguments other than ``pk`` (a feed token)


# Kinds of object a route's ``pk`` can name. A technician's records are requested three times:
# the technician login's own (tech_a), a colleague's at site A (tech_a2) and one at site B
# (tech_b). Manager and evaluator are attached to site A only; hr and admin see every site.
TECHNICIAN_OWNED = (
    "technician",
    "certification",
    "attestation",
    "cspt",  # the CSPT certification the attestation belongs to (it renews with an attestation)
    "ce-credit",
    "practice-test",
    "ptcb-extension",
    "incentive",
    "signoff",
    "tct-log",
    "evaluation",
    "promotion",
    "enrolment",
    "leadership-hours",
    "mentoring-meeting",
    "training-assignment",
    "rotation",
)
ORGANISATION_WIDE = ("tier", "competency", "certification-type", "incentive-program", "track", "program")
OWNERS = ("tech_a", "tech_a2", "tech_b")
VARIANTS = {
    **dict.fromkeys(TECHNICIAN_OWNED, OWNERS),
    "site": ("site_a", "site_b"),
    "user": ("user_a", "user_b"),  # a manager login of site A, one of site B
    **{kind: (kind,) for kind in ORGANISATION_WIDE},
    "notification": ROLES[1:],  # a notice addressed to each login
}
TECHNICIAN_SCOPE = {
    "technician": {"tech_a"},
    "evaluator": {"tech_a", "tech_a2"},
    "manager": {"tech_a", "tech_a2"},
    "hr": set(OWNERS),
    "admin": set(OWNERS),
}
# An evaluator reads of their site's technicians only what signing off needs (names, tiers,
# competencies, sign-offs, tech-check-tech and leadership-hour logs: technicians/selectors.py);
# every other kind only of their own record, which is none of OWNERS.
EVALUATOR_READS_OF_COLLEAGUES = ("technician", "signoff", "tct-log", "leadership-hours")
OWN_ONLY_SCOPE = {**TECHNICIAN_SCOPE, "evaluator": set()}
IN_SCOPE = {
    **{
        kind: TECHNICIAN_SCOPE if kind in EVALUATOR_READS_OF_COLLEAGUES else OWN_ONLY_SCOPE for kind in TECHNICIAN_OWNED
    },
    "site": {
        "technician": {"site_a"},
        "evaluator": {"site_a"},
        "manager": {"site_a"},
        "hr": {"site_a", "site_b"},
        "admin": {"site_a", "site_b"},
    },
    # The ladder, competencies, certification types, incentive programmes and tracks are the
    # organisation's: every logged-in role reads them.
    **{kind: {role: {kind} for role in ROLES[1:]} for kind in ORGANISATION_WIDE},
    # users/ is closed as a whole to every role but hr and admin (403 whatever the id, so
    # nothing can be probed); it has no site scope.
    "user": {role: {"user_a", "user_b"} for role in ROLES[1:]},
    # A notice is addressed to one login: nobody else (not even hr or admin) finds it.
    "notification": {role: {role} for role in ROLES[1:]},
}

# fmt: off
EXPECTED: dict[str, Route] = {
    # ---- pages ---------------------------------------------------------------------------
    #                                       anonymous  technician          evaluator                  manager                 hr                      admin
    "home": Route(PAGE, {"GET": by_role(LOGIN, Redirect("/me/"), Redirect("/technicians/"), Redirect("/dashboard/"), Redirect("/dashboard/"), Redirect("/dashboard/"))}),
    "health": Route(PAGE, {"GET": by_role(200, 200, 200, 200, 200, 200)}),
    "login": Route(PAGE, {"GET": by_role(200, Redirect("/"), Redirect("/"), Redirect("/"), Redirect("/"), Redirect("/"))}),
    # Logging out is a POST (Django 5); a GET must not log anyone out.
    "logout": Route(PAGE, {
        "GET": by_role(405, 405, 405, 405, 405, 405),
        "POST": by_role(*[Redirect("/accounts/login/")] * 6),
    }),
    # /me/ is the technician's own page; the evaluator login is a Lead technician, so it has one too.
    "me": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 404, 404, 404)}),
    "dashboard": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 200, 200, 200)}),
    "technicians:list": Route(PAGE, {"GET": by_role(LOGIN, 404, 200, 200, 200, 200)}),
    # An empty form POST redisplays the form with its errors (200) for those who may add.
    "technicians:create": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 200, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 200, 200, 200),
    }),
    "technicians:detail": Route(PAGE, {"GET": by_role(LOGIN, S200, S200, S200, S200, S200)}, obj="technician"),
    # The printable badge (its QR code opens the sign-off sheet): for whoever reads the technician.
    "technicians:badge": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S200, S200, S200, S200),
        "POST": by_role(LOGIN, 405, 405, 405, 405, 405),
    }, obj="technician"),
    # Only managers of the technician's site (and hr, admin) edit; to everyone else it is not there.
    "technicians:edit": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, S200, S200, S200),
        "POST": by_role(LOGIN, 404, 404, S200, S200, S200),
    }, obj="technician"),
    "technicians:site-list": Route(PAGE, {"GET": by_role(LOGIN, 404, 200, 200, 200, 200)}),
    # Hr sets a site's USP <797> category there (an empty POST keeps "no sterile compounding": 302).
    "technicians:site-detail": Route(PAGE, {
        "GET": by_role(LOGIN, 404, S200, S200, S200, S200),
        "POST": by_role(LOGIN, 404, S403, S403, Scoped(302), Scoped(302)),
    }, obj="site"),
    # The Django admin keeps its own login page; only staff (admin) get in.
    "admin:index": Route(PAGE, {"GET": by_role(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)}),
    # ---- API -----------------------------------------------------------------------------
    "api:api-root": Route(API, {"GET": by_role(401, 200, 200, 200, 200, 200)}),
    "schema": Route(API, {"GET": by_role(401, 200, 200, 200, 200, 200)}),
    "api-docs": Route(API, {"GET": by_role(401, 200, 200, 200, 200, 200)}),
    # The one endpoint open to anonymous callers; an empty body is a 400 for anyone.
    "api:auth-token": Route(API, {
        "GET": by_role(405, 405, 405, 405, 405, 405),
        "POST": by_role(400, 400, 400, 400, 400, 400),
        # Logging out through the API revokes the caller's token.
        "DELETE": by_role(401, 204, 204, 204, 204, 204),
    }),
    "api:site-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:site-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, S403, S403, S403, S200, S200),
        "PUT": by_role(401, S403, S403, S403, Scoped(400), Scoped(400)),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),  # sites are never deleted
    }, obj="site"),
    "api:tier-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:tier-detail": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "PATCH": by_role(401, 403, 403, 403, 200, 200),
        "PUT": by_role(401, 403, 403, 403, 400, 400),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="tier"),
    "api:user-list": Route(API, {
        "GET": by_role(401, 403, 403, 403, 200, 200),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:user-detail": Route(API, {
        "GET": by_role(401, 403, 403, 403, 200, 200),
        "PATCH": by_role(401, 403, 403, 403, 200, 200),
        "PUT": by_role(401, 403, 403, 403, 400, 400),
        "DELETE": by_role(401, 403, 403, 403, 405, 405),  # logins are deactivated, not deleted
    }, obj="user"),
    "api:technician-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 400, 400, 400),
    }),
    "api:technician-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, S403, S403, S200, S200, S200),
        "PUT": by_role(401, S403, S403, Scoped(400), Scoped(400), Scoped(400)),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),  # terminated technicians are kept for the KPIs
    }, obj="technician"),
    # Progress holds evaluations, certificates, CE and training: an evaluator reads only their own.
    "api:technician-progress": Route(API, {"GET": by_role(401, S200, 404, S200, S200, S200)}, obj="technician"),
    # ---- metrics: dashboard actions, hr's reports, KPI API --------------------------------
    # Recompute is a POST (405 to a GET); without htmx it redirects back to the dashboard.
    "metrics:recompute": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, 404, 404, Redirect("/dashboard/"), Redirect("/dashboard/"), Redirect("/dashboard/")),
    }),
    "metrics:recompute-status": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 200, 200, 200)}),
    "metrics:reports": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 404, 200, 200)}),
    "metrics:reports-print": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 404, 200, 200)}),
    "metrics:reports-csv": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 404, 200, 200)}),
    "metrics:reports-xlsx": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 404, 200, 200)}),
    # kpis/ needs start and end: a bare GET is a 400 for the roles that may ask.
    "api:kpis": Route(API, {"GET": by_role(401, 403, 403, 400, 400, 400)}),
    "api:kpi-snapshot-list": Route(API, {"GET": by_role(401, 403, 403, 200, 200, 200)}),
    # ---- certifications: pages ------------------------------------------------------------
    # /certifications/ sends staff to the overview and technicians to their own page.
    "certifications:home": Route(PAGE, {"GET": by_role(LOGIN, Redirect("/certifications/me/"), *[Redirect("/certifications/overview/")] * 4)}),
    # The own page exists for logins linked to a technician record (technician, evaluator).
    "certifications:mine": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 404, 404, 404)}),
    # A technician opening their own record by id is sent to their own page; an evaluator reads
    # no colleague's certificates (only their own, on their own page).
    "certifications:technician": Route(PAGE, {"GET": by_role(
        LOGIN, {"tech_a": Redirect("/certifications/me/"), "tech_a2": 404, "tech_b": 404}, 404, S200, S200, S200,
    )}, obj="technician"),
    # Logging records: oneself, or a manager of the site / hr. An empty POST redisplays the form (200).
    "certifications:certification-add": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S200, S403, S200, S200, S200),
    }, obj="technician"),
    "certifications:ce-credit-add": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S200, S403, S200, S200, S200),
    }, obj="technician"),
    "certifications:practice-test-add": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S200, S403, S200, S200, S200),
    }, obj="technician"),
    # Extensions: managers of the site and hr, never for oneself.
    "certifications:ptcb-extension-add": Route(PAGE, {
        "GET": by_role(LOGIN, S403, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S403, S403, S200, S200, S200),
    }, obj="technician"),
    # The matrix's certification is self-reported and unverified: its technician may still correct or withdraw it.
    "certifications:certification-detail": Route(PAGE, {"GET": by_role(LOGIN, S200, S200, S200, S200, S200)}, obj="certification"),
    "certifications:certification-edit": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S200, S403, S200, S200, S200),
    }, obj="certification"),
    "certifications:certification-delete": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S403, S200, S200, S200),
        "POST": by_role(LOGIN, Scoped(302), S403, Scoped(302), Scoped(302), Scoped(302)),
    }, obj="certification"),
    # Verify is a POST (405 to a GET); nobody verifies their own record.
    "certifications:certification-verify": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, S403, S403, Scoped(302), Scoped(302), Scoped(302)),
    }, obj="certification"),
    "certifications:certification-reject": Route(PAGE, {
        "GET": by_role(LOGIN, S403, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S403, S403, S200, S200, S200),
    }, obj="certification"),
    # Scanned certificates are personnel data: whoever sees the record downloads it, nobody else.
    "certifications:certification-evidence": Route(PAGE, {"GET": by_role(LOGIN, S200, S200, S200, S200, S200)}, obj="certification"),
    # The CSPT renews with a supervisor's attestation, recorded by a manager of the site or hr.
    "certifications:attestation-add": Route(PAGE, {
        "GET": by_role(LOGIN, S403, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S403, S403, S200, S200, S200),
    }, obj="cspt"),
    "certifications:attestation-evidence": Route(PAGE, {"GET": by_role(LOGIN, S200, S200, S200, S200, S200)}, obj="attestation"),
    "certifications:ce-credit-delete": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S403, S200, S200, S200),
        "POST": by_role(LOGIN, Scoped(302), S403, Scoped(302), Scoped(302), Scoped(302)),
    }, obj="ce-credit"),
    "certifications:ce-credit-evidence": Route(PAGE, {"GET": by_role(LOGIN, S200, S200, S200, S200, S200)}, obj="ce-credit"),
    # CE without a UAN counts once a manager of the site or hr has checked its proof; the
    # matrix's credit has a UAN, so an allowed POST says so and sends the page back.
    "certifications:ce-credit-verify": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, S403, S403, Scoped(302), Scoped(302), Scoped(302)),
    }, obj="ce-credit"),
    "certifications:practice-test-delete": Route(PAGE, {
        "GET": by_role(LOGIN, S200, S403, S200, S200, S200),
        "POST": by_role(LOGIN, Scoped(302), S403, Scoped(302), Scoped(302), Scoped(302)),
    }, obj="practice-test"),
    "certifications:overview": Route(PAGE, {"GET": by_role(LOGIN, 404, 200, 200, 200, 200)}),
    "certifications:verification-queue": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 200, 200, 200)}),
    # Staff read the policy; only hr changes it (an empty POST redisplays the form).
    "certifications:policy": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 200, 200, 200, 200),
        "POST": by_role(LOGIN, 404, 403, 403, 200, 200),
    }),
    "certifications:type-list": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 200, 200, 200)}),
    "certifications:type-create": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 404, 200, 200),
    }),
    "certifications:type-edit": Route(PAGE, {
        "GET": by_role(LOGIN, 403, 403, 403, 200, 200),
        "POST": by_role(LOGIN, 403, 403, 403, 200, 200),
    }, obj="certification-type"),
    "incentives:incentive-list": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 200, 200, 200)}),
    "incentives:incentive-check": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, 404, 404, *[Redirect("/incentives/")] * 3),
    }),
    # Pay is for managers and hr: an evaluator does not see colleagues' incentives at all.
    "incentives:incentive-award": Route(PAGE, {
        "GET": by_role(LOGIN, S403, 404, S200, S200, S200),
        "POST": by_role(LOGIN, S403, 404, S200, S200, S200),
    }, obj="incentive"),
    "incentives:program-create": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 404, 200, 200),
    }),
    "incentives:program-edit": Route(PAGE, {
        "GET": by_role(LOGIN, 403, 403, 403, 200, 200),
        "POST": by_role(LOGIN, 403, 403, 403, 200, 200),
    }, obj="incentive-program"),
    # ---- certifications: API --------------------------------------------------------------
    "api:certification-type-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:certification-type-detail": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "PATCH": by_role(401, 403, 403, 403, 200, 200),
        "PUT": by_role(401, 403, 403, 403, 400, 400),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),  # types are kept: held records point at them
    }, obj="certification-type"),
    "api:certification-policy": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "PATCH": by_role(401, 403, 403, 403, 200, 200),
        "PUT": by_role(401, 403, 403, 403, 200, 200),
    }),
    # An empty POST is a 400 for everyone logged in (fields are checked before the permission,
    # which needs the technician named in the body).
    "api:certification-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 400, 400, 400, 400, 400),
    }),
    "api:certification-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, S200, S403, S200, S200, S200),
        "PUT": by_role(401, Scoped(400), S403, Scoped(400), Scoped(400), Scoped(400)),
        "DELETE": by_role(401, Scoped(204), S403, Scoped(204), Scoped(204), Scoped(204)),
    }, obj="certification"),
    "api:certification-verify": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S403, S403, S200, S200, S200),
    }, obj="certification"),
    "api:certification-reject": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S403, S403, Scoped(400), Scoped(400), Scoped(400)),
    }, obj="certification"),
    # The matrix's credit has a UAN: verifying it is refused with a reason (400) to those who may verify.
    "api:ce-credit-verify": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S403, S403, Scoped(400), Scoped(400), Scoped(400)),
    }, obj="ce-credit"),
    "api:attestation-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 400, 400, 400, 400, 400),
    }),
    "api:attestation-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="attestation"),
    "api:ptcb-extension-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 400, 400, 400, 400, 400),
    }),
    # Extensions are never edited or deleted: a correction is a new extension.
    "api:ptcb-extension-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="ptcb-extension"),
    "api:practice-test-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 400, 400, 400, 400, 400),
    }),
    # Practice tests and CE credits are not edited: a wrong entry is deleted and logged again.
    "api:practice-test-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, Scoped(204), S403, Scoped(204), Scoped(204), Scoped(204)),
    }, obj="practice-test"),
    "api:ce-credit-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 400, 400, 400, 400, 400),
    }),
    "api:ce-credit-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, Scoped(204), S403, Scoped(204), Scoped(204), Scoped(204)),
    }, obj="ce-credit"),
    "api:incentive-program-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:incentive-program-detail": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "PATCH": by_role(401, 403, 403, 403, 200, 200),
        "PUT": by_role(401, 403, 403, 403, 400, 400),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="incentive-program"),
    # Incentives are created by their triggers, not posted; an evaluator sees only their own.
    "api:incentive-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 405, 405, 405, 405, 405),
    }),
    "api:incentive-detail": Route(API, {
        "GET": by_role(401, S200, 404, S200, S200, S200),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="incentive"),
    # An empty award body means "awarded today, at the programme's amount".
    "api:incentive-award": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S403, 404, S200, S200, S200),
    }, obj="incentive"),
    "api:incentive-check": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, 403, 403, 200, 200, 200),
    }),
    # ---- training (training/urls.py, training/api/urls.py) ------------------------------------
    # The own training page exists for logins linked to a technician record (technician, evaluator).
    "training:mine": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 404, 404, 404)}),
    # An evaluator reads no colleague's training (their own is on their own page).
    "training:technician": Route(PAGE, {"GET": by_role(LOGIN, S200, 404, S200, S200, S200)}, obj="technician"),
    # Assigning is for the technician's managers and hr; an empty POST redisplays the form (200).
    "training:assign": Route(PAGE, {
        "GET": by_role(LOGIN, S403, S403, S200, S200, S200),
        "POST": by_role(LOGIN, S403, S403, S200, S200, S200),
    }, obj="technician"),
    "training:bulk-assign": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 200, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 200, 200, 200),
    }),
    # Progress is recorded by the technician (back to their own page) or a manager / hr (back to
    # the technician's training page); an evaluator does not see a colleague's assignment.
    "training:assignment-start": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(
            LOGIN, {"tech_a": Redirect("/training/"), "tech_a2": 404, "tech_b": 404}, S403,
            {"tech_a": TRAINING_PAGE, "tech_a2": TRAINING_PAGE, "tech_b": 404}, TRAINING_PAGE, TRAINING_PAGE,
        ),
    }, obj="training-assignment"),
    "training:assignment-complete": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(
            LOGIN, {"tech_a": Redirect("/training/"), "tech_a2": 404, "tech_b": 404}, S403,
            {"tech_a": TRAINING_PAGE, "tech_a2": TRAINING_PAGE, "tech_b": 404}, TRAINING_PAGE, TRAINING_PAGE,
        ),
    }, obj="training-assignment"),
    "training:matrix": Route(PAGE, {"GET": by_role(LOGIN, 404, 200, 200, 200, 200)}),
    "training:matrix-csv": Route(PAGE, {"GET": by_role(LOGIN, 404, 200, 200, 200, 200)}),
    "training:matrix-xlsx": Route(PAGE, {"GET": by_role(LOGIN, 404, 200, 200, 200, 200)}),
    # Everyone but technicians reads the week view; scheduling is for the site's managers and hr
    # (an empty POST redisplays the form).
    "training:rotations": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 200, 200, 200, 200),
        "POST": by_role(LOGIN, 404, 403, 200, 200, 200),
    }),
    "api:program-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:program-detail": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "PATCH": by_role(401, 403, 403, 403, 200, 200),
        "PUT": by_role(401, 403, 403, 403, 400, 400),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),  # programmes are retired, not deleted
    }, obj="program"),
    "api:training-assignment-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 400, 400, 400),
    }),
    "api:training-assignment-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, S403, S403, Scoped(204), Scoped(204), Scoped(204)),
    }, obj="training-assignment"),
    "api:training-assignment-bulk": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, 403, 403, 400, 400, 400),
    }),
    "api:training-assignment-start": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S200, S403, S200, S200, S200),
    }, obj="training-assignment"),
    "api:training-assignment-complete": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S200, S403, S200, S200, S200),
    }, obj="training-assignment"),
    "api:rotation-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 400, 400, 400),
    }),
    "api:rotation-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, S403, S403, Scoped(204), Scoped(204), Scoped(204)),
    }, obj="rotation"),
    "api:training-matrix": Route(API, {"GET": by_role(401, 403, 200, 200, 200, 200)}),
    # ---- the ladder: pages (tiers/urls.py) ----------------------------------------------------
    # Everyone reads the ladder and the tracks; only hr and admin edit requirements and checklists.
    "tiers:ladder": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 200, 200, 200)}),
    "tiers:tier-edit": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 404, 200, 200),  # an empty form is redisplayed with its errors
    }, obj="tier"),
    # The USP <797> policy and tech-check-tech rules: staff read them, hr changes them (an empty
    # POST redisplays the page).
    "competencies:policy": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 200, 200, 200, 200),
        "POST": by_role(LOGIN, 404, 403, 403, 200, 200),
    }),
    "competencies:competency-create": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 404, 200, 200),
    }),
    "competencies:competency-edit": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 404, 200, 200),
    }, obj="competency"),
    # The sign-off screen is for evaluators and managers of the site (admin too), never for the
    # technician themself; hr is org-wide but no designated evaluator.
    "competencies:signoffs": Route(PAGE, {
        "GET": by_role(LOGIN, 404, S200, S200, 404, S200),
        "POST": by_role(LOGIN, 404, S200, S200, 404, S200),
    }, obj="technician"),
    # The technician and their managers and hr read the evaluations (an evaluator only their own);
    # recording one is the managers' and hr's.
    "tiers:evaluations": Route(PAGE, {
        "GET": by_role(LOGIN, S200, 404, S200, S200, S200),
        "POST": by_role(LOGIN, S403, 404, S200, S200, S200),
    }, obj="technician"),
    "tiers:promotion-create": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, S200, S200, S200),
        "POST": by_role(LOGIN, 404, 404, S200, S200, S200),
    }, obj="technician"),
    "competencies:logs": Route(PAGE, {
        "GET": by_role(LOGIN, 404, S200, S200, 404, S200),
        "POST": by_role(LOGIN, 404, S200, S200, 404, S200),
    }, obj="technician"),
    # Only the evaluated technician acknowledges (an empty comment is fine): back to /me/.
    "tiers:evaluation-acknowledge": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, {"tech_a": Redirect("/me/"), "tech_a2": 404, "tech_b": 404}, S403, S403, S403, S403),
    }, obj="evaluation"),
    "tiers:promotion-queue": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 200, 200, 200)}),
    "tiers:promotion-ready": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 200, 200, 200)}),
    "tiers:promotion-detail": Route(PAGE, {"GET": by_role(LOGIN, S200, S200, S200, S200, S200)}, obj="promotion"),
    # The matrix's requests are not eligible and carry no justification or reason: the decision is
    # refused with a message on the request's page (nothing changes).
    "tiers:promotion-approve": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, S403, S403, *[{
            "tech_a": Redirect("/promotions/", prefix=True), "tech_a2": Redirect("/promotions/", prefix=True),
            "tech_b": 404 if role == "manager" else Redirect("/promotions/", prefix=True),
        } for role in ("manager", "hr", "admin")]),
    }, obj="promotion"),
    "tiers:promotion-reject": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, S403, S403, *[{
            "tech_a": Redirect("/promotions/", prefix=True), "tech_a2": Redirect("/promotions/", prefix=True),
            "tech_b": 404 if role == "manager" else Redirect("/promotions/", prefix=True),
        } for role in ("manager", "hr", "admin")]),
    }, obj="promotion"),
    "tracks:tracks": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 200, 200, 200)}),
    # An empty enrolment names no position: back to the tracks with a message.
    "tracks:enrol": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, *[Redirect("/tracks/")] * 5),
    }),
    # The technician withdraws their own enrolment; managers and hr theirs; an evaluator may not.
    "tracks:enrolment-withdraw": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, {"tech_a": Redirect("/tracks/"), "tech_a2": 404, "tech_b": 404}, S403,
                        {"tech_a": Redirect("/tracks/"), "tech_a2": Redirect("/tracks/"), "tech_b": 404},
                        Redirect("/tracks/"), Redirect("/tracks/")),
    }, obj="enrolment"),
    # Completion is refused (the matrix's technicians are not ready) with a message on their page.
    "tracks:enrolment-complete": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, S403, S403, *[{
            "tech_a": Redirect("/technicians/", prefix=True), "tech_a2": Redirect("/technicians/", prefix=True),
            "tech_b": 404 if role == "manager" else Redirect("/technicians/", prefix=True),
        } for role in ("manager", "hr", "admin")]),
    }, obj="enrolment"),
    # Mentors see their mentees here (the matrix's logins mentor nobody); managers and hr the pairs.
    "tracks:mentoring": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 200, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 200, 200, 200),
    }),
    # ---- the ladder: API (tiers/api/urls.py) --------------------------------------------------
    "api:competency-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:competency-detail": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "PATCH": by_role(401, 403, 403, 403, 200, 200),
        "PUT": by_role(401, 403, 403, 403, 400, 400),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),  # competencies are retired, never deleted
    }, obj="competency"),
    # Sign-offs: evaluators, managers and admin write; sign-offs are never edited or deleted.
    "api:signoff-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 400, 400, 403, 400),
    }),
    "api:signoff-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="signoff"),
    "api:tct-log-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 400, 400, 403, 400),
    }),
    "api:tct-log-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="tct-log"),
    "api:evaluation-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 400, 400, 400),
    }),
    # An empty PATCH by a manager is a no-op correction (200) until the technician acknowledges.
    "api:evaluation-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, S403, S403, S200, S200, S200),
        "PUT": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="evaluation"),
    "api:evaluation-acknowledge": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S200, S403, S403, S403, S403),
    }, obj="evaluation"),
    "api:promotion-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 403, 400, 400, 400),
    }),
    "api:promotion-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="promotion"),
    # Not eligible and no justification (approve), no reason (reject): 400 for those who decide;
    # technicians and evaluators never decide: 403 on a request they can see (their own), 404 on any other.
    "api:promotion-approve": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S403, S403, Scoped(400), Scoped(400), Scoped(400)),
    }, obj="promotion"),
    "api:promotion-reject": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S403, S403, Scoped(400), Scoped(400), Scoped(400)),
    }, obj="promotion"),
    "api:track-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 405, 405, 405, 405, 405),
    }),
    "api:track-detail": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "PATCH": by_role(401, 405, 405, 405, 405, 405),
    }, obj="track"),
    # A technician enrols themself; managers and hr enrol theirs.
    "api:enrolment-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 400, 400, 400, 400, 400),
    }),
    "api:enrolment-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="enrolment"),
    "api:enrolment-withdraw": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S200, S403, S200, S200, S200),
    }, obj="enrolment"),
    "api:enrolment-complete": Route(API, {
        "GET": by_role(401, 405, 405, 405, 405, 405),
        "POST": by_role(401, S403, S403, Scoped(400), Scoped(400), Scoped(400)),
    }, obj="enrolment"),
    "api:leadership-hours-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 403, 400, 400, 403, 400),
    }),
    "api:leadership-hours-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="leadership-hours"),
    # The mentor (who may be a plain technician login), the mentee's managers and hr log meetings.
    "api:mentoring-meeting-list": Route(API, {
        "GET": by_role(401, 200, 200, 200, 200, 200),
        "POST": by_role(401, 400, 400, 400, 400, 400),
    }),
    "api:mentoring-meeting-detail": Route(API, {
        "GET": by_role(401, S200, S200, S200, S200, S200),
        "DELETE": by_role(401, 405, 405, 405, 405, 405),
    }, obj="mentoring-meeting"),
    # ---- audit trail: hr and admin read it; it is read-only (a POST is a 405 for everyone) ----
    "technicians:history": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, S200, S200),
        "POST": by_role(LOGIN, 405, 405, 405, 405, 405),
    }, obj="technician"),
    "certifications:policy-history": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, 200, 200),
        "POST": by_role(LOGIN, 405, 405, 405, 405, 405),
    }),
    # ---- notifications (notifications/urls.py): every login reads and marks its own notices ----
    "notifications:list": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 200, 200, 200)}),
    # Marking read is a POST (back to the list); another login's notice is not there (404).
    "notifications:read": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, Scoped(302), Scoped(302), Scoped(302), Scoped(302), Scoped(302)),
    }, obj="notification"),
    "notifications:read-all": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, *[Redirect("/notifications/")] * 5),
    }),
    # The deadline calendar is for logins linked to a technician record (technician, evaluator).
    "notifications:calendar": Route(PAGE, {"GET": by_role(LOGIN, 200, 200, 404, 404, 404)}),
    "notifications:calendar-link": Route(PAGE, {
        "GET": by_role(LOGIN, 405, 405, 405, 405, 405),
        "POST": by_role(LOGIN, Redirect("/notifications/calendar/"), Redirect("/notifications/calendar/"), 404, 404, 404),
    }),
    # No login (calendar apps have none): the token is the secret, and a wrong one is a 404 to everyone.
    "notifications:calendar-feed": Route(PAGE, {"GET": by_role(404, 404, 404, 404, 404, 404)}, kwargs={"token": "not-a-valid-token"}),
    # ---- imports from the HR system (hr and admin) -----------------------------------------------
    # An empty POST redisplays the form (200); the API without a file is a 400 and writes nothing.
    "imports:imports": Route(PAGE, {
        "GET": by_role(LOGIN, 404, 404, 404, 200, 200),
        "POST": by_role(LOGIN, 404, 404, 404, 200, 200),
    }),
    "imports:import-template": Route(PAGE, {"GET": by_role(LOGIN, 404, 404, 404, 200, 200)}),
    "api:import-technicians": Route(API, {
        "GET": by_role(401, 403, 403, 403, 405, 405),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:import-certifications": Route(API, {
        "GET": by_role(401, 403, 403, 403, 405, 405),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
    "api:import-ce-credits": Route(API, {
        "GET": by_role(401, 403, 403, 403, 405, 405),
        "POST": by_role(401, 403, 403, 403, 400, 400),
    }),
}
# fmt: on


def _is_format_suffix(route: str) -> bool:
    return "(?P<format>" in route or "<drf_format_suffix:format>" in route


def discover_routes() -> dict[str, str]:
    """Every named route (``namespace:name`` → pattern), admin sub-pages and ``.json``
    format-suffix twins left out. An unnamed route is reported under its pattern."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = ":".join(part for part in (namespace, pattern.namespace) if part)
                walk(pattern, route, ns)
                continue
            assert isinstance(pattern, URLPattern)
            if _is_format_suffix(route):
                continue
            if namespace.split(":")[0] == "admin" and pattern.name != "index":
                continue
            name = ":".join(part for part in (namespace, pattern.name) if part) if pattern.name else None
            found.setdefault(name or f"<unnamed route {route!r}>", route)

    walk(get_resolver(), "", "")
    return found


def test_every_route_is_in_the_matrix():
    """Given the project's URLconf, when its routes are listed, then each has a row in EXPECTED."""
    discovered = discover_routes()

    missing = sorted(set(discovered) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(discovered))

    assert not missing, (
        "These routes are not in the permission matrix. Add each one to EXPECTED in "
        "tests/test_permission_matrix.py with the status every role must get "
        "(and name it, if it is unnamed):\n  " + "\n  ".join(f"{name}  ({discovered[name]})" for name in missing)
    )
    assert not stale, "These EXPECTED rows match no route any more; remove them:\n  " + "\n  ".join(stale)
    for name, route in discovered.items():
        takes_pk = "pk" in route
        assert takes_pk == (EXPECTED[name].obj is not None), (
            f"{name} ({route}): set obj= in EXPECTED exactly when the route takes a pk"
        )


# ---- the objects each route is requested with -------------------------------------------------

D = dt.date


def _with_evidence(record):
    """Attach a (tiny) scanned certificate, so that evidence downloads have something to refuse."""
    record.evidence.save(f"evidence-{record.pk}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return record


def _owned_objects(kind: str, owner: Technician, *, users: dict, n: int):
    """One ``kind`` record belonging to ``owner`` (built straight in the database or through the
    service that owns the rule, whichever is shorter)."""
    admin, hr = users["admin"], users["hr"]
    if kind == "technician":
        return owner
    if kind == "certification":  # self-reported and not yet verified: the most permissive state
        return _with_evidence(
            Certification.objects.create(
                technician=owner,
                type=CertificationType.objects.get(code="CPHT"),
                number=f"CPHT-{n}",
                issued_on=D(2024, 9, 1),
                expires_on=D(2026, 9, 1),
                self_reported=True,
            )
        )
    if kind == "attestation":
        cspt = Certification.objects.create(
            technician=owner,
            type=CertificationType.objects.get(code="CSPT"),
            number=f"CSPT-{n}",
            issued_on=D(2025, 1, 10),
            expires_on=D(2026, 1, 10),
            verified_at=timezone.now(),
        )
        return _with_evidence(
            Attestation.objects.create(certification=cspt, attested_on=D(2025, 7, 1), supervisor_name="Dr. Ruiz")
        )
    if kind == "cspt":
        return Attestation.objects.get(certification__technician=owner).certification
    if kind == "ce-credit":
        return _with_evidence(
            CECredit.objects.create(
                technician=owner,
                completed_on=D(2025, 2, 1),
                title="Sterile compounding update",
                provider="RxLearn",
                uan=f"0145-0000-25-{n:03d}-H07-T",
                activity_type="H",
                topic="07",
                audience="T",
                hours=Decimal("1.50"),
            )
        )
    if kind == "practice-test":
        return PracticeTest.objects.create(
            technician=owner,
            taken_on=D(2025, 3, 1),
            source="Medical Hero",
            score=72,
            domain_scores={"medications": 70, "federal_requirements": 65, "patient_safety": 76, "order_entry": 74},
        )
    if kind == "ptcb-extension":
        return PtcbExtension.objects.create(
            technician=owner, extended_to=D(2026, 6, 30), reason="Exam rescheduled.", granted_on=D(2025, 9, 1)
        )
    if kind == "incentive":
        return Incentive.objects.create(
            technician=owner,
            program=IncentiveProgram.objects.get(code="CPHT_RAISE"),
            trigger_key=f"manual:{n}",
            eligible_on=D(2025, 1, 10),
        )
    if kind == "signoff":
        item = ChecklistItem.objects.filter(competency__code="DISPENSING", measure="", active=True).first()
        return competencies_services.signoff_record_many(
            technician=owner,
            evaluator=admin,
            entries=[competencies_services.SignOffInput(item=item, result="pass")],
            signed_on=D(2025, 5, 2),
            method="observation",
        )[0]
    if kind == "tct-log":
        return competencies_services.tct_log_record(
            technician=owner, audited_by=admin, checked_on=D(2025, 5, 2), verifications=120, errors=0
        )
    if kind == "evaluation":
        return tier_services.evaluation_create(
            technician=owner, evaluator=hr, month=D(2025, 5, 1), scores=dict.fromkeys(RUBRIC, 4)
        )
    if kind == "promotion":
        return tier_services.promotion_nominate(technician=owner, nominated_by=hr, effective_date=D(2025, 6, 1))
    if kind == "enrolment":
        position = TrackPosition.objects.get(code="INVENTORY_COORD")
        return Enrolment.objects.create(
            technician=owner, track=position.track, position=position, enrolled_on=D(2025, 4, 1), enrolled_by=hr
        )
    if kind == "leadership-hours":
        return tracks_services.leadership_hours_log(
            technician=owner,
            kind="shadowing",
            worked_on=D(2025, 5, 2),
            hours=Decimal(4),
            activity="Scheduling",
            recorded_by=admin,
        )
    if kind == "mentoring-meeting":
        mentor = TechnicianFactory(
            site=owner.site, first_name="Mentor", last_name=f"Of {owner.last_name}", tier="TECH3"
        )
        Technician.objects.filter(pk=owner.pk).update(mentor=mentor)
        return MentoringMeeting.objects.create(
            mentee=owner, mentor=mentor, met_on=D(2025, 5, 2), minutes=30, topics="PTCE prep", recorded_by=hr
        )
    if kind == "training-assignment":
        return TrainingAssignment.objects.create(
            technician=owner,
            program=Program.objects.get(code="HEALTH_SCREENINGS"),
            assigned_on=D(2025, 5, 1),
            due_on=D(2025, 6, 1),
        )
    if kind == "rotation":
        return Rotation.objects.create(technician=owner, station="filling", start=D(2025, 5, 5), end=D(2025, 5, 9))
    raise AssertionError(f"no builder for {kind}")


@pytest.fixture
def objects(users, site_a, site_b, tech_a, tech_b, settings, tmp_path):
    """``"kind:variant"`` → object: a record of each kind for tech_a (the technician login's own),
    tech_a2 (a colleague at site A) and tech_b (site B); sites, logins and organisation-wide
    objects (tiers, competencies, …) besides."""
    settings.MEDIA_ROOT = str(tmp_path / "media")  # evidence files, never in var/media
    owners = {
        "tech_a": tech_a,
        "tech_a2": TechnicianFactory(site=site_a, first_name="Carl", last_name="Cole", employee_id="A-2"),
        "tech_b": tech_b,
    }
    # Dates in the records are in 2025; hire everyone before them.
    Technician.objects.filter(pk__in=[t.pk for t in owners.values()]).update(hire_date=D(2023, 1, 9))
    TierAssignment.objects.filter(technician__in=owners.values()).update(start_date=D(2023, 1, 9))
    for tech in owners.values():
        tech.refresh_from_db()
    found = {
        "site:site_a": site_a,
        "site:site_b": site_b,
        "user:user_a": UserFactory(username="manager-a2", role=User.Role.MANAGER, sites=[site_a]),
        "user:user_b": UserFactory(username="manager-b", role=User.Role.MANAGER, sites=[site_b]),
        "tier:tier": Tier.objects.get(code="TECH2"),
        "competency:competency": Competency.objects.get(code="DISPENSING"),
        "certification-type:certification-type": CertificationType.objects.get(code="BLS"),
        "incentive-program:incentive-program": IncentiveProgram.objects.get(code="CPHT_BONUS"),
        "track:track": Track.objects.get(code="MANAGEMENT"),
        "program:program": Program.objects.get(code="HEALTH_SCREENINGS"),
    }
    for n, kind in enumerate(TECHNICIAN_OWNED):
        for m, (variant, owner) in enumerate(owners.items()):
            found[f"{kind}:{variant}"] = _owned_objects(kind, owner, users=users, n=10 * n + m)
    for role in ROLES[1:]:
        found[f"notification:{role}"] = Notification.objects.create(
            recipient=users[role],
            technician=tech_a,
            kind="training",
            threshold="7",
            key="training:0:2025-06-01:7",
            title="Training due within 7 days",
            link="/training/",
            created_on=D(2025, 5, 25),
        )
    return found


SNAPSHOT_APPS = (
    "technicians",
    "competencies",
    "tiers",
    "tracks",
    "certifications",
    "incentives",
    "imports",
    "training",
    "metrics",
    "notifications",
    "authtoken",
)


def _fingerprint_sql() -> str:
    """One query over every table a refused write could touch: its row count and its newest
    ``updated_at`` (or highest id), so an insert, a delete or a save() shows."""
    qn = connection.ops.quote_name
    parts = []
    for i, model in enumerate(apps.get_models(include_auto_created=True)):
        if model._meta.app_label not in SNAPSHOT_APPS:
            continue
        fields = {f.name: f for f in model._meta.concrete_fields}
        column = fields["updated_at"].column if "updated_at" in fields else model._meta.pk.column
        # Table and column names come from the models, quoted: nothing user-supplied.
        parts.append(f"SELECT {i}, COUNT(*), CAST(MAX({qn(column)}) AS VARCHAR(64)) FROM {qn(model._meta.db_table)}")  # noqa: S608
    return " UNION ALL ".join(parts)


def _snapshot(sql: str) -> tuple:
    """The fingerprint of every table, plus the logins and tokens in full (they have no
    ``updated_at``, and deactivating a login is exactly what a refused write must not do)."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        tables = sorted(cursor.fetchall())
    logins = list(User.objects.order_by("pk").values_list("pk", "is_active", "role", "password", "technician_id"))
    return tables, logins, list(Token.objects.order_by("key").values_list("key", "user_id"))


def _expected_status(expected, *, role: str, obj_kind: str | None, variant: str | None):
    if isinstance(expected, dict):
        expected = expected[variant]
    if isinstance(expected, Scoped):
        return expected.status if variant in IN_SCOPE[obj_kind][role] else 404
    return expected


def _matches(expected, response) -> bool:
    if isinstance(expected, Redirect):
        location = response.get("Location", "")
        return response.status_code == 302 and (
            location.startswith(expected.location) if expected.prefix else location == expected.location
        )
    return response.status_code == expected


class Logins:
    """One test client per role, logged in once (and again after a request logged it out)."""

    def __init__(self, users: dict):
        self.users = users
        self.clients: dict[str, tuple[Client, str]] = {}

    def client(self, role: str) -> Client:
        client, session_key = self.clients.get(role, (None, ""))
        cookie = client.cookies.get(settings.SESSION_COOKIE_NAME) if client else None
        if client is None or (cookie.value if cookie else "") != session_key:
            client = Client()
            if self.users[role] is not None:
                client.force_login(self.users[role])
            cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
            self.clients[role] = (client, cookie.value if cookie else "")
        return client


def _check_one(client: Client, route: Route, method: str, url: str, expected, *, fingerprint_sql: str) -> str | None:
    """Request ``url`` inside a savepoint that is rolled back afterwards, so that every request
    meets the same data; return what was wrong, if anything."""
    cache.clear()  # auth-token is throttled per client address: this is not the throttle's test
    with transaction.atomic():
        before = _snapshot(fingerprint_sql) if method != "GET" else None
        try:
            if route.kind == API and method != "GET":
                response = getattr(client, method.lower())(url, route.body, content_type="application/json")
            else:
                response = getattr(client, method.lower())(url, route.body if method != "GET" else None)
        except Exception as exc:  # a 500 in the making: report it with the rest
            transaction.set_rollback(True)
            return f"expected {expected}, raised {exc!r}"
        changed = before is not None and response.status_code >= 400 and _snapshot(fingerprint_sql) != before
        transaction.set_rollback(True)
    if not _matches(expected, response):
        location = f" → {response['Location']}" if response.status_code in (301, 302) else ""
        return f"expected {expected}, got {response.status_code}{location}"
    if changed:
        return f"answered {response.status_code} but changed the database"
    if route.kind == API and response.status_code == 401 and not response.has_header("WWW-Authenticate"):
        return "401 without WWW-Authenticate"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, users, objects, record_property):
    """Given a login per role and objects inside and outside each role's scope, when every
    route is requested as ``role`` with every method it takes, then each answer is the one in
    EXPECTED and refused writes leave the database as it was.

    One test per role, so that the roles can run side by side (pytest-xdist)."""
    mismatches: list[str] = []
    checked = 0
    pairs = 0
    discovered = discover_routes()
    logins = Logins(users)
    fingerprint_sql = _fingerprint_sql()

    for name in sorted(set(discovered) & set(EXPECTED)):
        route = EXPECTED[name]
        pairs += 1
        variants = VARIANTS[route.obj] if route.obj else (None,)
        if role == "anonymous":
            variants = variants[:1]  # logging in comes before any object is looked up
        for method, expected_by_role in route.methods.items():
            for variant in variants:
                obj = objects[f"{route.obj}:{variant}"] if variant else None
                url = reverse(name, kwargs={"pk": obj.pk}) if obj else reverse(name, kwargs=route.kwargs or None)
                expected = _expected_status(expected_by_role[role], role=role, obj_kind=route.obj, variant=variant)
                where = f"{method} {url} [{name}] as {role}" + (f" on {variant}" if variant else "")
                checked += 1
                problem = _check_one(logins.client(role), route, method, url, expected, fingerprint_sql=fingerprint_sql)
                if problem:
                    mismatches.append(f"{where}: {problem}")

    # Summed over the roles and printed at the end of the run (tests/conftest.py).
    record_property("permission_matrix", {"role": role, "routes": pairs, "checks": checked})
    assert not mismatches, f"{len(mismatches)} of {checked} answers differ from EXPECTED:\n" + "\n".join(mismatches)
    # Every route is requested by every role; the floor catches a matrix that silently
    # stopped requesting anything (about 2,500 combinations over the six roles today).
    assert pairs == len(EXPECTED)
    assert checked >= (100 if role == "anonymous" else 300)
