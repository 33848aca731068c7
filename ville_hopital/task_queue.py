"""Queue a Celery task by name: of an app the caller must not import, or of the caller's own app.

The apps form layers (``establishments`` → ``missions`` → ``dashboards``): a lower app never
imports a higher one, yet some of its writes must start work up there (an urgent shift posted
in ``establishments`` is matched by ``missions``; a mission changing state refreshes the
``dashboards`` aggregates). The caller names the task instead of importing it.

Inside one app the same naming keeps the dependency one-directional: a ``tasks`` module imports
its ``services`` at the top (a task only calls a service), so a service that must queue a task
of its own app names it here rather than importing ``tasks`` back (which would be a cycle,
dodged until now by imports inside functions).

The task object is looked up in the registry and ``apply_async`` is called on it, rather than
``send_task``: it then runs in process when Celery is eager (the embedded set-up and the tests)
and goes to the broker otherwise, while ``send_task`` always goes to the broker — where, in the
embedded set-up, nothing would ever consume it. Every app registers its tasks when Django starts
(``AppConfig.ready``), so an unknown name is a programming error, logged loudly.

``task_queue_on_commit`` registers with ``robust=True``: a broker that is down must not turn a
committed write into an error page; each of these tasks has a periodic safety net that catches
what was lost. ``task_queue`` sends at once (a fan-out outside any transaction, a requeue sweep)
and lets a broker error reach the caller, which decides.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task_queue(name: str, *args: Any, countdown: float | None = None) -> str:
    """Queue task ``name`` with ``args`` now (in process when Celery is eager); return the task id."""
    return current_app.tasks[name].apply_async(args=args, countdown=countdown).id


def task_queue_on_commit(name: str, *args: Any, countdown: float | None = None) -> None:
    """After the current transaction commits (at once outside one), run task ``name`` with ``args``."""

    def send() -> None:
        task_queue(name, *args, countdown=countdown)

    transaction.on_commit(send, robust=True)


def task_queue_each(name: str, ids: Iterable[int]) -> int:
    """Queue task ``name`` once for each id, now (a periodic requeue sweep); returns how many were
    queued. The first broker error stops the sweep, logged: the broker is down, the next run of the
    sweep tries again."""
    queued = 0
    for pk in ids:
        try:
            task_queue(name, pk)
        except Exception:  # the broker is still down: the next run tries again
            logger.exception("could not queue %s for %s", name, pk)
            break
        queued += 1
    return queued
