"""Queue a Celery task of an app that the caller must not import, once the transaction commits.

The apps form layers (``establishments`` → ``missions`` → ``dashboards``): a lower app never
imports a higher one, yet some of its writes must start work up there (an urgent shift posted
in ``establishments`` is matched by ``missions``; a mission changing state refreshes the
``dashboards`` aggregates). The caller names the task instead of importing it.

The task object is looked up in the registry and ``apply_async`` is called on it, rather than
``send_task``: it then runs in process when Celery is eager (the embedded set-up and the tests)
and goes to the broker otherwise, while ``send_task`` always goes to the broker — where, in the
embedded set-up, nothing would ever consume it. Every app registers its tasks when Django starts
(``AppConfig.ready``), so an unknown name is a programming error, logged loudly.

``robust=True``: a broker that is down must not turn a committed write into an error page; each
of these tasks has a periodic safety net that catches what was lost.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


def task_queue_on_commit(name: str, *args: Any) -> None:
    """After the current transaction commits (at once outside one), run task ``name`` with ``args``."""

    def send() -> None:
        current_app.tasks[name].apply_async(args=args)

    transaction.on_commit(send, robust=True)
