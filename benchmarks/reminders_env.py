"""Where the reminders benchmark runs: its database, the Redis database its worker's broker and
reports use, the queue, and the number of worker processes (the ceiling uses as many senders).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "stepwise_bench"
PG = "postgres://root@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/13"
QUEUE = "bench-reminders"
WORKERS = 2
