"""``manage.py run_embedded [addrport]``: the embedded set-up of ``make run`` in one process.

The development web server (``runserver``, with its options) and, beside it, the periodic jobs of
Celery beat (``ville_hopital.embedded_beat``), since without Redis there is no beat or worker to run
them. What fell due in the last hour runs first, before the server takes requests; then the jobs
run at their times from a background thread until Ctrl-C. Once the server listens, it prints when
each job runs next and, last, the demo logins.

With ``REDIS_URL`` set, tasks go to the broker: the jobs are then Celery beat's, and this is only the
web server (start ``celery -A ville_hopital worker`` and ``celery -A ville_hopital beat`` beside it).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.commands.runserver import Command as RunserverCommand
from django.db import DatabaseError
from django.utils import timezone

from ville_hopital.celery import app as celery_app
from ville_hopital.demo import demo_api_text, demo_logins, demo_logins_text
from ville_hopital.embedded_beat import CATCH_UP, EmbeddedBeat


class Command(RunserverCommand):
    help = "Start the web server and, in the same process, the periodic jobs (embedded set-up, no Redis)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--catch-up", type=int, default=int(CATCH_UP.total_seconds() // 60), metavar="MINUTES",
            help="at start, run the jobs that fell due in the last MINUTES (0: none); default 60",
        )

    def inner_run(self, *args, **options) -> None:
        # Called in the process that serves (the reloader's child when it reloads): one scheduler each.
        self.beat = None
        if celery_app.conf.task_always_eager:
            self.beat = EmbeddedBeat(catch_up=timedelta(minutes=max(options["catch_up"], 0)))
            self.stdout.write("Tâches planifiées : celles qui sont dues s'exécutent avant le démarrage du serveur…")
            runs = self.beat.run_due()
            failed = [run.name for run in runs if not run.ok]
            self.stdout.write(
                f"  {len(runs)} exécutées" + (f", en échec (voir le journal) : {', '.join(failed)}" if failed else "")
            )
            self.beat.start()
        try:
            super().inner_run(*args, **options)
        finally:
            if self.beat is not None:
                self.beat.stop()

    def on_bind(self, server_port) -> None:
        super().on_bind(server_port)
        if self.beat is None:
            self.stdout.write(
                "REDIS_URL est défini : les tâches planifiées sont celles de Celery beat "
                "(celery -A ville_hopital beat, et un worker : celery -A ville_hopital worker)."
            )
        else:
            self.stdout.write(f"Tâches planifiées dans ce processus ({celery_app.conf.timezone}), prochaine exécution :")
            for name, at in self.beat.next_runs():
                self.stdout.write(f"  {name:<45} {timezone.localtime(at):%d/%m %H:%M}")
        try:
            logins = demo_logins()
        except DatabaseError:  # not migrated yet: runserver has just said so above
            logins = []
        if logins:
            self.stdout.write(self.style.SUCCESS(demo_logins_text(logins)))
            self.stdout.write(demo_api_text(f"{self.protocol}://{self.addr}:{server_port}"))
