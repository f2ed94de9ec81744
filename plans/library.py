"""The starter exercise library (written for StepWise; staff maintain it in the admin afterwards).

Stages (of the core work; walking, cycling and water exercise are first activities): 1 gentle
core, gentle stretches; 2 core stability; 3 challenging core, light resistance; 4 running, heavy
lifting, contact sport (sign-off only).

Every starter text (name, instructions, cautions) is marked with gettext_noop: stored as written
(English) when the library is loaded, collected by makemessages, and translated when it is shown
(`exercise_text`, and the `exercise_text` template filter in plans.templatetags.exercises). A text
staff wrote or changed in the admin has no catalogue entry and is shown exactly as written, in
every language (as the shipped questionnaires: outcomes.defaults, outcomes.forms.shown).
"""

from typing import NamedTuple

from django.utils.translation import gettext, gettext_noop

# What staff edit of an exercise, in the admin form and in CSV import/export alike.
EXERCISE_FIELDS = (
    "name",
    "category",
    "stage",
    "active",
    "instructions",
    "cautions",
    "default_sets",
    "default_reps",
    "default_hold_seconds",
    "default_times_per_day",
    "contraindicated_for",
)


def exercise_text(text: str) -> str:
    """An exercise's stored name, instructions or cautions as the reader reads it: a starter
    text in the active language, any other text exactly as staff wrote it. (An empty text stays
    empty: gettext("") would be the catalogue's header.)"""
    return gettext(text) if text else text


class Starter(NamedTuple):
    """One exercise of the starter library with its default dose (DESIGN §9). Blank sets,
    repetitions and hold for an exercise dosed by time (walking, cycling, water exercise: the
    plan's minutes). The numbers live in the dose, not in the instructions, so that a dose the
    clinician tailors never contradicts the words the patient reads."""

    name: str
    category: str
    stage: int
    instructions: str
    cautions: str
    sets: int | None = None
    reps: int | None = None
    hold_seconds: int | None = None
    times_per_day: int = 1


