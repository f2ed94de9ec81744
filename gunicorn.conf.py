"""gunicorn settings for the web process (Dockerfile, docker-compose.yml, benchmarks/run.py).

Workers: gunicorn's own rule of thumb, (2 × cores) + 1 sync workers, so that while one waits on
PostgreSQL (a COMMIT waits for its WAL flush) or Redis, another keeps the core busy.
WEB_CONCURRENCY overrides it, e.g. on a host shared with other services.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
