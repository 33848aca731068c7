"""Commune search as people type it: accents, case, hyphens and « St » do not matter; digits are
the start of a postal code or an INSEE code; the most populous commune comes first; odd input finds
nothing (or is refused naming the field), never a 500 or a scan."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from territories.models import Commune, CommunePostalCode
from territories.search_keys import search_key

pytestmark = pytest.mark.django_db


def _codes(query: str) -> list[str]:
    return list(Commune.objects.search(query).values_list("code_insee", flat=True)[:15])


@pytest.mark.parametrize("query", ["saint denis", "St-Denis", "st denis", "SAINT-DENIS", "Saint Denis ", "st-den"])
def test_saint_denis_however_it_is_typed(query):
    # Both Saint-Denis, La Réunion's (the more populous) then Seine-Saint-Denis's.
    assert _codes(query)[:2] == ["97411", "93066"]


@pytest.mark.parametrize(
    ("query", "code"),
    [("evry", "91228"), ("Évry-Courcou", "91228"), ("l'hay les", "94038"), ("lhay", None), ("ajaccio", "2A004")],
)
def test_accents_apostrophes_and_hyphens_do_not_matter(query, code):
    found = _codes(query)
    assert (found[0] if found else None) == code


def test_a_postal_code_prefix_finds_that_departement_only_and_the_biggest_first():
    found = Commune.objects.search("48")
    assert found.count() == 153  # the Lozère: codes 48xxx, not every code containing "48"
    assert found.first().code_insee == "48095"  # Mende
    assert all(code.startswith("48") for c in found for code in c.postal_codes.split() if code.startswith("4"))


def test_a_full_postal_code_shared_by_several_communes_finds_each_once():
    found = _codes("97400")
    assert found == ["97411"]
    assert len(_codes("20000")) == len(set(_codes("20000")))


@pytest.mark.parametrize(("query", "code"), [("2A004", "2A004"), ("2a004", "2A004"), ("2B033", "2B033"), ("97209", "97209")])
def test_an_insee_code_finds_its_commune_corsica_and_overseas_included(query, code):
    assert _codes(query)[0] == code


@pytest.mark.parametrize("query", ["", " ", "a", "4", "--", "'''", "!!!???", "x" * 10_000, "9" * 10_000])
def test_too_short_too_long_or_only_punctuation_finds_nothing(client, query):
    response = client.get(reverse("territories:commune_search"), {"q": query})
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_a_nul_byte_is_refused_naming_the_field(client):
    response = client.get(reverse("territories:commune_search"), {"q": "mon\x00de"})
    assert response.status_code == 400
    assert b"q" in response.content


def test_the_key_is_written_with_each_commune_and_its_postal_codes():
    mende = Commune.objects.get(code_insee="48095")
    assert mende.search_name == search_key(mende.name) == "mende"
    assert set(CommunePostalCode.objects.filter(commune=mende).values_list("code", flat=True)) == set(
        mende.postal_codes.split()
    )
    assert not Commune.objects.filter(search_name="").exists()


@pytest.mark.parametrize("query", ["mon", "saint denis", "48", "2A004"])
def test_one_query_per_search(client, query):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("territories:commune_search"), {"q": query})
    assert len(queries) == 1


@pytest.mark.postgres
def test_the_name_search_is_an_index_seek_on_postgresql():
    sql, params = Commune.objects.search("saint denis").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "search_name" in plan and "Index" in plan, plan