STARTER_EXERCISES: list[Starter] = [
    Starter(
        gettext_noop("Walking"),
        "cardio",
        1,
        gettext_noop(
            "Walk on level ground at a pace where you can still talk in full sentences. Stand "
            "tall, let your arms swing, and take comfortable steps."
        ),
        gettext_noop(
            "Choose even paths at first. Stop if pain spreads into a leg or you feel unsteady."
        ),
    ),
    Starter(
        gettext_noop("Water walking"),
        "cardio",
        2,
        gettext_noop(
            "Walk forwards and backwards in chest-deep water, keeping your back upright. The water "
            "supports your weight while your legs work."
        ),
        gettext_noop(
            "Only once your care team says any wound has fully healed. Hold the pool rail for "
            "balance."
        ),
    ),
    Starter(
        gettext_noop("Swimming"),
        "cardio",
        2,
        gettext_noop(
            "Swim gentle lengths with a stroke that keeps your neck and back relaxed, such as "
            "backstroke or front crawl with a snorkel. Rest at each end as needed."
        ),
        gettext_noop(
            "Avoid breaststroke with your head held up, and butterfly. Not before wounds have "
            "healed."
        ),
    ),
    Starter(
        gettext_noop("Recumbent cycling"),
        "cardio",
        2,
        gettext_noop(
            "Sit back in a recumbent bike with the backrest supporting you. Pedal at an easy, "
            "steady rhythm with light resistance."
        ),
        gettext_noop("Set the seat so your knee stays slightly bent at the furthest point."),
    ),
    Starter(
        gettext_noop("Stationary cycling"),
        "cardio",
        2,
        gettext_noop(
            "Ride an upright stationary bike with the handlebars high enough that you sit tall. "
            "Keep resistance light and cadence smooth."
        ),
        gettext_noop(
            "Stop if sitting upright brings on back or leg pain; a recumbent bike may suit you "
            "better."
        ),
    ),
    Starter(
        gettext_noop("Pelvic tilts"),
        "core",
        1,
        gettext_noop(
            "Lie on your back with knees bent and feet flat. Gently flatten the small of your back "
            "into the floor by tightening your stomach, hold, then relax."
        ),
        gettext_noop("Keep breathing throughout. The movement is small; it should not hurt."),
        sets=1,
        reps=10,
        hold_seconds=5,
        times_per_day=2,
    ),
    Starter(
        gettext_noop("Gentle bridges"),
        "core",
        1,
        gettext_noop(
            "Lie on your back with knees bent. Tighten your stomach, then lift your hips until "
            "your body makes a straight line from shoulders to knees. Hold, then lower slowly."
        ),
        gettext_noop("Lift only as high as feels comfortable. Do not arch your lower back."),
        sets=1,
        reps=10,
        hold_seconds=3,
    ),
    Starter(
        gettext_noop("Abdominal bracing"),
        "core",
        1,
        gettext_noop(
            "Sitting or lying, gently draw your belly button towards your spine as if bracing "
            "for a light poke, without holding your breath. Hold, then relax."
        ),
        gettext_noop("This is a gentle tension, about a quarter of your full effort."),
        sets=1,
        reps=10,
        hold_seconds=10,
        times_per_day=2,
    ),
    Starter(
        gettext_noop("Modified plank"),
        "core",
        2,
        gettext_noop(
            "Rest on your forearms and knees with your back flat. Tighten your stomach and hold, "
            "breathing normally. Rest between repetitions."
        ),
        gettext_noop("Stop if your back sags or aches. Build the hold time slowly over weeks."),
        sets=1,
        reps=3,
        hold_seconds=10,
    ),
    Starter(
        gettext_noop("Bird-dog"),
        "core",
        2,
        gettext_noop(
            "On hands and knees, keep your back flat and slowly reach one arm forward and the "
            "opposite leg back. Hold, return, and switch sides. Count the repetitions on each side."
        ),
        gettext_noop(
            "Move slowly and keep your hips level. Start with arm only or leg only if you wobble."
        ),
        sets=1,
        reps=8,
        hold_seconds=5,
    ),
    Starter(
        gettext_noop("Dead bug"),
        "core",
        2,
        gettext_noop(
            "Lie on your back with knees bent above your hips and arms pointing to the ceiling. "
            "Keep your back gently pressed down as you lower one heel to tap the floor, then "
            "switch."
        ),
        gettext_noop("If your back lifts off the floor, make the movement smaller."),
        sets=1,
        reps=10,
    ),
    Starter(
        gettext_noop("Side plank from knees"),
        "core",
        3,
        gettext_noop(
            "Lie on your side propped on your forearm with knees bent. Lift your hips so your body "
            "is straight from head to knees, and hold. Do both sides."
        ),
        gettext_noop(
            "Stage 3 only, once your clinician moves you there. Keep your neck in line with your "
            "back."
        ),
        sets=1,
        reps=2,
        hold_seconds=10,
    ),
    Starter(
        gettext_noop("Full plank"),
        "core",
        3,
        gettext_noop(
            "On forearms and toes, hold your body in a straight line with your stomach tight. Rest "
            "between repetitions."
        ),
        gettext_noop(
            "Stage 3 only. Stop if you feel pain in your back rather than effort in your stomach."
        ),
        sets=1,
        reps=3,
        hold_seconds=10,
    ),
    Starter(
        gettext_noop("Light resistance band rows"),
        "core",
        3,
        gettext_noop(
            "Sit tall with a light resistance band looped around your feet. Pull the ends "
            "towards your ribs, squeezing your shoulder blades together, then release slowly."
        ),
        gettext_noop("Keep your back upright; do not lean back to pull."),
        sets=2,
        reps=10,
    ),
    Starter(
        gettext_noop("Hip flexor stretch"),
        "flexibility",
        1,
        gettext_noop(
            "Kneel on one knee on a cushion with the other foot forward. Tuck your tailbone "
            "under and shift gently forward until you feel a stretch at the front of the hip. "
            "Hold, then do the other side."
        ),
        gettext_noop(
            "Gentle and sustained, never bouncing or forced. Hold on to a chair for balance."
        ),
        sets=1,
        reps=2,
        hold_seconds=30,
    ),
    Starter(
        gettext_noop("Hamstring stretch"),
        "flexibility",
        1,
        gettext_noop(
            "Lie on your back and loop a towel around one foot. Keeping the knee slightly bent, "
            "raise the leg until you feel a mild stretch behind the thigh. Hold, then do the "
            "other leg."
        ),
        gettext_noop(
            "Stop if you feel tingling or pain down the leg: that is a nerve, not a muscle."
        ),
        sets=1,
        reps=2,
        hold_seconds=30,
    ),
    Starter(
        gettext_noop("Upper-back stretch"),
        "flexibility",
        1,
        gettext_noop(
            "Sit tall, clasp your hands in front of you and round your upper back as you push "
            "your hands forward, until you feel a stretch between your shoulder blades. Hold, "
            "then relax."
        ),
        gettext_noop("Keep the movement in your upper back; do not force your neck forward."),
        sets=1,
        reps=2,
        hold_seconds=20,
    ),
    Starter(
        gettext_noop("Cat-camel"),
        "flexibility",
        2,
        gettext_noop(
            "On hands and knees, slowly round your back up towards the ceiling, then let it gently "
            "sag, moving only as far as is comfortable. Keep each repetition slow."
        ),
        gettext_noop("A gentle mobility exercise: small, smooth movements, no end-range pushing."),
        sets=1,
        reps=10,
    ),
    Starter(
        gettext_noop("Knee-to-chest stretch"),
        "flexibility",
        2,
        gettext_noop(
            "Lie on your back and gently draw one knee towards your chest with both hands until "
            "you feel a mild stretch in the lower back. Hold, then switch."
        ),
        gettext_noop(
            "Not in the first weeks after fusion surgery unless your clinician allows it."
        ),
        sets=1,
        reps=2,
        hold_seconds=20,
    ),
    Starter(
        gettext_noop("Lower-trunk rotation"),
        "flexibility",
        1,
        gettext_noop(
            "Lie on your back with knees bent and feet flat. Keeping your shoulders on the "
            "floor, let both knees sway a little to one side, then the other. Each sway is one "
            "repetition."
        ),
        gettext_noop("Small, easy movements within comfort; stop if pain spreads into a leg."),
        sets=1,
        reps=10,
    ),
    Starter(
        gettext_noop("Neck side stretch"),
        "flexibility",
        1,
        gettext_noop(
            "Sit tall and gently tilt your ear towards your shoulder until you feel a mild stretch "
            "along the side of your neck. Hold, then do the other side."
        ),
        gettext_noop(
            "Do not pull with your hand or push into pain. Stop if you feel pins and needles in "
            "an arm."
        ),
        sets=1,
        reps=2,
        hold_seconds=15,
    ),
    Starter(
        gettext_noop("Easy jogging"),
        "cardio",
        4,
        gettext_noop(
            "Alternate one minute of easy jogging with two minutes of walking on a soft, level "
            "surface. Build the jogging time only as your plan allows."
        ),
        gettext_noop("Stage 4 only, with your clinician's explicit sign-off."),
    ),
]

# Which exercises a treatment type must not show (DESIGN §7): (exercise, treatment type, until
# stage, or None for good). Bending and twisting the lumbar spine early after fusion or disc
# replacement; neck stretches after ACDF until the fusion has had stage 3's time to heal.
STARTER_CONTRAINDICATIONS: list[tuple[str, str, int | None]] = [
    ("Knee-to-chest stretch", "Lumbar fusion", None),
    ("Knee-to-chest stretch", "Disc replacement", None),
    ("Cat-camel", "Lumbar fusion", None),
    ("Cat-camel", "Disc replacement", None),
    ("Lower-trunk rotation", "Lumbar fusion", None),
    ("Lower-trunk rotation", "Disc replacement", None),
    ("Neck side stretch", "Cervical fusion (ACDF)", 3),
]
