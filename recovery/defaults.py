"""The default treatment types of DESIGN.md §1 (staff edit them in admin afterwards).

Where sources disagree the more cautious value is used. Swimming is not offered by default after
surgery or a minimally invasive procedure until the clinician says the wound has healed.
Used by a data migration, `seed_demo` and the tests (transactional tests flush migration data).
"""

# name, category, min days, start, min step, max step, target, sessions/week, max stage
DEFAULT_TREATMENT_TYPES = [
    ("Physical therapy / conservative care", "conservative", 0, 15, 5, 10, 45, 5, 2),
    ("Epidural steroid injection", "injection", 2, 15, 5, 10, 45, 5, 2),
    ("Radiofrequency ablation", "injection", 2, 15, 5, 10, 45, 5, 2),
    ("Microdiscectomy / endoscopic discectomy", "minimally_invasive", 14, 10, 5, 10, 40, 5, 1),
    ("Laminectomy", "surgical", 14, 10, 5, 10, 40, 5, 1),
    ("Lumbar fusion", "surgical", 14, 10, 5, 5, 30, 5, 1),
    ("Cervical fusion (ACDF)", "surgical", 14, 10, 5, 5, 30, 5, 1),
    ("Disc replacement", "surgical", 14, 10, 5, 5, 30, 5, 1),
]


# Days since the procedure before stages 2, 3 and 4 (DESIGN §1, the table, version 2).
STAGE_GATES = {
    "Physical therapy / conservative care": (0, 14, 42),
    "Epidural steroid injection": (2, 14, 28),
    "Radiofrequency ablation": (2, 14, 28),
    "Microdiscectomy / endoscopic discectomy": (28, 42, 84),
    "Laminectomy": (28, 56, 84),
    "Lumbar fusion": (42, 84, 182),
    "Cervical fusion (ACDF)": (42, 84, 182),
    "Disc replacement": (42, 84, 182),
}


# Weeks of no bending, lifting or twisting and the lifting limit for them (DESIGN §7: fusion and
# disc replacement, 6 weeks, 4.5 kg / 10 lb).
PRECAUTIONS = {
    "Lumbar fusion": (6, "4.5"),
    "Cervical fusion (ACDF)": (6, "4.5"),
    "Disc replacement": (6, "4.5"),
}


def precaution_fields(name: str) -> dict:
    if name not in PRECAUTIONS:
        return {}
    weeks, kg = PRECAUTIONS[name]
    return {"precaution_weeks": weeks, "default_lifting_limit_kg": kg}


def stage_gate_fields(name: str) -> dict[str, int]:
    """The stage-gate fields of a default treatment type ({} for another name)."""
    gates = STAGE_GATES.get(name)
    if gates is None:
        return {}
    names = ("days_before_stage_2", "days_before_stage_3", "days_before_stage_4")
    return dict(zip(names, gates, strict=True))


def load_treatment_types(model) -> None:
    """Create the defaults that do not exist yet; never overwrite a staff member's edits.

    `model` may be a migration's historical model from before the stage gates (migration 0002):
    the gates are set only where the model has them (migration 0008 fills the rest)."""
    names = {f.name for f in model._meta.get_fields()}
    has_gates = "days_before_stage_2" in names
    has_precautions = "precaution_weeks" in names
    for (
        name,
        category,
        days,
        start,
        step_min,
        step_max,
        target,
        sessions,
        stage,
    ) in DEFAULT_TREATMENT_TYPES:
        model.objects.get_or_create(
            name=name,
            defaults={
                "category": category,
                "min_days_to_clearance": days,
                "default_start_minutes": start,
                "default_min_increment": step_min,
                "default_max_increment": step_max,
                "default_target_minutes": target,
                "default_sessions_per_week": sessions,
                "default_max_stage": stage,
                "contraindicated_activities": (
                    [] if category in {"conservative", "injection"} else ["water"]
                ),
                **(stage_gate_fields(name) if has_gates else {}),
                **(precaution_fields(name) if has_precautions else {}),
            },
        )
