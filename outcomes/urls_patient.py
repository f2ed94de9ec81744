from django.urls import path

from outcomes import views

app_name = "questionnaires"

urlpatterns = [
    path("<int:questionnaire_id>/", views.answer, name="answer"),
]
