from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "People and clearance"

    def ready(self) -> None:
        from recovery import checks, signals  # noqa: F401  (registers checks and auth receivers)
