"""The production stack files, checked offline (no Docker engine runs here).

``docker-compose.yml`` is validated against the Compose specification with check-jsonschema's
built-in schema, and its commands, the ``Dockerfile``'s CMD and HEALTHCHECK are checked against
the project's real entry points: the WSGI application, the Celery app, beat's scheduler and the
``/health/`` view. The web health check is run for real against gunicorn with the production
settings. ``.env.example`` and ``docs/production.md`` must name every setting.
"""

from __future__ import annotations

import http.client
import importlib
import importlib.util
import json
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import environ
import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.beat import Scheduler
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import resolve, reverse
from kombu.utils.imports import symbol_by_name

from careerladder.core import views as core_views

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
PRODUCTION_DOC = ROOT / "docs" / "production.md"
SETTINGS_FILES = [ROOT / "careerladder" / "settings" / "base.py", ROOT / "careerladder" / "settings" / "production.py"]

APP_SERVICES = ("web", "worker", "beat")
LONG_RUNNING = ("web", "worker", "beat", "db", "redis")
WSGI_ENTRY = "careerladder.wsgi:application"
BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
PRODUCTION_SETTINGS = "careerladder.settings.production"
# Read by a program other than the settings: Django itself and gunicorn (worker count).
NON_SETTINGS_VARIABLES = {"DJANGO_SETTINGS_MODULE", "WEB_CONCURRENCY"}

INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


