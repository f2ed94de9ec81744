from django.urls import path

from plans import views_clearance, views_programme
from plans import views_clinic as views

app_name = "clinic"

urlpatterns = [
    path("", views.triage, name="triage"),
    path("patients/new/", views.enrol, name="enrol"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
    path("patients/<int:patient_id>/clearance/", views_clearance.clearance, name="clearance"),
    path("patients/<int:patient_id>/details/", views.patient_details, name="patient_details"),
    path("patients/<int:patient_id>/plan/", views.plan_action, name="plan_action"),
    path("patients/<int:patient_id>/invite/", views.invite, name="invite"),
    path(
        "patients/<int:patient_id>/programme/",
        views_programme.clinic_programme,
        name="programme",
    ),
    path(
        "patients/<int:patient_id>/programme.pdf",
        views_programme.clinic_programme_download,
        name="programme_pdf",
    ),
    path(
        "patients/<int:patient_id>/programme/tailor/",
        views_programme.programme_tailor,
        name="programme_tailor",
    ),
    path("alerts/<int:alert_id>/close/", views.alert_close, name="alert_close"),
]
