"""The built-in coping-strategy library (organizations add their own on top)."""

from django.db import migrations

BUILTIN = [
    ("Mindfulness", "Notice thoughts, feelings and urges without acting on them; a few minutes of attention to the present."),
    ("Deep breathing", "Slow breathing (for example in for 4, out for 6) to calm the body when stress or cravings rise."),
    ("Thought record", "Write down the situation, the thought, the feeling and a more balanced thought (CBT)."),
    ("DBT distress-tolerance skills", "TIPP, distraction (ACCEPTS), self-soothing and radical acceptance to get through a crisis without making it worse."),
    ("DBT emotion-regulation skills", "Check the facts, opposite action, and looking after the body (PLEASE) to make strong feelings less intense."),
    ("Urge surfing", "Ride out a craving like a wave: notice it rise, peak and pass without acting on it."),
    ("Exercise", "A walk, a run, a workout or stretching to change mood and use up restless energy."),
    ("Hobbies", "A planned, absorbing activity (music, art, games, cooking) for times that used to be for using."),
    ("Call a support person", "Phone or text someone from the support network before acting on an urge."),
    ("Attend a meeting", "Go to a mutual-help meeting (AA, NA, SMART Recovery, Refuge Recovery) in person or online."),
    ("Play the tape through", "Think through where using would lead tonight, tomorrow and next week."),
    ("Delay and distract", "Wait 15-30 minutes and do something else; most urges pass."),
    ("Leave the situation", "Have a reason and a way to leave a place or event early."),
    ("Sleep and meals on schedule", "Regular sleep and food make feelings and cravings easier to manage."),
]


def add_builtin(apps, schema_editor):
    CopingStrategy = apps.get_model("plans", "CopingStrategy")
    for name, description in BUILTIN:
        CopingStrategy.objects.get_or_create(organization=None, name=name, defaults={"description": description})


def remove_builtin(apps, schema_editor):
    apps.get_model("plans", "CopingStrategy").objects.filter(organization=None, name__in=[n for n, _ in BUILTIN]).delete()


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(add_builtin, remove_builtin)]
