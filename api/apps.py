from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API, the patient's export and FHIR (DESIGN section 11).

    It imports the domain apps and nothing imports it: every write goes through the same
    service as the web page, every read through the same access helper."""

    name = "api"
    verbose_name = "API"
