"""Real processes for the fault tests: a private Redis server and Celery workers.

Each test starts its own ``redis-server`` on a free loopback port with its data in the test's
temporary directory (never the shared Redis on 6379), so tests can stop, kill and restart it,
and run side by side under pytest-xdist. Workers are the project's Celery worker run as a
subprocess (``tests/reliability/worker_main.py``) against the pytest test database, in their
own process group so a SIGKILL takes the master and its pool children at once, like a crash.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_SERVICES = bool(os.environ.get("REQUIRE_SERVICES"))
# Short enough that a killed worker's messages come back within the test; the worker tests'
# tasks take about a second, well below it.
VISIBILITY_TIMEOUT = 4


def missing_service(reason: str) -> None:
    """Skip, or fail when CI says the services must be there (``REQUIRE_SERVICES``)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES is set but {reason}")
    pytest.skip(reason)


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        missing_service("these fault tests need Postgres (set DATABASE_URL=postgres://...).")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
    context: Callable[[], str] | None = None,
):
    """Poll ``condition`` until it returns something truthy; on timeout fail naming ``what``,
    with ``context()`` (e.g. the worker's log) appended."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            details = f"\n{context()[-4000:]}" if context else ""
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.{details}")
        time.sleep(interval)


def database_url() -> str:
    """The URL of the database the tests use (pytest-django's test database, ``test_...``)."""
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


class RedisServer:
    """``redis-server`` on a free port with append-only persistence in ``directory``."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            missing_service("no redis-server binary on this machine (apt-get install redis-server).")
        self.binary = binary
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_connect_timeout=1, socket_timeout=5)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:
            return False

    def start(self) -> RedisServer:
        argv = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--logfile",
            "redis.log",
        ]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        wait_for(self.ping, timeout=20, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        """A clean stop (SIGTERM: Redis flushes its append-only file and exits)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class CeleryWorker:
    """The project's Celery worker as a subprocess, pointed at ``redis`` and the test database."""

    def __init__(self, redis: RedisServer, directory: Path, **faults: str):
        self.redis = redis
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.faults = faults
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log(self) -> Path:
        return self.directory / f"worker-{self.starts}.log"

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "REDIS_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "careerladder.settings.base",
                "DATABASE_URL": database_url(),
                "CONN_MAX_AGE": "0",
                "CELERY_BROKER_URL": self.redis.url(0),
                "CELERY_RESULT_BACKEND": self.redis.url(1),
                "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
                "CELERY_TASK_SOFT_TIME_LIMIT": "40",
                "CELERY_TASK_TIME_LIMIT": "50",
                "PYTHONPATH": str(ROOT),
                "LOG_LEVEL": "INFO",
                **self.faults,
            }
        )
        return env

    def start(self) -> CeleryWorker:
        self.starts += 1
        argv = [
            sys.executable,
            "-m",
            "tests.reliability.worker_main",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--queues",
            "celery",
            "--hostname",
            f"reliability-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        self.process = subprocess.Popen(  # noqa: S603  (argv is built here)
            argv,
            cwd=ROOT,
            env=self.environment(),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg takes the pool children too
        )
        wait_for(self._ready, timeout=45, interval=0.2, what=f"the Celery worker to start (log: {self.log})")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"The Celery worker exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
        return " ready." in self.log.read_text()

    def kill(self) -> None:
        """SIGKILL to the master and every pool child at once: nothing is acknowledged or
        handed back to Redis."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL if it takes too long."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return "\n".join(
            (self.directory / f"worker-{n}.log").read_text()
            for n in range(1, self.starts + 1)
            if (self.directory / f"worker-{n}.log").exists()
        )
