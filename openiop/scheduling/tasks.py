"""The weekly solve in the background: the screen queues a `SolveRun`, the worker
(`openiop db_worker`) runs it and keeps its progress, stage and result up to date."""

from __future__ import annotations

import uuid

from django.tasks import task
from django.utils import timezone

from openiop.audit.context import Origin, reset_origin, set_origin
from openiop.scheduling.models import SolveRun, SolveStatus
from openiop.scheduling.weeks import ScheduleRefused, WeekError, check_week_start, solve_week

SOLVE_SECONDS = 30


def start_solve(organization, week_start, *, by, repair_patients=None, seconds: float = SOLVE_SECONDS) -> SolveRun:
    """Queue a solve of the week (a repair when `repair_patients` is given) and return its run.

    Side effects: a SolveRun row and a queued task (which, once run, writes the week: see
    `weeks.apply_schedule`). Raises WeekError when `week_start` is not a Monday."""
    check_week_start(week_start)
    run = SolveRun.objects.create(
        organization=organization, week_start=week_start, repair=repair_patients is not None,
        requested_by=by if getattr(by, "is_authenticated", False) else None,
        stage="Waiting for the background worker",
    )
    if repair_patients:
        run.patients.set(repair_patients)
    run_solve.enqueue(run.pk, seconds)
    run.refresh_from_db()
    return run


def _update(run_id: int, **fields) -> None:
    SolveRun.objects.filter(pk=run_id).update(**fields)


@task()
def run_solve(solve_run_id: int, seconds: float = SOLVE_SECONDS) -> dict:
    """Run one queued SolveRun: solve, check and save the week, recording progress as it goes.

    A week the solver cannot save (bad week, a broken rule, the calendar changed meanwhile)
    ends as `failed` with the reason in plain words; an unexpected error ends as `failed` too
    and is raised again so that the worker logs its traceback."""
    run = SolveRun.objects.select_related("organization", "requested_by").get(pk=solve_run_id)
    _update(run.pk, status=SolveStatus.RUNNING, progress=0, stage="Starting", error="")

    def progress(percent: int, stage: str) -> None:
        _update(run.pk, progress=max(0, min(100, int(percent))), stage=stage[:100])

    token = set_origin(Origin(request_id=f"task-{uuid.uuid4().hex[:12]}", path="task scheduling.run_solve",
                              system_actor="worker"))
    try:
        result = solve_week(
            run.organization, run.week_start,
            repair_patients=list(run.patients.all()) if run.repair else None,
            seconds=seconds, by=run.requested_by, progress=progress,
        )
    except (WeekError, ScheduleRefused) as error:
        _update(run.pk, status=SolveStatus.FAILED, stage="Not saved", error=str(error),
                finished_at=timezone.now())
        return {"error": str(error)}
    except Exception as error:
        _update(run.pk, status=SolveStatus.FAILED, stage="Stopped by an error",
                error=f"The solver stopped with an unexpected error ({type(error).__name__}); nothing was saved. "
                      "The worker's log has the details.",
                finished_at=timezone.now())
        raise
    finally:
        reset_origin(token)
    _update(run.pk, status=SolveStatus.DONE, progress=100, stage="Done", result=result, finished_at=timezone.now())
    return result
