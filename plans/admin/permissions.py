"""Who may edit what belongs to an exercise on its admin page (its contraindications, its
pictures): whoever may add or change exercises; a viewer of the library sees them read-only."""

from __future__ import annotations


class ExerciseEditorPermissions:
    """For an inline of the exercise admin: its rows follow the exercise's own permissions."""

    def _may_change_exercise(self, request) -> bool:
        return request.user.has_perm("plans.change_exercise") or request.user.has_perm(
            "plans.add_exercise"
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("plans.view_exercise") or self._may_change_exercise(request)

    def has_add_permission(self, request, obj=None):
        return self._may_change_exercise(request)

    def has_change_permission(self, request, obj=None):
        return self._may_change_exercise(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_change_exercise(request)
