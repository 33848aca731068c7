"""Build the engine's :class:`missions.matching.Instance` from the rows ``loading`` read: vocabularies
of professions and skills, one establishment row per (establishment, place), days numbered from
the partition's start (day 1)."""

from __future__ import annotations

from datetime import date

import numpy as np

from missions.core.partition import PLATFORM_RULES
from missions.core.slots import slot_of
from missions.matching.instance import (
    Establishments,
    Instance,
    Meta,
    Pros,
    Shifts,
    Slots,
    encode_skills,
)

#: FORMAT.md's objective weight of one urgency point, in km.
BIG_KM_PER_URGENCY = 10_000.0


def _empty_instance(start: date, horizon: int) -> Instance:
    z64, zf, zs = np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, dtype="<U1")
    pros = Pros(z64, np.zeros(0, np.int16), np.zeros((0, 1), np.uint64), zf, zf, zs, zf, np.zeros(0, np.int32),
                np.zeros(0, np.int32))
    estabs = Establishments(z64, zs, zs, zs, zf, zf)
    shifts = Shifts(z64, np.zeros(0, np.int32), np.zeros(0, np.int16), np.zeros((0, 1), np.uint64),
                    np.zeros(0, np.int16), np.zeros(0, np.int8), np.zeros(0, np.int32), np.zeros(0, np.int8), z64)
    meta = Meta(start.isoformat(), horizon, BIG_KM_PER_URGENCY, PLATFORM_RULES, {})
    return Instance(pros, Slots.empty(), estabs, shifts, meta, (), ())


def _build_instance(start, horizon, rows, pro_skills, used, avail, booked_set, shifts, required) -> Instance:
    skill_vocab: dict[str, int] = {}
    prof_vocab: dict[str, int] = {}
    for r in rows:
        prof_vocab.setdefault(r[1], len(prof_vocab))
        for code in pro_skills.get(r[0], ()):
            skill_vocab.setdefault(code, len(skill_vocab))
    for r in shifts:
        prof_vocab.setdefault(r["profession_id"], len(prof_vocab))
        for code in required.get(r["pk"], ()):
            skill_vocab.setdefault(code, len(skill_vocab))
    words = max(1, -(-len(skill_vocab) // 64))
    pros = Pros(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        profession=np.array([prof_vocab[r[1]] for r in rows], dtype=np.int16),
        skills=encode_skills([pro_skills.get(r[0], []) for r in rows], skill_vocab, words),
        lat=np.array([r[2] for r in rows], dtype=np.float64),
        lon=np.array([r[3] for r in rows], dtype=np.float64),
        commune=np.array([r[4] for r in rows], dtype=str) if rows else np.zeros(0, dtype="<U1"),
        radius_km=np.array([r[5] for r in rows], dtype=np.float64),
        max_missions=np.array([r[6] for r in rows], dtype=np.int32),
        used_missions=used,
    )
    a_pro, a_day, a_slot = avail
    availability = Slots(np.array(a_pro, np.int32), np.array(a_day, np.int16), np.array(a_slot, np.int8))
    b = sorted(booked_set)
    booked = Slots(np.array([x[0] for x in b], np.int32), np.array([x[1] for x in b], np.int16),
                   np.array([x[2] for x in b], np.int8))
    # One establishment row per (establishment, place): a mobile unit parks in a different commune each day.
    places: dict[tuple[int, str], int] = {}
    e_rows = []
    for r in shifts:
        key = (r["establishment_id"], r["location_id"])
        if key not in places:
            places[key] = len(places)
            e_rows.append(r)
    estabs = Establishments(
        ids=np.arange(1, len(e_rows) + 1, dtype=np.int64),
        kind=np.array([r["establishment__type_id"] for r in e_rows], dtype=str),
        commune=np.array([r["location_id"] for r in e_rows], dtype=str),
        departement=np.array([r["location__departement_id"] for r in e_rows], dtype=str),
        lat=np.array([r["location__latitude"] for r in e_rows], dtype=np.float64),
        lon=np.array([r["location__longitude"] for r in e_rows], dtype=np.float64),
    )
    days, slots = [], []
    for r in shifts:
        day, slot = slot_of(r["starts_at"])
        days.append((day - start).days + 1)
        slots.append(slot)
    shift_arr = Shifts(
        ids=np.array([r["pk"] for r in shifts], dtype=np.int64),
        estab=np.array([places[(r["establishment_id"], r["location_id"])] for r in shifts], dtype=np.int32),
        profession=np.array([prof_vocab[r["profession_id"]] for r in shifts], dtype=np.int16),
        required=encode_skills([required.get(r["pk"], []) for r in shifts], skill_vocab, words),
        day=np.array(days, dtype=np.int16),
        slot=np.array(slots, dtype=np.int8),
        positions=np.array([r["open"] for r in shifts], dtype=np.int32),
        urgency=np.array([r["urgency"] for r in shifts], dtype=np.int8),
        posted_seq=np.array([r["pk"] for r in shifts], dtype=np.int64),
    )
    meta = Meta(start.isoformat(), horizon, BIG_KM_PER_URGENCY, PLATFORM_RULES, {"source": "ville-hopital"})
    return Instance(pros, availability, estabs, shift_arr, meta, tuple(prof_vocab), tuple(skill_vocab), booked)
