"""Production overlay: HTTPS only, secure cookies, HSTS. ``manage.py check --deploy`` passes with
no warning under these settings and a production environment (tests/security/test_deploy.py).

Decisions:

- ``SECRET_KEY`` must come from the environment: without it the app stops at start-up
  rather than sign sessions with a key nobody chose. ``ALLOWED_HOSTS`` keeps base's loopback
  default (the image builds with no environment), which fails closed: a public name answers
  400 until it is listed.
- The app runs behind an HTTPS reverse proxy (docs/production.md) that sets
  ``X-Forwarded-Proto`` and appends the caller to ``X-Forwarded-For``. Django trusts the first
  (``SECURE_PROXY_SSL_HEADER``) and the login throttle reads the caller from the second
  (``TRUSTED_PROXY_COUNT``, one proxy by default); so only the proxy may reach the app's port.
- HSTS: one year, with subdomains. ``preload`` is sent so that ``check --deploy`` is clean,
  but it changes nothing until the domain's owner submits the domain to hstspreload.org,
  which is their decision (it binds every subdomain of the registrable domain to HTTPS for
  good); ``SECURE_HSTS_PRELOAD=false`` leaves it out.
- Cookies: ``Secure``, ``HttpOnly`` for the session, ``SameSite=Lax``, and the ``__Host-``
  name prefix (OWASP ASVS 5.0 V3.3.1), which browsers accept only from HTTPS (or
  ``localhost``), for the whole host, never from a sibling subdomain.
"""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY")
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe /health/ over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_SAMESITE = "Lax"
