"""The API's answers to refusals: DRF's, except that "not found" never names what was looked for
(the web answers a bare 404 page too) and is said in the reader's language."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = NotFound()
    return exception_handler(exc, context)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
def not_found(request, *args, **kwargs):
    """Any other address under /api/: a 404 in JSON like the API's own, not the site's page."""
    raise NotFound()