# --- helpers ---------------------------------------------------------------------------------


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation (``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``, ``$$``)."""

    def replace(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = env.get(name)
        if op == ":-":
            return current or arg
        if op == "-":
            return arg if current is None else current
        if op in (":?", "?"):
            if (op == ":?" and not current) or current is None:
                raise KeyError(f"{name}: {arg}")
            return current
        return current or ""

    return INTERPOLATION.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


def as_argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def option_value(argv: list[str], option: str) -> str:
    assert option in argv, f"{option} missing from {argv}"
    return argv[argv.index(option) + 1]


def python_code(healthcheck_test: list[str]) -> str:
    """The code of a ``["CMD", "python", "-c", CODE]`` health check."""
    argv = healthcheck_test[1:] if healthcheck_test[0] == "CMD" else healthcheck_test
    assert argv[:2] == ["python", "-c"], healthcheck_test
    return argv[2]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "Dockerfile ends inside a continuation line"
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def only(instructions: list[tuple[str, str]], keyword: str) -> str:
    found = [arguments for kw, arguments in instructions if kw == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def dockerfile_cmd() -> list[str]:
    return json.loads(only(final_stage(), "CMD"))  # exec form: must be valid JSON


def dockerfile_healthcheck() -> list[str]:
    options, _, command = only(final_stage(), "HEALTHCHECK").partition(" CMD ")
    assert command, "HEALTHCHECK has no CMD"
    return ["CMD", *json.loads(command)]  # exec form: must be valid JSON


def settings_variables() -> set[str]:
    """Every environment variable the settings read (``env("X")``, ``env.bool("X")`` …)."""
    pattern = re.compile(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
    return {name for path in SETTINGS_FILES for name in pattern.findall(path.read_text())}


def compose_variables() -> set[str]:
    return {match["name"] for match in INTERPOLATION.finditer(COMPOSE_FILE.read_text())}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command(services: dict, name: str) -> list[str]:
    return as_argv(services[name]["command"])


def environment(services: dict, name: str) -> dict[str, str]:
    env = services[name]["environment"]
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def run_schema_check(path: Path) -> subprocess.CompletedProcess:
    # A proxy that refuses every connection: the check must not need the network.
    offline = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**offline, "PATH": "/usr/bin:/bin", "HOME": str(path.parent)},
        check=False,
    )


# --- the Compose specification ---------------------------------------------------------------


def test_compose_file_matches_the_compose_specification_offline():
    result = run_schema_check(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout


def test_schema_check_rejects_an_invalid_compose_file(compose, tmp_path):
    broken = json.loads(json.dumps(compose))
    broken["services"]["web"]["helthcheck"] = broken["services"]["web"].pop("healthcheck")
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = run_schema_check(path)
    assert result.returncode != 0, "the schema check accepted a misspelt key"


# --- services and their entry points ---------------------------------------------------------


def test_the_stack_has_its_five_services_and_a_one_shot_migrate(services):
    assert set(LONG_RUNNING) <= set(services)
    assert set(services) - set(LONG_RUNNING) == {"migrate"}


def test_web_runs_gunicorn_on_the_real_wsgi_application(services):
    argv = command(services, "web")
    assert argv[0] == "gunicorn"
    assert WSGI_ENTRY in argv
    assert option_value(argv, "--bind") == "0.0.0.0:8000"
    module_name, attribute = WSGI_ENTRY.split(":")
    assert importlib.util.find_spec(module_name) is not None
    application = getattr(importlib.import_module(module_name), attribute)
    assert isinstance(application, WSGIHandler)
    assert settings.WSGI_APPLICATION == WSGI_ENTRY.replace(":", ".")
    assert any(str(port).endswith(":8000") for port in services["web"]["ports"])


def test_web_command_is_the_image_default(services):
    assert command(services, "web") == dockerfile_cmd()


@pytest.mark.parametrize(("service", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_the_careerladder_celery_app(services, service, subcommand):
    argv = command(services, service)
    assert argv[:4] == ["celery", "-A", "careerladder", subcommand]
    from careerladder.celery import app

    assert isinstance(app, Celery)
    assert app.main == "careerladder"
    # What `celery -A careerladder` resolves to is that very app.
    assert find_app("careerladder") is app


def test_beat_uses_the_django_celery_beat_database_scheduler(services):
    argv = command(services, "beat")
    assert option_value(argv, "--scheduler") == BEAT_SCHEDULER
    assert issubclass(symbol_by_name(BEAT_SCHEDULER), Scheduler)
    assert settings.CELERY_BEAT_SCHEDULER == BEAT_SCHEDULER


def test_migrations_run_once_before_the_app_starts(services):
    migrate = services["migrate"]
    assert command(services, "migrate") == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate["image"] == services["web"]["image"]
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["db"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
        assert services[name]["image"] == migrate["image"], name
        assert services[name]["build"]["context"] == ".", name


# --- health checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck_and_restarts(services, name):
    service = services[name]
    healthcheck = service.get("healthcheck") or {}
    assert not healthcheck.get("disable"), name
    assert healthcheck.get("test"), f"{name} has no health check"
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL"), name
    assert service["restart"] == "unless-stopped", name


def test_one_shot_services_are_awaited_for_completion(services):
    for name in set(services) - set(LONG_RUNNING):
        dependants = [s for s in services.values() if name in (s.get("depends_on") or {})]
        assert dependants, f"nothing waits for {name}"
        for dependant in dependants:
            assert dependant["depends_on"][name]["condition"] == "service_completed_successfully"


def test_health_url_is_the_health_view():
    assert reverse("health") == "/health/"
    assert resolve("/health/").func is core_views.health


def test_web_healthcheck_is_the_image_healthcheck_and_hits_health(services):
    code = python_code(services["web"]["healthcheck"]["test"])
    assert code == python_code(dockerfile_healthcheck())
    assert "urllib" in code
    assert "http://127.0.0.1:8000/health/" in code
    assert "curl" not in json.dumps(dockerfile_healthcheck())
    compile(code, "<web healthcheck>", "exec")


def test_worker_and_beat_healthchecks_check_themselves(services):
    worker = " ".join(services["worker"]["healthcheck"]["test"][1:])
    assert "celery -A careerladder inspect ping" in worker
    assert "-d celery@$$HOSTNAME" in worker  # $$: a literal $ for the container's shell
    beat_argv = command(services, "beat")
    pidfile = option_value(beat_argv, "--pidfile")
    code = python_code(services["beat"]["healthcheck"]["test"])
    assert pidfile in code
    compile(code, "<beat healthcheck>", "exec")


def test_db_and_redis_healthchecks(services):
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]


def test_web_healthcheck_passes_against_gunicorn_with_production_settings(tmp_path):
    """Run the image's CMD and HEALTHCHECK with SECURE_SSL_REDIRECT and a public host name."""
    port = free_port()
    hosts = "careerladder.example.org,localhost"
    database_url = environ.Env().str("DATABASE_URL", default="") or f"sqlite:///{tmp_path / 'health.sqlite3'}"
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": PRODUCTION_SETTINGS,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": hosts,
        "SECURE_SSL_REDIRECT": "true",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "WEB_CONCURRENCY": "1",
    }
    argv = dockerfile_cmd()
    argv[argv.index("0.0.0.0:8000")] = f"127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 - the image's own CMD
        [sys.executable, "-m", *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)

        # Production redirects plain HTTP to HTTPS, except /health/, which load balancers
        # probe over plain HTTP inside the network.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/me/", headers={"Host": "careerladder.example.org"})
        response = connection.getresponse()
        assert response.status == 301
        assert response.getheader("Location") == "https://careerladder.example.org/me/"
        response.read()
        connection.request("GET", "/health/", headers={"Host": "careerladder.example.org"})
        response = connection.getresponse()
        assert response.status == 200
        connection.close()

        code = python_code(dockerfile_healthcheck()).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        check = subprocess.run(  # noqa: S603 - the image's own HEALTHCHECK
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30, check=False
        )
        assert check.returncode == 0, check.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()


