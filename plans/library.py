"""The starter exercise library (written for StepWise; staff maintain it in the admin afterwards).

Stages (of the core work; walking, cycling and water exercise are first activities): 1 gentle
core, gentle stretches; 2 core stability; 3 challenging core, light resistance; 4 running, heavy
lifting, contact sport (sign-off only).
"""

from typing import NamedTuple

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
        "Walking",
        "cardio",
        1,
        "Walk on level ground at a pace where you can still talk in full sentences. Stand tall, "
        "let your arms swing, and take comfortable steps.",
        "Choose even paths at first. Stop if pain spreads into a leg or you feel unsteady.",
    ),
    Starter(
        "Water walking",
        "cardio",
        2,
        "Walk forwards and backwards in chest-deep water, keeping your back upright. The water "
        "supports your weight while your legs work.",
        "Only once your care team says any wound has fully healed. Hold the pool rail for balance.",
    ),
    Starter(
        "Swimming",
        "cardio",
        2,
        "Swim gentle lengths with a stroke that keeps your neck and back relaxed, such as "
        "backstroke or front crawl with a snorkel. Rest at each end as needed.",
        "Avoid breaststroke with your head held up, and butterfly. Not before wounds have healed.",
    ),
    Starter(
        "Recumbent cycling",
        "cardio",
        2,
        "Sit back in a recumbent bike with the backrest supporting you. Pedal at an easy, steady "
        "rhythm with light resistance.",
        "Set the seat so your knee stays slightly bent at the furthest point.",
    ),
    Starter(
        "Stationary cycling",
        "cardio",
        2,
        "Ride an upright stationary bike with the handlebars high enough that you sit tall. Keep "
        "resistance light and cadence smooth.",
        "Stop if sitting upright brings on back or leg pain; a recumbent bike may suit you better.",
    ),
    Starter(
        "Pelvic tilts",
        "core",
        1,
        "Lie on your back with knees bent and feet flat. Gently flatten the small of your back "
        "into the floor by tightening your stomach, hold, then relax.",
        "Keep breathing throughout. The movement is small; it should not hurt.",
        sets=1,
        reps=10,
        hold_seconds=5,
        times_per_day=2,
    ),
    Starter(
        "Gentle bridges",
        "core",
        1,
        "Lie on your back with knees bent. Tighten your stomach, then lift your hips until your "
        "body makes a straight line from shoulders to knees. Hold, then lower slowly.",
        "Lift only as high as feels comfortable. Do not arch your lower back.",
        sets=1,
        reps=10,
        hold_seconds=3,
    ),
    Starter(
        "Abdominal bracing",
        "core",
        1,
        "Sitting or lying, gently draw your belly button towards your spine as if bracing for a "
        "light poke, without holding your breath. Hold, then relax.",
        "This is a gentle tension, about a quarter of your full effort.",
        sets=1,
        reps=10,
        hold_seconds=10,
        times_per_day=2,
    ),
    Starter(
        "Modified plank",
        "core",
        2,
        "Rest on your forearms and knees with your back flat. Tighten your stomach and hold, "
        "breathing normally. Rest between repetitions.",
        "Stop if your back sags or aches. Build the hold time slowly over weeks.",
        sets=1,
        reps=3,
        hold_seconds=10,
    ),
    Starter(
        "Bird-dog",
        "core",
        2,
        "On hands and knees, keep your back flat and slowly reach one arm forward and the "
        "opposite leg back. Hold, return, and switch sides. Count the repetitions on each side.",
        "Move slowly and keep your hips level. Start with arm only or leg only if you wobble.",
        sets=1,
        reps=8,
        hold_seconds=5,
    ),
    Starter(
        "Dead bug",
        "core",
        2,
        "Lie on your back with knees bent above your hips and arms pointing to the ceiling. Keep "
        "your back gently pressed down as you lower one heel to tap the floor, then switch.",
        "If your back lifts off the floor, make the movement smaller.",
        sets=1,
        reps=10,
    ),
    Starter(
        "Side plank from knees",
        "core",
        3,
        "Lie on your side propped on your forearm with knees bent. Lift your hips so your body "
        "is straight from head to knees, and hold. Do both sides.",
        "Stage 3 only, once your clinician moves you there. Keep your neck in line with your back.",
        sets=1,
        reps=2,
        hold_seconds=10,
    ),
    Starter(
        "Full plank",
        "core",
        3,
        "On forearms and toes, hold your body in a straight line with your stomach tight. Rest "
        "between repetitions.",
        "Stage 3 only. Stop if you feel pain in your back rather than effort in your stomach.",
        sets=1,
        reps=3,
        hold_seconds=10,
    ),
    Starter(
        "Light resistance band rows",
        "core",
        3,
        "Sit tall with a light resistance band looped around your feet. Pull the ends towards your "
        "ribs, squeezing your shoulder blades together, then release slowly.",
        "Keep your back upright; do not lean back to pull.",
        sets=2,
        reps=10,
    ),
    Starter(
        "Hip flexor stretch",
        "flexibility",
        1,
        "Kneel on one knee on a cushion with the other foot forward. Tuck your tailbone under and "
        "shift gently forward until you feel a stretch at the front of the hip. Hold, then do "
        "the other side.",
        "Gentle and sustained, never bouncing or forced. Hold on to a chair for balance.",
        sets=1,
        reps=2,
        hold_seconds=30,
    ),
    Starter(
        "Hamstring stretch",
        "flexibility",
        1,
        "Lie on your back and loop a towel around one foot. Keeping the knee slightly bent, raise "
        "the leg until you feel a mild stretch behind the thigh. Hold, then do the other leg.",
        "Stop if you feel tingling or pain down the leg: that is a nerve, not a muscle.",
        sets=1,
        reps=2,
        hold_seconds=30,
    ),
    Starter(
        "Upper-back stretch",
        "flexibility",
        1,
        "Sit tall, clasp your hands in front of you and round your upper back as you push your "
        "hands forward, until you feel a stretch between your shoulder blades. Hold, then relax.",
        "Keep the movement in your upper back; do not force your neck forward.",
        sets=1,
        reps=2,
        hold_seconds=20,
    ),
    Starter(
        "Cat-camel",
        "flexibility",
        2,
        "On hands and knees, slowly round your back up towards the ceiling, then let it gently "
        "sag, moving only as far as is comfortable. Keep each repetition slow.",
        "A gentle mobility exercise: small, smooth movements, no end-range pushing.",
        sets=1,
        reps=10,
    ),
    Starter(
        "Knee-to-chest stretch",
        "flexibility",
        2,
        "Lie on your back and gently draw one knee towards your chest with both hands until you "
        "feel a mild stretch in the lower back. Hold, then switch.",
        "Not in the first weeks after fusion surgery unless your clinician allows it.",
        sets=1,
        reps=2,
        hold_seconds=20,
    ),
    Starter(
        "Lower-trunk rotation",
        "flexibility",
        1,
        "Lie on your back with knees bent and feet flat. Keeping your shoulders on the floor, let "
        "both knees sway a little to one side, then the other. Each sway is one repetition.",
        "Small, easy movements within comfort; stop if pain spreads into a leg.",
        sets=1,
        reps=10,
    ),
    Starter(
        "Neck side stretch",
        "flexibility",
        1,
        "Sit tall and gently tilt your ear towards your shoulder until you feel a mild stretch "
        "along the side of your neck. Hold, then do the other side.",
        "Do not pull with your hand or push into pain. Stop if you feel pins and needles in "
        "an arm.",
        sets=1,
        reps=2,
        hold_seconds=15,
    ),
    Starter(
        "Easy jogging",
        "cardio",
        4,
        "Alternate one minute of easy jogging with two minutes of walking on a soft, level "
        "surface. Build the jogging time only as your plan allows.",
        "Stage 4 only, with your clinician's explicit sign-off.",
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
