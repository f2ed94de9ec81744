"""One JSON object per log line, for production log collectors.

Log calls in StepWise name ids and outcomes, never notes, symptoms or pain: health data stays in
the database, behind access checks, and out of log pipelines.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class NoTracebackBelow500(logging.Filter):
    """A refused request (403, 404, 429) is one line: its exception is how Django answered, not a
    fault, and a traceback in the log reads like a crash. 500s keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def logging_config(*, level: str, log_format: str, in_process_tasks: bool) -> dict:
    """Django's LOGGING: one console handler in `log_format` ("plain" or "json") at `level`.
    `in_process_tasks` (no broker): Celery would log every task run and a "no hostname" notice."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "infra.logging.JsonFormatter"},
        },
        "filters": {"no_traceback_below_500": {"()": "infra.logging.NoTracebackBelow500"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["no_traceback_below_500"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own configuration gives "django" a console handler of its own as well as
            # the root's: every line would print twice. One handler, one format.
            "django": {"handlers": [], "level": level, "propagate": True},
            "axes": {"level": "WARNING"},
            "celery.app.trace": {"level": "WARNING" if in_process_tasks else "INFO"},
            "kombu.connection": {"level": "ERROR" if in_process_tasks else "WARNING"},
            "django.db.backends": {"level": "INFO"},
        },
    }
