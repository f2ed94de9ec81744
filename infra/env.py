"""Strict parsers for settings read from the environment.

Each parser names the variable in its error, so a typo in a deployment stops start-up with a
sentence an operator can act on instead of a traceback deep inside Django.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of true/false, yes/no, on/off or 1/0 (got {value!r})."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {value!r}).") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} (got {number}).")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_database_url(name: str, url: str, *, conn_max_age: int) -> dict:
    """Turn `postgres://user:pass@host:port/db?sslmode=...` or `sqlite:///path` into DATABASES."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(
                f"{name} must name a database, e.g. postgres://host/stepwise."
            )
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a port that is not a number.") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            "ATOMIC_REQUESTS": False,
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("/") and parts.netloc == "":
            # sqlite:///relative.db has path "/relative.db"; sqlite:////abs.db has "//abs.db".
            path = path[1:]
        if not path:
            raise ImproperlyConfigured(
                f"{name} must name a SQLite file, e.g. sqlite:///db.sqlite3."
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    raise ImproperlyConfigured(
        f"{name} must start with postgres://, postgresql:// or sqlite:/// (got scheme "
        f"{parts.scheme or 'none'!r})."
    )


def redis_database(url: str, database: int) -> str:
    """The same Redis server's `database` (redis://host:port/N)."""
    parts = urlsplit(url)
    return parts._replace(path=f"/{database}").geturl()


def redis_database_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def redis_cache(url: str, *, timeout: float) -> dict:
    """Django's Redis cache at `url`, each connect and each reply bounded by `timeout` seconds
    with no retry: a Redis that hangs costs a caller one timeout, not a hung request."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "stepwise",
        "OPTIONS": {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry_on_timeout": False,
        },
    }


def media_storage(
    bucket: str,
    *,
    endpoint_url: str = "",
    access_key: str = "",
    secret_key: str = "",
    region: str = "",
) -> dict:
    """Django's storage for uploaded files: the S3-compatible `bucket` when one is named (each
    empty option left to boto3: AWS itself, its own credential chain, its default region),
    else the file system under MEDIA_ROOT. Nothing contacts the bucket here."""
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region or None,
            "file_overwrite": False,
        },
    }


# --- a key anyone can read ----------------------------------------------------------------------

# Folders that are not the repository's own text (installed packages, caches, build output).
_NOT_SHIPPED = {
    ".git",
    ".venv",
    "node_modules",
    "staticfiles",
    "test-artifacts",
    "__pycache__",
    ".hypothesis",
    ".pytest_cache",
    ".ruff_cache",
}
_TEXT_SUFFIXES = {
    ".py", ".md", ".txt", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".json", ".html", ".sh",
    ".example", ".env", ".conf",
}  # fmt: skip
_TEXT_NAMES = {"Makefile", "Dockerfile", "run"}


def published_in(key: str, root: Path) -> Path | None:
    """The first file of the repository at `root` that contains `key` (the example in
    `.env.example`, a key pasted into a README or a test), or None. A key in the repository is
    public: anyone with a copy can sign sessions and password-reset links with it."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in _NOT_SHIPPED]
        for name in files:
            path = Path(folder, name)
            if path.suffix not in _TEXT_SUFFIXES and name not in _TEXT_NAMES:
                continue
            try:
                if path.stat().st_size > 1_000_000:
                    continue
                if key in path.read_text(encoding="utf-8", errors="ignore"):
                    return path
            except OSError:
                continue
    return None


# --- a database that cannot be reached ----------------------------------------------------------


def database_problem(settings_dict: dict, error: BaseException) -> str:
    """One sentence naming DATABASE_URL and what failed, for an error raised while connecting
    (the server's own words: no such role, no such database, connection refused)."""
    engine = settings_dict.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        where = f"the SQLite file {settings_dict.get('NAME')}"
    else:
        user = settings_dict.get("USER") or "(your login name)"
        host = settings_dict.get("HOST") or "the local socket"
        port = settings_dict.get("PORT") or "5432"
        where = (
            f"the PostgreSQL database {settings_dict.get('NAME')!r} at {host}:{port} as {user!r}"
        )
    # psycopg2 says which address it tried, then the server's words, then a hint on a line of
    # its own: keep the server's words.
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    reason = lines[0] if lines else ""
    for line in lines:
        for marker in ("failed:", "FATAL:"):  # the second is inside the first's words
            if marker in line and line.rsplit(marker, 1)[1].strip():
                reason = line.rsplit(marker, 1)[1].strip()
    reason = reason.rstrip(".") or type(error).__name__
    return f"DATABASE_URL: could not connect to {where}: {reason}."


_NEW_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(64))'"


def check_production_secret_key(key: str, root: Path) -> None:
    """Refuse, with DEBUG off, a SECRET_KEY that is short, repetitive, Django's development
    kind, or written in the repository at `root` (published_in)."""
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure"):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for DEBUG off: use at least 50 random characters ({_NEW_KEY})."
        )
    published = published_in(key, root)
    if published is not None:
        raise ImproperlyConfigured(
            f"SECRET_KEY is the one written in {published.relative_to(root)}, which anyone "
            f"with a copy of StepWise can read: generate your own ({_NEW_KEY})."
        )
