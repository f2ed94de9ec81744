from django.urls import path

from outcomes import views_clinic

app_name = "outcomes"

urlpatterns = [
    path("", views_clinic.report, name="report"),
]
