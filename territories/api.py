from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from territories.models import Commune


class CommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = ["code_insee", "name", "departement", "region", "postal_codes", "population", "latitude", "longitude"]


@extend_schema_view(get=extend_schema(operation_id="communes_list", parameters=[
    OpenApiParameter("q", str, description="the start of a name, a postal code or an INSEE code"),
]))
class CommuneSearchView(generics.ListAPIView):
    """Communes by name prefix or postal code (``?q=``): public reference data."""

    serializer_class = CommuneSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return Commune.objects.search(self.request.query_params.get("q", ""))


urlpatterns = [path("communes/", CommuneSearchView.as_view(), name="commune-search")]
