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
