"""Pages reached from an e-mail without signing in. Each URL carries its own signed capability."""

from django.urls import path

from plans import views_public as views

app_name = "reminders"

urlpatterns = [
    path("stop/<str:token>/", views.reminders_stop, name="stop"),
]
