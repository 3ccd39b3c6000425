from celery import shared_task

from . import services


@shared_task(
    name="intake.import_run_task",
    autoretry_for=services.TRANSIENT_ERRORS,
    max_retries=3,
    retry_backoff=10,
    retry_backoff_max=60,
)
def import_run_task(job_id: int) -> str:
    """Run or resume one import. Idempotent: a job that is done, failed or held by a live
    worker is left alone. Only a lost database connection is retried, a few times (every run
    counts against SDRCRM_IMPORT_MAX_ATTEMPTS); any other error fails the job with a message."""
    job = services.import_run(job_id)
    return job.status if job else "not claimable"


@shared_task(name="intake.import_sweep_task")
def import_sweep_task() -> int:
    """Periodic: re-enqueue imports whose enqueue was lost or whose worker died."""
    return services.import_sweep()
