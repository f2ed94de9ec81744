"""The API's answers to refusals: DRF's, except that "not found" never names what was looked for
(the web answers a bare 404 page too) and is said in the reader's language."""

from __future__ import annotations

from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = NotFound()
    return exception_handler(exc, context)
