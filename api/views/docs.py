"""/api/docs/: Swagger UI for the schema, every asset served by the app (drf-spectacular-sidecar)
and no inline script or style, so the site's Content-Security-Policy holds on this page too: the
page's own start-up script is served by the same view (`?script=`, SpectacularSwaggerSplitView)
and its few style rules come from a static file."""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"
    url_name = "api:schema"
    title = "StepWise API"
