from django.contrib.admin.apps import AdminConfig


class StepWiseAdminConfig(AdminConfig):
    """django.contrib.admin whose site demands a verified second factor (recovery.two_factor)."""

    default_site = "recovery.two_factor.StepWiseAdminSite"
