from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api import views_export, views_fhir
from infra.ratelimit import by_user, rate_limit
from plans.views_pictures import exercise_image
from recovery import views
from recovery.forms import LoginForm, PasswordResetRequestForm
from recovery.two_factor import two_factor

handler500 = "recovery.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.language_switch, name="language"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        # 5 requests per address per 15 minutes; the page answers the same for known and
        # unknown addresses (Django's view), so it reveals nothing either way.
        rate_limit("password_reset", limit=5, window=15 * 60)(
            auth_views.PasswordResetView.as_view(form_class=PasswordResetRequestForm)
        ),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        # Choosing a password from the one-time link signs the person in: a new patient goes
        # straight on to their plan instead of typing the password again. Administration still
        # asks for its second step (recovery.two_factor).
        auth_views.PasswordResetConfirmView.as_view(
            post_reset_login=True, post_reset_login_backend="recovery.backends.ModelBackend"
        ),
        name="password_reset_confirm",
    ),
    path("accounts/two-factor/", two_factor, name="two_factor"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The patient's own data as a ZIP, and an assigned patient's record as FHIR (api/, DESIGN
    # section 11): before the `me/` and `clinic/` includes, which know nothing of api/.
    path(
        "me/export/",
        # Building a whole record costs more than a page: 5 downloads per patient an hour.
        rate_limit(
            "data_export",
            limit=views_export.EXPORT_LIMIT,
            window=views_export.EXPORT_WINDOW,
            key=by_user,
        )(views_export.export),
        name="me_export",
    ),
    path(
        "clinic/patients/<int:patient_id>/fhir/",
        # Far above a clinic's use (a record a minute), low enough to stop a script copying all.
        rate_limit("fhir_bundle", limit=60, window=60 * 60, key=by_user, methods=("GET",))(
            views_fhir.patient_bundle
        ),
        name="clinic_fhir",
    ),
    path("me/questionnaires/", include("outcomes.urls_patient")),
    path("me/devices/", include("api.urls_devices")),
    path("me/", include("plans.urls_patient")),
    path("clinic/outcomes/", include("outcomes.urls_clinic")),
    path("clinic/", include("plans.urls_clinic")),
    path("reminders/", include("plans.urls_public")),
    # An exercise's picture, after checking who asks (plans/views_pictures.py).
    path("images/exercises/<int:pk>/<str:size>/", exercise_image, name="exercise_image"),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]
