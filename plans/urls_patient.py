from django.urls import path

from infra.ratelimit import by_user, rate_limit
from plans import views_patient as views
from plans import views_programme

app_name = "me"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sessions/", views.history, name="history"),
    path(
        "sessions/new/",
        # 30 logs per patient per 10 minutes: far above any real use, low enough to stop a script.
        rate_limit("session_log", limit=30, window=10 * 60, key=by_user)(views.session_new),
        name="session_new",
    ),
    path("sessions/<int:log_id>/saved/", views.session_saved, name="session_saved"),
    path("sessions/<int:log_id>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:log_id>/delete/", views.session_delete, name="session_delete"),
    path("sessions/<int:log_id>/follow-up/", views.session_follow_up, name="session_follow_up"),
    path(
        "symptoms/new/",
        # As for logs: far above any real use, low enough to stop a script.
        rate_limit("symptom_report", limit=30, window=10 * 60, key=by_user)(views.symptom_new),
        name="symptom_new",
    ),
    path("symptoms/<int:report_id>/", views.symptom_saved, name="symptom_saved"),
    path("settings/", views.reminder_settings, name="settings"),
    path("programme/", views_programme.programme, name="programme"),
    path(
        "programme.pdf",
        # Drawing a PDF costs more than a page: 30 per patient per 10 minutes is plenty.
        rate_limit("programme_pdf", limit=30, window=10 * 60, key=by_user, methods=("GET",))(
            views_programme.programme_download
        ),
        name="programme_pdf",
    ),
]