# --- volumes ---------------------------------------------------------------------------------


def named_volume(compose: dict, service: str, target: str) -> str:
    for volume in compose["services"][service]["volumes"]:
        source, _, mount = str(volume).partition(":")
        if mount.split(":")[0] == target:
            assert "/" not in source and not source.startswith("."), f"{source} is a bind mount"
            assert source in (compose.get("volumes") or {}), f"volume {source} not declared at top level"
            return source
    raise AssertionError(f"{service} mounts nothing at {target}")


def test_db_keeps_its_data_in_a_named_volume(compose, services):
    assert services["db"]["image"].startswith("postgres:16")
    named_volume(compose, "db", "/var/lib/postgresql/data")


def test_redis_persists_with_an_append_only_file(compose, services):
    assert services["redis"]["image"].startswith("redis:7")
    argv = command(services, "redis")
    assert argv[0] == "redis-server"
    assert option_value(argv, "--appendonly") == "yes"
    assert option_value(argv, "--appendfsync") in ("everysec", "always")  # never "no": the OS decides
    assert named_volume(compose, "redis", "/data") == "redisdata"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_visibility_timeout_outlasts_the_task_time_limit(services, name):
    """Redis must not hand a running task to a second worker (careerladder.W001)."""
    env = {key: interpolate(value, {"SECRET_KEY": "x"}) for key, value in environment(services, name).items()}
    assert (
        int(env["CELERY_VISIBILITY_TIMEOUT"])
        > int(env["CELERY_TASK_TIME_LIMIT"])
        > int(env["CELERY_TASK_SOFT_TIME_LIMIT"])
    )


def test_uploads_live_in_a_named_volume(compose):
    assert named_volume(compose, "web", "/app/var/media") == named_volume(compose, "worker", "/app/var/media")


# --- environment -----------------------------------------------------------------------------


def test_app_services_share_one_environment_anchor(compose, services):
    anchors = [key for key in compose if key.startswith("x-") and "environment" in key]
    assert anchors, "no x- environment block"
    shared = {key: str(value) for key, value in compose[anchors[0]].items()}
    for name in (*APP_SERVICES, "migrate"):
        env = environment(services, name)
        assert {key: env[key] for key in shared if key in env} == shared, name
        assert set(env) - set(shared) <= {"WEB_CONCURRENCY"}, name
    # Written once and referenced (not copied) by web, worker, beat and migrate.
    raw = COMPOSE_FILE.read_text()
    anchor = re.search(rf"^{anchors[0]}: &([\w-]+)$", raw, re.M)
    assert anchor, f"{anchors[0]} is not a YAML anchor"
    assert raw.count(f"*{anchor[1]}") >= len(APP_SERVICES) + 1


def test_app_environment_points_at_the_compose_services(services):
    env = environment(services, "web")
    assert env["DJANGO_SETTINGS_MODULE"] == PRODUCTION_SETTINGS
    database = environ.Env.db_url_config(interpolate(env["DATABASE_URL"], {}))
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["USER"]) == (
        "db",
        5432,
        "careerladder",
        "careerladder",
    )
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert env["CELERY_RESULT_BACKEND"].startswith("redis://redis:6379/")


def test_no_secret_is_committed_and_secret_key_is_required(services):
    env = environment(services, "web")
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", env["SECRET_KEY"])
    with pytest.raises(KeyError):
        interpolate(env["SECRET_KEY"], {})
    with pytest.raises(KeyError):
        interpolate(env["SECRET_KEY"], {"SECRET_KEY": ""})
    assert interpolate(env["SECRET_KEY"], {"SECRET_KEY": "s3cret"}) == "s3cret"
    # The database password comes from POSTGRES_PASSWORD, with one local-trial default.
    db_password = services["db"]["environment"]["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:-[^}]+\}", db_password)
    assert f":{db_password}@db:" in env["DATABASE_URL"]
    assert interpolate(env["DATABASE_URL"], {"POSTGRES_PASSWORD": "p4ss"}).startswith("postgres://careerladder:p4ss@")
    example = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")
    )
    assert example["SECRET_KEY"] == ""
    assert example["POSTGRES_PASSWORD"] == ""


def test_local_trial_defaults(services):
    env = {key: interpolate(value, {"SECRET_KEY": "x"}) for key, value in environment(services, "web").items()}
    assert env["SECURE_SSL_REDIRECT"] == "false"
    assert environ.Env.parse_value(env["SECURE_SSL_REDIRECT"], bool) is False
    assert "localhost" in env["ALLOWED_HOSTS"].split(",")
    assert interpolate(services["web"]["ports"][0], {}) == "127.0.0.1:8000:8000"


