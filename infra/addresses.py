"""The address of the client a request comes from, also for code that is not given the request
(a service auditing what it did)."""

from __future__ import annotations

from contextvars import ContextVar

# The address of the request being served, so services can audit without taking the request.
_request_ip: ContextVar[str | None] = ContextVar("stepwise_request_ip", default=None)


def client_ip(request) -> str | None:
    if request is None:
        return _request_ip.get()
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


class RequestAddressMiddleware:
    """Keeps the request's address for `client_ip(None)` while the request is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _request_ip.reset(token)
