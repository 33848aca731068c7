"""The API's one pagination (``DEFAULT_PAGINATION_CLASS``).

Its own module: DRF imports it while ``rest_framework.generics`` is still loading, so it must not
import the API's views (their schema annotations load drf-spectacular, which needs ``generics``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from ville_hopital.identifiers import is_ascii_digits
from ville_hopital.input_hygiene import LARGEST_INT, query_int


class BoundedPagination(LimitOffsetPagination):
    """Every list of the API is paginated: ``limit`` at most 200 (a larger one is lowered, as DRF
    documents), ``offset`` read through ``query_int`` — a number past PostgreSQL's range once reached
    the ``OFFSET`` clause and answered 500; now it is refused with a message naming the field."""

    max_limit = 200

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        offset = query_int(raw)
        if offset is None:
            raise ValidationError({self.offset_query_param: [_("Un entier positif ou nul, au plus %(max)s.")
                                                             % {"max": LARGEST_INT}]})
        return offset

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        # A number past any range asks for "as many as allowed": lowered to the maximum, as DRF does.
        limit = query_int(raw, default=self.max_limit if is_ascii_digits(raw) else None)
        if not limit:
            raise ValidationError({self.limit_query_param: [_("Un entier entre 1 et %(max)s.") % {"max": self.max_limit}]})
        return min(limit, self.max_limit)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """The bounds read above, in the schema: a client (or a generated test) knows what is refused."""
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"].update(minimum=1)
        limit["description"] = f"Number of results to return per page (at most {self.max_limit}; more is lowered)."
        offset["schema"].update(minimum=0, maximum=LARGEST_INT)
        return [limit, offset]
