"""Episodes admitted before plans existed get their two plans (no versions: the clinician
starts the first draft). New admissions get them from care.services.admit_patient."""

import datetime as dt

from django.db import migrations

CURRENT = ("active", "onhold")


def open_missing_plans(apps, schema_editor):
    Episode = apps.get_model("care", "EpisodeOfCare")
    Plan = apps.get_model("plans", "Plan")
    for episode in Episode.objects.filter(status__in=CURRENT).select_related("program"):
        for kind in ("treatment", "relapse_prevention"):
            Plan.objects.get_or_create(
                episode=episode, kind=kind,
                defaults={
                    "patient_id": episode.patient_id,
                    "due_on": episode.admitted_on + dt.timedelta(days=episode.program.plan_due_days),
                    "review_every_days": episode.program.plan_review_days,
                    "program_of_origin_id": episode.program_id,
                    "security_labels": list(episode.security_labels),
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0002_builtin_coping_strategies"),
        ("care", "0003_episodeofcare_referral_admissionconsent_episode_and_more"),
        ("programs", "0003_program_plan_due_days_program_plan_review_days_and_more"),
    ]

    operations = [migrations.RunPython(open_missing_plans, migrations.RunPython.noop)]
