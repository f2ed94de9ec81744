"""`/api/…`: the versioned REST API, its OpenAPI schema and the docs page (DESIGN section 11)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
