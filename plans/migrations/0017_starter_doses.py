"""The starter library's default dose (issue 22, DESIGN §9), on existing installs.

An exercise of a starter name (any case) whose dose staff have not set (sets, repetitions and hold
blank, once a day) gets the starter dose. Its instructions lose the counts they used to carry
("Repeat 10 times"), now said by the dose, only where the text is still exactly the starter's: an
exercise staff have rewritten keeps their words. Reversing leaves the rows as they are (a dose is
harmless under the old code, and a reversed dose could undo a staff change made since).
"""

from django.db import migrations

# Frozen here (not imported) so that this migration does the same thing on every install, whatever
# the starter library says later: (name, sets, repetitions, hold seconds, times a day).
DOSES = [
    ("Pelvic tilts", 1, 10, 5, 2),
    ("Gentle bridges", 1, 10, 3, 1),
    ("Abdominal bracing", 1, 10, 10, 2),
    ("Modified plank", 1, 3, 10, 1),
    ("Bird-dog", 1, 8, 5, 1),
    ("Dead bug", 1, 10, None, 1),
    ("Side plank from knees", 1, 2, 10, 1),
    ("Full plank", 1, 3, 10, 1),
    ("Light resistance band rows", 2, 10, None, 1),
    ("Hip flexor stretch", 1, 2, 30, 1),
    ("Hamstring stretch", 1, 2, 30, 1),
    ("Upper-back stretch", 1, 2, 20, 1),
    ("Cat-camel", 1, 10, None, 1),
    ("Knee-to-chest stretch", 1, 2, 20, 1),
    ("Lower-trunk rotation", 1, 10, None, 1),
    ("Neck side stretch", 1, 2, 15, 1),
]

