import pytest

from ville_hopital.models import AuditEvent
from ville_hopital.tasks import system_ping


@pytest.mark.celery_worker
def test_a_real_worker_runs_a_task_from_redis(celery_worker_process):
    result = system_ping.apply_async(("from-the-test",), ignore_result=False)  # results are off by default
    assert celery_worker_process(lambda: AuditEvent.objects.filter(action="system.ping", data__note="from-the-test").exists())
    assert result.get(timeout=10) == AuditEvent.objects.get(action="system.ping").pk
