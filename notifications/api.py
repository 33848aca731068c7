"""API of the notification centre (``/api/v1/notifications/``): the signed-in person's notifications only.

Include from ``ville_hopital/urls.py``: ``path("notifications/", include("notifications.api"))`` in ``api_v1``.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.models import Notification
from notifications.rendering import localise
from notifications.selectors import notifications_for, unread_count
from notifications.services import notification_mark_read, notifications_mark_all_read


class NotificationSerializer(serializers.ModelSerializer):
    """A notification as ``rendering.localise`` prepared it: subject and text in the request's language."""

    read = serializers.BooleanField(source="is_read")
    subject = serializers.CharField(source="shown_subject", read_only=True)
    body = serializers.CharField(source="shown_body", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event", "subject", "body", "url", "urgent", "created_at", "read", "read_at"]


class NotificationFilter(serializers.Serializer):
    """The list's query parameters, read (and refused with a 400 naming the field) as the schema states them."""

    unread = serializers.BooleanField(required=False, help_text="only the unread ones (`1` or `true`)")


@extend_schema_view(get=extend_schema(operation_id="notifications_list", parameters=[NotificationFilter]))
class NotificationListView(generics.ListAPIView):
    """My notifications, newest first; ``?unread=1`` for the unread ones only."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        queryset = notifications_for(self.request.user)
        params = NotificationFilter(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        if params.validated_data.get("unread"):
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    def paginate_queryset(self, queryset):
        # Pagination is always on (LimitOffsetPagination): only the page's rows are rendered.
        page = super().paginate_queryset(queryset)
        return None if page is None else localise(page, reader=self.request.user)


class UnreadCountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notifications_unread_count", responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}))
    def get(self, request: Request) -> Response:
        return Response({"unread": unread_count(request.user)})


class MarkReadView(APIView):
    """Mark one of my notifications read (someone else's: 404)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notifications_mark_read", request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        try:
            notification = notification_mark_read(actor=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise Http404 from None
        [notification] = localise([notification], reader=request.user)
        return Response(NotificationSerializer(notification).data)


class MarkAllReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notifications_mark_all_read", request=None, responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}))
    def post(self, request: Request) -> Response:
        return Response({"marked": notifications_mark_all_read(actor=request.user)})


urlpatterns = [
    path("", NotificationListView.as_view(), name="notification-list"),
    path("unread-count/", UnreadCountView.as_view(), name="notification-unread-count"),
    path("<int:pk>/read/", MarkReadView.as_view(), name="notification-read"),
    path("read-all/", MarkAllReadView.as_view(), name="notification-read-all"),
]
