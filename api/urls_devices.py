"""`/me/devices/…`: connecting and disconnecting a patient's devices (api/views_devices.py)."""

from django.urls import path

from api import views_devices as views

app_name = "devices"

urlpatterns = [
    path("new/", views.device_new, name="new"),
    path("<int:token_id>/disconnect/", views.device_revoke, name="revoke"),
]
