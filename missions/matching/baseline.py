"""First-come baseline: what today's "course de vitesse" tools produce.

Shifts are served in ``posted_seq`` order; each position goes to the nearest professional who
is eligible and can still take it under every rule (booked missions included). It ignores
urgency and never revisits a decision, which is exactly what the optimiser is compared with.
"""

from __future__ import annotations

import time

import numpy as np

from .candidates import Candidates, build_candidates
from .instance import Instance
from .rules import CalendarBook, column
from .solver import Result, assignment_from, make_result


def first_come(instance: Instance, candidates: Candidates | None = None) -> Result:
    """Greedy assignment in posting order, nearest feasible professional first."""
    t0 = time.perf_counter()
    cand = candidates if candidates is not None else build_candidates(instance)
    s = instance.shifts
    # Per shift, candidates from nearest to farthest (ties: smaller pro id).
    order = np.lexsort((instance.pros.ids[cand.pro], cand.km, cand.shift))
    c_shift, c_pro = cand.shift[order], cand.pro[order].tolist()
    starts = np.searchsorted(c_shift, np.arange(len(s) + 1))
    cols = column(s.day.astype(np.int64), s.slot).tolist()
    book = CalendarBook(instance)
    left = instance.pros.remaining_missions.tolist()
    chosen = np.zeros(len(cand), bool)
    for sh in np.lexsort((np.arange(len(s)), s.posted_seq)).tolist():
        need, col = int(s.positions[sh]), cols[sh]
        for k in range(starts[sh], starts[sh + 1]):
            if need == 0:
                break
            p = c_pro[k]
            if left[p] > 0 and book.can_add(p, col):
                book.add(p, col)
                left[p] -= 1
                chosen[order[k]] = True
                need -= 1
    a = assignment_from(instance, cand, chosen)
    return make_result(instance, a, float("nan"), "first_come", timings={"total": time.perf_counter() - t0},
                       counts={"candidates": len(cand)})
