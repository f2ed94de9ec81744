"""The Celery app, wired as Celery's "First steps with Django" guide shows."""

import logging
import os

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")

app = Celery("stepwise")
# Every CELERY_* setting in recovery/settings.py configures this app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


# However the broker fails (refuses, hangs, drops the connection), one publish gives up within
# about this long: one connection attempt, socket timeouts on every read and write, no retry.
PUBLISH_TIMEOUT = 0.5


def publish_bounded(task, args: tuple, *, timeout: float = PUBLISH_TIMEOUT) -> None:
    """Queue `task(*args)` with a bounded wait, or raise. Celery's own publish retries a refused
    connection for `broker_connection_timeout` (4 s) and has no socket timeout: a hung Redis
    would hold the request for ever. In process (no broker) the task simply runs."""
    if task.app.conf.task_always_eager:
        task.apply_async(args)
        return
    options = {
        "max_retries": 0,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry_on_timeout": False,
    }
    with task.app.connection_for_write(
        connect_timeout=timeout, transport_options=options
    ) as connection:
        connection.ensure_connection(max_retries=0, timeout=timeout)
        task.apply_async(args, connection=connection, retry=False)


def queue_after_commit(task, args: tuple, *, what: str) -> None:
    """Publish `task(*args)` once the current transaction commits, for a row that transaction
    wrote (an alert, an e-mail). The row is the truth: if the broker is down or hangs, the publish
    gives up within PUBLISH_TIMEOUT, a warning is logged, and the periodic pass that reads the
    rows sends it later. The request that committed it goes on either way."""

    def publish() -> None:
        try:
            publish_bounded(task, args)
        except Exception as error:
            logger.warning("%s not queued (%s); the periodic pass will send it.", what, error)

    transaction.on_commit(publish)
