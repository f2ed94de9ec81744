from django.urls import path

from plans import views_patient as views

app_name = "me"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sessions/", views.history, name="history"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:log_id>/saved/", views.session_saved, name="session_saved"),
    path("settings/", views.reminder_settings, name="settings"),
]
