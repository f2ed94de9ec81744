"""System checks that warn about production settings that would leak health data in transit."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning, register

_LOCAL = {"localhost", "127.0.0.1", "::1", ""}


@register(deploy=True)
def transport_security(app_configs, **kwargs):
    warnings = []
    tls = getattr(settings, "EMAIL_USE_TLS", False) or getattr(settings, "EMAIL_USE_SSL", False)
    if settings.EMAIL_HOST and settings.EMAIL_HOST not in _LOCAL and not tls:
        warnings.append(
            Warning("E-mail to a remote SMTP host is sent without TLS.", id="stepwise.W001")
        )
    broker = urlsplit(settings.CELERY_BROKER_URL or "")
    if broker.scheme == "redis" and (broker.hostname or "") not in _LOCAL:
        warnings.append(
            Warning("The Redis broker is remote but not rediss:// (TLS).", id="stepwise.W002")
        )
    db = settings.DATABASES["default"]
    remote_db = db["ENGINE"].endswith("postgresql") and db.get("HOST", "") not in _LOCAL
    if remote_db and db.get("OPTIONS", {}).get("sslmode") not in {"verify-full", "verify-ca"}:
        warnings.append(
            Warning(
                "PostgreSQL is remote without sslmode=verify-full in DATABASE_URL.",
                id="stepwise.W003",
            )
        )
    if not settings.DEBUG and "sqlite" in db["ENGINE"]:
        warnings.append(
            Warning(
                "Production runs on SQLite; set DATABASE_URL to PostgreSQL.", id="stepwise.W004"
            )
        )
    return warnings
