"""No secrets in the repository: no hard-coded keys or passwords in tracked files, and
``.env.example`` holds placeholders only."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)

# What a leaked secret looks like. Each pattern demands a literal value, so reading a setting
# from the environment (env("SECRET_KEY")) or naming a variable never matches.
SECRET_PATTERNS = {
    "Django SECRET_KEY literal": re.compile(r"""SECRET_KEY\s*=\s*["'][^"'\s]{8,}["']"""),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"aws_secret_access_key\s*[=:]\s*\S{20,}", re.I),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "password in a URL": re.compile(
        r"\b(?:postgres(?:ql)?|redis|amqp|mysql)://[^\s:/@]+:(?!\$|password@)[^\s@/]{12,}@"
    ),
}
# Test keys and demo passwords that are meant to be public (tests and demo data only).
ALLOWED = (
    "collectstatic-build-only-not-a-secret",  # the Dockerfile's build-time key, thrown away
)


def tracked_files() -> list[Path]:
    if not shutil.which("git") or not (BASE / ".git").exists():
        pytest.skip("not a git checkout")
    git = shutil.which("git")
    names = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [git, "ls-files", "-z"], cwd=BASE, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    return [BASE / name for name in names if name and (BASE / name).is_file()]


def test_patterns_recognise_real_looking_secrets():
    # Assembled at run time, so that this file does not itself look like a leak.
    samples = {
        "Django SECRET_KEY literal": "SECRET_KEY" + ' = "g7#kd93jd!x0s9d8f7g6h5j4k3l2"',
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "AWS access key id": "AKIA" + "IOSFODNN7EXAMPLE",
        "password in a URL": "postgres://app:" + "Sup3rS3cretPassw0rd@db.internal:5432/careerladder",
    }
    for name, sample in samples.items():
        assert SECRET_PATTERNS[name].search(sample), name
    assert not SECRET_PATTERNS["Django SECRET_KEY literal"].search('SECRET_KEY = env("SECRET_KEY")')


def test_no_secrets_in_tracked_files():
    found = []
    for path in tracked_files():
        if path.suffix in (".png", ".jpg", ".ico", ".woff", ".woff2", ".xlsx", ".pdf"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for name, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if any(allowed in match.group(0) for allowed in ALLOWED):
                    continue
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(BASE)}:{line}: {name}")
    assert not found, "Secrets in tracked files:\n" + "\n".join(found)


def test_env_files_and_keys_are_not_tracked():
    names = {path.relative_to(BASE).as_posix() for path in tracked_files()}
    assert ".env" not in names
    assert "var/secret_key" not in names
    assert not [n for n in names if n.endswith((".pem", ".key", ".p12", ".pfx"))]


def test_env_example_holds_placeholders_only():
    values = {}
    for line in (BASE / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()

    assert values["SECRET_KEY"] == ""  # each deployment generates its own
    assert values["POSTGRES_PASSWORD"] == ""
    for key, value in values.items():
        if any(word in key for word in ("SECRET", "PASSWORD", "TOKEN", "KEY")):
            assert value == "", f"{key} in .env.example must be left empty"
