"""Queue a Celery task by its name once the current transaction commits, with a bounded wait.

By name, so that a service never imports its tasks module: tasks import the services, and the
arrow runs one way. The row the transaction wrote (an alert, an e-mail) is the truth; the task
is a delivery attempt, and a periodic pass that reads the rows sends whatever was not queued.
"""

from __future__ import annotations

import logging
from importlib import import_module

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

# However the broker fails (refuses, hangs, drops the connection), one publish gives up within
# about this long: one connection attempt, socket timeouts on every read and write, no retry.
PUBLISH_TIMEOUT = 0.5


def publish_bounded(name: str, args: tuple, *, timeout: float = PUBLISH_TIMEOUT) -> None:
    """Queue the task called `name` with `args` within `timeout`, or raise. Celery's own publish
    retries a refused connection for `broker_connection_timeout` (4 s) and has no socket timeout:
    a hung Redis would hold the request for ever. In process (no broker) the task simply runs."""
    app = current_app
    if app.conf.task_always_eager:
        # In process the task runs here and now; its module is imported by name, like a worker.
        module, _, function = name.rpartition(".")
        getattr(import_module(module), function).apply_async(args)
        return
    options = {
        "max_retries": 0,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry_on_timeout": False,
    }
    with app.connection_for_write(connect_timeout=timeout, transport_options=options) as connection:
        connection.ensure_connection(max_retries=0, timeout=timeout)
        app.send_task(name, args, connection=connection, retry=False)


def queue_after_commit(name: str, args: tuple, *, what: str) -> None:
    """Publish the task called `name` once the current transaction commits. If the broker is
    down or hangs, the publish gives up within PUBLISH_TIMEOUT and a warning is logged; the
    request that committed goes on either way."""

    def publish() -> None:
        try:
            publish_bounded(name, args)
        except Exception as error:
            logger.warning("%s not queued (%s); the periodic pass will send it.", what, error)

    transaction.on_commit(publish)
