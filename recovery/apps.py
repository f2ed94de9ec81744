from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "People and clearance"

    def ready(self) -> None:
        from infra import checks  # noqa: F401  (registers the system checks)
        from recovery import signals  # noqa: F401  (registers the auth receivers)
