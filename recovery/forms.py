"""Forms for the people side: sign-in, password reset, enrolment."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm


class LoginForm(AuthenticationForm):
    """Django's sign-in form with one message for every failure (no hint whether a user exists)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password did not match. Please try again.",
        "inactive": "That username and password did not match. Please try again.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = FormHelper()
        self.helper.form_tag = False


class PasswordResetRequestForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