# (name, the starter's instructions before issue 22, the words without counts)
INSTRUCTIONS = [
    (
        "Pelvic tilts",
        "Lie on your back with knees bent and feet flat. Gently flatten the small of "
        "your back into the floor by tightening your stomach, hold for 5 seconds, "
        "then relax. Repeat 10 times.",
        "Lie on your back with knees bent and feet flat. Gently flatten the small of "
        "your back into the floor by tightening your stomach, hold, then relax.",
    ),
    (
        "Gentle bridges",
        "Lie on your back with knees bent. Tighten your stomach, then lift your hips "
        "until your body makes a straight line from shoulders to knees. Hold 3 "
        "seconds and lower slowly. Repeat 8 to 10 times.",
        "Lie on your back with knees bent. Tighten your stomach, then lift your hips "
        "until your body makes a straight line from shoulders to knees. Hold, then "
        "lower slowly.",
    ),
    (
        "Abdominal bracing",
        "Sitting or lying, gently draw your belly button towards your spine as if "
        "bracing for a light poke, without holding your breath. Hold 10 seconds, "
        "relax, repeat 10 times.",
        "Sitting or lying, gently draw your belly button towards your spine as if "
        "bracing for a light poke, without holding your breath. Hold, then relax.",
    ),
    (
        "Modified plank",
        "Rest on your forearms and knees with your back flat. Tighten your stomach "
        "and hold for 10 to 20 seconds, breathing normally. Rest and repeat 3 to 5 "
        "times.",
        "Rest on your forearms and knees with your back flat. Tighten your stomach "
        "and hold, breathing normally. Rest between repetitions.",
    ),
    (
        "Bird-dog",
        "On hands and knees, keep your back flat and slowly reach one arm forward and"
        " the opposite leg back. Hold 5 seconds, return, and switch sides. Repeat 8 "
        "times each side.",
        "On hands and knees, keep your back flat and slowly reach one arm forward and"
        " the opposite leg back. Hold, return, and switch sides. Count the "
        "repetitions on each side.",
    ),
    (
        "Side plank from knees",
        "Lie on your side propped on your forearm with knees bent. Lift your hips so "
        "your body is straight from head to knees. Hold 10 to 20 seconds each side.",
        "Lie on your side propped on your forearm with knees bent. Lift your hips so "
        "your body is straight from head to knees, and hold. Do both sides.",
    ),
    (
        "Full plank",
        "On forearms and toes, hold your body in a straight line with your stomach "
        "tight for 10 to 30 seconds. Rest and repeat 3 times.",
        "On forearms and toes, hold your body in a straight line with your stomach "
        "tight. Rest between repetitions.",
    ),
    (
        "Light resistance band rows",
        "Sit tall with a light resistance band looped around your feet. Pull the ends"
        " towards your ribs, squeezing your shoulder blades together, then release "
        "slowly. 2 sets of 10.",
        "Sit tall with a light resistance band looped around your feet. Pull the ends"
        " towards your ribs, squeezing your shoulder blades together, then release "
        "slowly.",
    ),
    (
        "Hip flexor stretch",
        "Kneel on one knee on a cushion with the other foot forward. Tuck your "
        "tailbone under and shift gently forward until you feel a stretch at the "
        "front of the hip. Hold 30 seconds, twice each side.",
        "Kneel on one knee on a cushion with the other foot forward. Tuck your "
        "tailbone under and shift gently forward until you feel a stretch at the "
        "front of the hip. Hold, then do the other side.",
    ),
    (
        "Hamstring stretch",
        "Lie on your back and loop a towel around one foot. Keeping the knee slightly"
        " bent, raise the leg until you feel a mild stretch behind the thigh. Hold 30"
        " seconds, twice each side.",
        "Lie on your back and loop a towel around one foot. Keeping the knee slightly"
        " bent, raise the leg until you feel a mild stretch behind the thigh. Hold, "
        "then do the other leg.",
    ),
    (
        "Upper-back stretch",
        "Sit tall, clasp your hands in front of you and round your upper back as you "
        "push your hands forward, until you feel a stretch between your shoulder "
        "blades. Hold 20 seconds.",
        "Sit tall, clasp your hands in front of you and round your upper back as you "
        "push your hands forward, until you feel a stretch between your shoulder "
        "blades. Hold, then relax.",
    ),
    (
        "Cat-camel",
        "On hands and knees, slowly round your back up towards the ceiling, then let "
        "it gently sag, moving only as far as is comfortable. 10 slow repetitions.",
        "On hands and knees, slowly round your back up towards the ceiling, then let "
        "it gently sag, moving only as far as is comfortable. Keep each repetition "
        "slow.",
    ),
    (
        "Knee-to-chest stretch",
        "Lie on your back and gently draw one knee towards your chest with both hands"
        " until you feel a mild stretch in the lower back. Hold 20 seconds, then "
        "switch.",
        "Lie on your back and gently draw one knee towards your chest with both hands"
        " until you feel a mild stretch in the lower back. Hold, then switch.",
    ),
    (
        "Lower-trunk rotation",
        "Lie on your back with knees bent and feet flat. Keeping your shoulders on "
        "the floor, let both knees sway a little to one side, then the other. 10 slow"
        " sways.",
        "Lie on your back with knees bent and feet flat. Keeping your shoulders on "
        "the floor, let both knees sway a little to one side, then the other. Each "
        "sway is one repetition.",
    ),
    (
        "Neck side stretch",
        "Sit tall and gently tilt your ear towards your shoulder until you feel a "
        "mild stretch along the side of your neck. Hold 15 seconds, then the other "
        "side.",
        "Sit tall and gently tilt your ear towards your shoulder until you feel a "
        "mild stretch along the side of your neck. Hold, then do the other side.",
    ),
]


def fill(apps, schema_editor):
    exercise_model = apps.get_model("plans", "Exercise")
    by_name = {e.name.casefold(): e for e in exercise_model.objects.all()}
    for name, sets, reps, hold, per_day in DOSES:
        exercise = by_name.get(name.casefold())
        if exercise is None or (
            exercise.default_sets,
            exercise.default_reps,
            exercise.default_hold_seconds,
            exercise.default_times_per_day,
        ) != (None, None, None, 1):
            continue
        exercise_model.objects.filter(pk=exercise.pk).update(
            default_sets=sets,
            default_reps=reps,
            default_hold_seconds=hold,
            default_times_per_day=per_day,
        )
    for name, before, after in INSTRUCTIONS:
        exercise_model.objects.filter(name__iexact=name, instructions=before).update(
            instructions=after
        )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0016_home_programme"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
