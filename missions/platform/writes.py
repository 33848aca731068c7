"""Write proposals in bulk inside a matching run's transaction, under the write lock shared by all runs
(a professional near a border is in two regions' partitions: they must never book them twice)."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from establishments.models import Shift
from missions.core.models import (
    ACTIVE_MISSION_STATES,
    Mission,
    Proposal,
    ProposalState,
)
from missions.core.partition import Partition
from missions.matching.instance import (
    Assignment,
)
from missions.platform.loading import chunks
from ville_hopital.models import AuditEvent

#: Serialises the write phase of all matching runs (PostgreSQL advisory lock key, 'VHMW').
WRITE_LOCK_KEY = 0x56484D57
#: Nightly offers expire this much before ``PROPOSAL_TTL_HOURS`` (see ``proposals_write``).
NIGHTLY_EXPIRY_MARGIN = timedelta(minutes=30)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def advisory_xact_lock(key: int) -> None:
    """Take a transaction-scoped PostgreSQL advisory lock (no-op on SQLite, which has one writer)."""
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@dataclass(frozen=True)
class WriteOutcome:
    written: int
    dropped_conflicts: int
    proposal_ids: list[int]


def _conflicts(part: Partition, pro_pks: list[int], shift_pks: list[int]) -> tuple[set[int], dict[int, int]]:
    """Professionals and shifts that changed since the load (another run, an urgent wave, HR).

    Returns the professionals that got a new pending proposal or mission, and for each shift that
    changed the number of positions taken now.
    """
    return _changed_professionals(part, pro_pks), _changed_shifts_taken(part, shift_pks)


def _changed_professionals(part: Partition, pro_pks: list[int]) -> set[int]:
    """Those of ``pro_pks`` with a pending proposal or an active mission in the window that the load
    did not see."""
    changed: set[int] = set()
    win_from, win_to = part.window
    for chunk in chunks(pro_pks, 20_000):
        proposals = Proposal.objects.filter(
            professional_id__in=chunk, state=ProposalState.PENDING, expires_at__gt=part.now,
            shift__starts_at__gte=win_from, shift__starts_at__lt=win_to,
        ).values_list("pk", "professional_id")
        missions = Mission.objects.filter(
            professional_id__in=chunk, state__in=ACTIVE_MISSION_STATES, starts_at__gte=win_from, starts_at__lt=win_to,
        ).values_list("pk", "professional_id")
        changed.update(pro for pk, pro in proposals if pk not in part.known_proposals)
        changed.update(pro for pk, pro in missions if pk not in part.known_missions)
    return changed


def _changed_shifts_taken(part: Partition, shift_pks: list[int]) -> dict[int, int]:
    """For each of ``shift_pks`` with a pending proposal or an active mission the load did not see,
    the number of its positions taken now (pending proposals and active missions)."""
    taken: dict[int, int] = defaultdict(int)
    changed: set[int] = set()
    for chunk in chunks(shift_pks, 20_000):
        proposals = Proposal.objects.filter(
            shift_id__in=chunk, state=ProposalState.PENDING, expires_at__gt=part.now
        ).values_list("pk", "shift_id")
        missions = Mission.objects.filter(shift_id__in=chunk, state__in=ACTIVE_MISSION_STATES).values_list("pk", "shift_id")
        for rows, known in ((proposals, part.known_proposals), (missions, part.known_missions)):
            for pk, shift_id in rows:
                taken[shift_id] += 1
                if pk not in known:
                    changed.add(shift_id)
    return {shift_id: taken[shift_id] for shift_id in changed}


def proposals_write(*, part: Partition, assignment: Assignment, source: str, matching_run_id: int | None,
                    wave: int = 1, now: datetime | None = None, check_shift_room: bool = True) -> WriteOutcome:
    """Write one pending proposal per assigned position, in bulk, inside the caller's transaction.

    The rules of ``missions.core.eligibility`` were applied when the pairs were chosen (the engine's
    candidates minus ``platform_candidates``' pair rules, or ``ranked_candidates`` for a wave);
    the expiry is ``PROPOSAL_TTL_HOURS`` from now and never after the shift's start. The write phase of every run is serialised by an
    advisory lock; under it, a professional or a shift that changed since the load (another region
    proposed the same border professional, an urgent wave, an acceptance) keeps only what is still
    safe: that professional's new proposals are dropped, the shift keeps as many as positions left.
    Dropped positions stay open for the next run. A pending pair already present is skipped
    (``one_pending_proposal_per_pair``), so writing twice never duplicates.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("proposals_write runs inside the run's transaction (the advisory lock is per transaction)")
    now = now or timezone.now()
    inst = part.instance
    if len(assignment) == 0:
        return WriteOutcome(0, 0, [])
    pro_pks = inst.pros.ids[assignment.pro]
    shift_pks = inst.shifts.ids[assignment.shift]
    advisory_xact_lock(WRITE_LOCK_KEY)
    changed_pros, shift_taken = _conflicts(part, sorted({int(p) for p in pro_pks}), sorted({int(s) for s in shift_pks}))
    keep = ~np.isin(pro_pks, np.array(sorted(changed_pros), dtype=np.int64))
    if shift_taken and check_shift_room:
        positions = dict(Shift.objects.filter(pk__in=list(shift_taken)).values_list("pk", "positions"))
        room = {s: positions[s] - n for s, n in shift_taken.items()}
        for i in np.argsort(assignment.km, kind="stable"):
            s = int(shift_pks[i])
            if s in room and keep[i]:
                if room[s] > 0:
                    room[s] -= 1
                else:
                    keep[i] = False
    ttl = timedelta(hours=settings.PROPOSAL_TTL_HOURS)
    expires = now + ttl
    if source == "nightly" and ttl > 2 * NIGHTLY_EXPIRY_MARGIN:
        # Last night's offers must be over when tonight's run starts (same hour, 24 h later), so that
        # their positions, if still unanswered, are offered again tonight rather than tomorrow night.
        expires -= NIGHTLY_EXPIRY_MARGIN
    rows = [
        (int(shift_pks[i]), int(pro_pks[i]), Decimal(f"{assignment.km[i]:.1f}"),
         min(expires, datetime.fromtimestamp(part.shift_starts[assignment.shift[i]], tz=UTC)))
        for i in np.flatnonzero(keep)
    ]
    audit_data = {"source": source, "wave": wave, "matching_run_id": matching_run_id}
    if _is_postgres():
        ids = _insert_copy(rows, source=source, wave=wave, matching_run_id=matching_run_id, now=now,
                           audit_data=audit_data)
    else:
        ids = _insert_orm(rows, source=source, wave=wave, matching_run_id=matching_run_id, now=now,
                          audit_data=audit_data)
    return WriteOutcome(len(ids), int((~keep).sum()), ids)


def _insert_orm(rows, *, source: str, wave: int, matching_run_id: int | None, now: datetime,
                audit_data: dict) -> list[int]:
    """SQLite (embedded default): ``bulk_create`` skipping pending pairs that already exist."""
    Proposal.objects.bulk_create(
        [
            Proposal(shift_id=s, professional_id=p, state=ProposalState.PENDING, source=source, distance_km=km,
                     wave=wave, matching_run_id=matching_run_id, created_at=now, expires_at=exp)
            for s, p, km, exp in rows
        ],
        batch_size=5000, ignore_conflicts=True,
    )
    # ignore_conflicts returns no ids: read back what this write created, and audit each proposal.
    ids = list(
        Proposal.objects.filter(state=ProposalState.PENDING, created_at=now, matching_run_id=matching_run_id,
                                source=source, wave=wave).values_list("pk", flat=True)
    )
    AuditEvent.objects.bulk_create(
        [AuditEvent(action="proposal.create", target_type="missions.proposal", target_id=str(pk),
                    to_state=ProposalState.PENDING, created_at=now, data=audit_data) for pk in ids],
        batch_size=5000,
    )
    return ids


def _insert_copy(rows, *, source: str, wave: int, matching_run_id: int | None, now: datetime,
                 audit_data: dict) -> list[int]:
    """PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING (the partial
    unique index ``one_pending_proposal_per_pair``) that also writes the audit row of each new proposal."""
    proposal_table, audit_table = Proposal._meta.db_table, AuditEvent._meta.db_table
    buffer = io.StringIO()
    buffer.writelines(f"{s}\t{p}\t{km}\t{exp.isoformat()}\n" for s, p, km, exp in rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE matching_new_proposals (shift_id bigint, professional_id bigint, "
            "distance_km numeric(6,1), expires_at timestamptz) ON COMMIT DROP"
        )
        cursor.cursor.copy_expert("COPY matching_new_proposals FROM STDIN", buffer)
        cursor.execute(
            f"""
            WITH created AS (
                INSERT INTO {proposal_table} (shift_id, professional_id, state, source, distance_km, wave,
                                              matching_run_id, created_at, expires_at, decided_at, decline_reason)
                SELECT shift_id, professional_id, %s, %s, distance_km, %s, %s, %s, expires_at, NULL, ''
                FROM matching_new_proposals ORDER BY shift_id, professional_id
                ON CONFLICT DO NOTHING
                RETURNING id
            ), audited AS (
                INSERT INTO {audit_table} (actor_id, action, target_type, target_id, from_state, to_state, data,
                                           created_at)
                SELECT NULL, 'proposal.create', 'missions.proposal', id::text, '', %s, %s::jsonb, %s FROM created
                RETURNING target_id
            )
            SELECT target_id::bigint FROM audited
            """,  # noqa: S608 — table names come from the models, values are parameters
            [ProposalState.PENDING, source, wave, matching_run_id, now, ProposalState.PENDING,
             json.dumps(audit_data), now],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("DROP TABLE matching_new_proposals")
    return ids
