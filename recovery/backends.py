"""The sign-in backend: Django's ModelBackend, with the signed-in user read leanly."""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model

from recovery import rows


class ModelBackend(backends.ModelBackend):
    """Django's, except that the user of every signed-in request is read by `recovery.rows`.

    The same row, the same checks (an inactive user is signed out); one statement without the
    query compiler, which cost ~0.25 ms of Python on each request.
    """

    def get_user(self, user_id):
        user = rows.get(get_user_model(), user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
