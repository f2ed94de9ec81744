"""gunicorn settings for the web process (Dockerfile, docker-compose.yml, benchmarks/load.py).

Workers: gunicorn's own rule of thumb, (2 × cores) + 1 sync workers, so that while one waits on
PostgreSQL (a COMMIT waits for its WAL flush) or Redis, another keeps the core busy. Where the
database and Redis share the same cores (the benchmark machine), 2 and 5 workers measured alike
within the run-to-run noise.
WEB_CONCURRENCY overrides it, e.g. on a host shared with other services, or where a container's
CPU quota (not visible here) is lower than its cpuset.
"""

import os

# The CPUs this process may run on (a container's cpuset), not the host's; at most 12 workers,
# each holding a persistent PostgreSQL connection (CONN_MAX_AGE).
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (_cpus or 1) + 1, 12))
worker_class = "sync"

# gunicorn's own lines (start-up, worker restarts, and the access log when --access-logfile is
# given) in the same format as StepWise's: JSON lines unless LOG_FORMAT=plain (or DEBUG on).
_debug = os.environ.get("DEBUG", "true").strip().lower() in {"1", "true", "yes", "on"}
_format = os.environ.get("LOG_FORMAT") or ("plain" if _debug else "json")
if _format == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "infra.logging.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
