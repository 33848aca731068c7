from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from territories.models import Commune

MAX_RESULTS = 15


@require_GET
def commune_search(request: HttpRequest) -> JsonResponse:
    """Autocomplete for commune fields: by name prefix or postal code. Public reference data."""
    communes = Commune.objects.search(request.GET.get("q", "")).select_related("departement")[:MAX_RESULTS]
    return JsonResponse(
        {"results": [{"code": c.code_insee, "label": str(c), "departement": c.departement_id} for c in communes]}
    )
