from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from territories.geo import haversine_km
from territories.models import Commune, Departement, Region
from territories.services import geography_load

pytestmark = pytest.mark.django_db


def test_the_import_has_every_region_departement_and_commune():
    assert Region.objects.count() == 18
    assert Departement.objects.count() == 101
    assert Commune.objects.count() == 34875


def test_the_import_is_idempotent_and_keeps_rows_in_place():
    mende_before = Commune.objects.get(code_insee="48095")
    counts = geography_load()
    assert (counts.regions, counts.departements, counts.communes) == (18, 101, 34875)
    mende = Commune.objects.get(code_insee="48095")
    assert (mende.name, mende.departement_id, mende.region_id) == ("Mende", "48", "76")
    assert mende.latitude == mende_before.latitude


def test_the_command_prints_the_counts(capsys):
    call_command("load_geography", verbosity=0)
    assert "18 régions, 101 départements, 34875 communes." in capsys.readouterr().out


def test_corsica_and_overseas_are_there():
    assert Departement.objects.get(code="2A").region_id == "94"
    assert Departement.objects.get(code="976").region.is_overseas
    assert not Region.objects.get(code="11").is_overseas


@pytest.mark.parametrize(("query", "first"), [("48000", "Mende"), ("mende", "Mende"), ("Montpel", "Montpellier")])
def test_commune_search_by_name_or_postal_code(client, query, first):
    response = client.get(reverse("territories:commune_search"), {"q": query})
    assert response.status_code == 200
    assert response.json()["results"][0]["label"].startswith(first)


def test_commune_search_with_nothing_to_find_returns_an_empty_list(client):
    assert client.get(reverse("territories:commune_search"), {"q": "zzzzqqq"}).json() == {"results": []}
    assert client.get(reverse("territories:commune_search"), {"q": ""}).json() == {"results": []}


def test_api_commune_search_is_public_reference_data(client):
    response = client.get(reverse("api:commune-search"), {"q": "48000"})
    assert response.status_code == 200
    assert response.json()["results"][0]["code_insee"] == "48095"


def test_haversine_paris_marseille_is_about_661_km():
    paris, marseille = Commune.objects.get(code_insee="75056"), Commune.objects.get(code_insee="13055")
    km = haversine_km(paris.latitude, paris.longitude, marseille.latitude, marseille.longitude)
    assert 655 < km < 665
    assert haversine_km(45.0, 3.0, 45.0, 3.0) == 0.0


def test_haversine_is_vectorised_like_the_matching_engine_needs():
    import numpy as np

    km = haversine_km(np.array([44.5, 44.5]), np.array([3.5, 3.5]), np.array([44.5, 45.5]), np.array([3.5, 3.5]))
    assert km[0] == 0.0
    assert Decimal(str(round(km[1], 1))) == Decimal("111.2")
