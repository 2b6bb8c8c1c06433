"""Writes to the worklist."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.worklist.models import Task


@transaction.atomic
def create_task(
    *, actor, assignee, kind: str, title: str, detail: str = "", urgent: bool = False,
    patient=None, referral=None, due_on=None, topic: str = "",
) -> Task:
    """Put a task on `assignee`'s list. Side effects: a `create` audit event when it concerns a patient."""
    task = Task.objects.create(
        assignee=assignee, kind=kind, title=title, detail=detail, urgent=urgent,
        patient=patient, referral=referral, due_on=due_on, topic=topic,
    )
    if patient is not None:
        audit.record(user=actor, action=Action.CREATE, patient=patient, obj=task)
    return task


@transaction.atomic
def complete_task(*, actor, task: Task, resolution: str) -> Task:
    """Record what was done. An urgent task needs a written resolution."""
    if task.done_at is not None:
        raise ValidationError("This task is already done.")
    resolution = (resolution or "").strip()
    if task.urgent and not resolution:
        raise ValidationError({"resolution": "Say what was done about this urgent alert."})
    task.done_at = timezone.now()
    task.done_by = actor
    task.resolution = resolution
    task.save(update_fields=["done_at", "done_by", "resolution"])
    if task.patient is not None:
        audit.record(user=actor, action=Action.CHANGE, patient=task.patient, obj=task,
                     detail={"fields": ["done_at", "resolution"]})
    return task
