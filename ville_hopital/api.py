"""The API root under /api/v1/: each app contributes its routes in its own ``api.py``."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ville_hopital.roles import home_url_for


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    home = serializers.CharField()


class MeView(APIView):
    """Who am I, with which roles (professional, establishment member, ARS, staff)."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        user = request.user
        roles = [
            role
            for role, present in (
                ("professional", hasattr(user, "professional")),
                ("establishment_member", user.memberships.exists()),
                ("ars", hasattr(user, "ars_staff")),
                ("staff", user.is_staff),
            )
            if present
        ]
        data = {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "roles": roles,
            "home": home_url_for(user),
        }
        return Response(MeSerializer(data).data)
