"""`/api/…`: the versioned REST API, its OpenAPI schema and the docs page (DESIGN section 11)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api.exceptions import not_found
from api.views import clinic, patient, questionnaires
from api.views.docs import DocsView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(), name="docs"),
    # The patient.
    path("v1/me/week/", patient.WeekView.as_view(), name="week"),
    path("v1/me/programme/", patient.ProgrammeView.as_view(), name="programme"),
    path("v1/me/sessions/", patient.SessionsView.as_view(), name="sessions"),
    path("v1/me/symptoms/", patient.SymptomsView.as_view(), name="symptoms"),
    path(
        "v1/me/questionnaires/", questionnaires.QuestionnairesView.as_view(), name="questionnaires"
    ),
    path(
        "v1/me/questionnaires/<int:questionnaire_id>/",
        questionnaires.QuestionnaireView.as_view(),
        name="questionnaire",
    ),
    path("v1/me/settings/", patient.SettingsView.as_view(), name="settings"),
    # The clinician.
    path("v1/clinic/triage/", clinic.TriageView.as_view(), name="triage"),
    path(
        "v1/clinic/patients/<int:patient_id>/",
        clinic.PatientRecordView.as_view(),
        name="patient",
    ),
    path(
        "v1/clinic/alerts/<int:alert_id>/acknowledge/",
        clinic.AlertAcknowledgeView.as_view(),
        name="alert_acknowledge",
    ),
    # Anything else under /api/ (an id that is not a number, say): a 404 in JSON.
    re_path(r"^", not_found, name="not_found"),
]
