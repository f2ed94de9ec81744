"""Forms for the people side: sign-in, password reset, enrolment."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's sign-in form with one message for every failure (no hint whether a user exists)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password did not match. Please try again.",
        "inactive": "That username and password did not match. Please try again.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        # Django sets max_length after building the field, so nothing enforced it: a longer name
        # reached authenticate() and django-axes' 255-character column (a 500 on PostgreSQL). No
        # account has a longer name, so it is refused as a field error before any lookup.
        username.validators.append(MaxLengthValidator(username.max_length))
        username.widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = FormHelper()
        self.helper.form_tag = False


class PasswordResetRequestForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
