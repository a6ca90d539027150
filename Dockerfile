# syntax=docker/dockerfile:1
# CareerLadder production image: gunicorn serves the app, whitenoise serves the static files
# collected at build time. The same image runs the Celery worker and beat (see
# docker-compose.yml and docs/production.md).

# --- Front-end assets from npm (no CDN at run time) -------------------------------------
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- Application ------------------------------------------------------------------------
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=careerladder.settings.production \
    WEB_CONCURRENCY=3

WORKDIR /app

RUN groupadd --system --gid 10001 careerladder \
 && useradd --system --uid 10001 --gid careerladder --create-home --home-dir /home/careerladder \
        --shell /usr/sbin/nologin careerladder

COPY requirements.txt ./
RUN pip install -r requirements.txt

# Only the asset folders that settings.STATICFILES_DIRS reads from node_modules.
COPY --from=assets /build/node_modules/bootstrap/dist node_modules/bootstrap/dist
COPY --from=assets /build/node_modules/bootstrap-icons/font node_modules/bootstrap-icons/font
COPY --from=assets /build/node_modules/chart.js/dist node_modules/chart.js/dist
COPY --from=assets /build/node_modules/htmx.org/dist node_modules/htmx.org/dist

COPY . .

# The key below exists only for this build step (collectstatic needs settings to load); it is
# not kept in the image's environment. The real SECRET_KEY comes from the environment at run
# time. var/ must be writable by the app user: uploads go to var/media (a volume in compose).
RUN SECRET_KEY=collectstatic-build-only-not-a-secret python manage.py collectstatic --noinput -v 0 \
 && mkdir -p var/media \
 && chown careerladder:careerladder var var/media

USER careerladder

EXPOSE 8000

# /health/ answers 200 when the database answers. The check sends Host (first ALLOWED_HOSTS
# entry) and X-Forwarded-Proto: https so host validation and SECURE_SSL_REDIRECT let it through.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')]; host = next((h for h in hosts if h and h != '*'), 'localhost'); r = u.urlopen(u.Request('http://127.0.0.1:8000/health/', headers={'Host': host, 'X-Forwarded-Proto': 'https'}), timeout=5); raise SystemExit(0 if r.status == 200 else 1)"]

# Workers come from WEB_CONCURRENCY (default 3 above; about 2 x CPU cores + 1 is typical).
CMD ["gunicorn", "careerladder.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5", "--max-requests", "1000", "--max-requests-jitter", "100", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