def test_compose_passes_only_variables_the_app_reads(compose):
    shared = next(value for key, value in compose.items() if key.startswith("x-") and "environment" in key)
    unknown = set(shared) - settings_variables() - NON_SETTINGS_VARIABLES
    assert not unknown, f"passed but read by nothing: {unknown}"


def test_every_setting_is_in_env_example_and_the_production_doc():
    variables = settings_variables() | compose_variables() | NON_SETTINGS_VARIABLES
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "SECURE_SSL_REDIRECT", "POSTGRES_PASSWORD"} <= variables
    example = ENV_EXAMPLE.read_text()
    doc = PRODUCTION_DOC.read_text()
    for name in sorted(variables):
        assert re.search(rf"^#? ?{name}=", example, re.M), f"{name} missing from .env.example"
        assert f"| `{name}` |" in doc, f"{name} missing from the table in docs/production.md"


def test_production_doc_covers_running_scaling_and_backups():
    doc = PRODUCTION_DOC.read_text()
    for text in (
        "docker compose up -d",
        "docker compose run --rm web python manage.py createsuperuser",
        "docker compose up -d --scale worker=3",
        "pg_dump",
        "SECURE_SSL_REDIRECT",
    ):
        assert text in doc, text


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_builds_assets_with_node_and_runs_on_python_slim():
    instructions = dockerfile_instructions()
    froms = [arguments for keyword, arguments in instructions if keyword == "FROM"]
    assert len(froms) == 2
    assert re.fullmatch(r"node:20(-[\w.-]+)? AS assets", froms[0])
    assert froms[1].split()[0] == "python:3.11-slim"
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    assert any(run.startswith("npm ci") for run in runs)
    assert any("pip install -r requirements.txt" in run for run in runs)


def test_dockerfile_copies_every_npm_asset_folder_the_settings_serve():
    copies = [arguments.split() for keyword, arguments in final_stage() if keyword == "COPY"]
    copied = {(parts[-2], parts[-1]) for parts in copies if parts[0] == "--from=assets"}
    node_modules = Path(settings.NODE_MODULES)
    wanted = [
        Path(source).relative_to(node_modules).as_posix()
        for entry in settings.STATICFILES_DIRS
        if isinstance(entry, tuple)
        for source in [entry[1]]
        if Path(source).is_relative_to(node_modules)
    ]
    assert wanted, "no node_modules folders in STATICFILES_DIRS"
    for folder in wanted:
        assert (f"/build/node_modules/{folder}", f"node_modules/{folder}") in copied, folder


def test_dockerfile_collects_static_files_at_build_time_without_keeping_a_key():
    stage = final_stage()
    runs = [arguments for keyword, arguments in stage if keyword == "RUN"]
    collect = [run for run in runs if "manage.py collectstatic --noinput" in run]
    assert collect and "SECRET_KEY=" in collect[0]
    assert not any("SECRET_KEY" in arguments for keyword, arguments in stage if keyword in ("ENV", "ARG"))
    assert settings.STATIC_ROOT == ROOT / "var" / "staticfiles"


def test_dockerfile_sets_production_settings_runs_as_non_root_and_exposes_8000():
    stage = final_stage()
    env = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    assert env["DJANGO_SETTINGS_MODULE"] == PRODUCTION_SETTINGS
    keywords = [keyword for keyword, _ in stage]
    user = only(stage, "USER")
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    assert keywords.index("USER") < keywords.index("CMD")
    assert only(stage, "EXPOSE") == "8000"


def test_dockerfile_cmd_and_healthcheck_use_the_real_entry_points():
    cmd = dockerfile_cmd()
    assert cmd[:2] == ["gunicorn", WSGI_ENTRY]
    assert option_value(cmd, "--bind") == "0.0.0.0:8000"
    assert int(option_value(cmd, "--timeout")) >= 30
    healthcheck = dockerfile_healthcheck()
    assert healthcheck[1:3] == ["python", "-c"]
    assert "/health/" in healthcheck[3] and "urllib" in healthcheck[3]
    options = only(final_stage(), "HEALTHCHECK").partition(" CMD ")[0]
    assert "--interval=" in options and "--timeout=" in options


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip()}
    for entry in (".venv", "node_modules", "var", ".git", "build", "test-artifacts", ".env"):
        assert entry in ignored, entry
    assert "**/__pycache__" in ignored or "__pycache__" in ignored
    for needed in ("requirements.txt", "package.json", "package-lock.json", "manage.py", "careerladder", "static"):
        assert needed not in ignored, needed
