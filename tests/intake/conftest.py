import pytest
from django.core.cache import cache

from intake import services
from intake.models import ImportJob


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def upload(actor, data: bytes, name: str = "list.csv", team=None) -> ImportJob:
    return services.import_upload(
        actor=actor, team=team or actor.team, name=name, chunks=[data], size=len(data)
    )


def run_import(actor, data: bytes, name: str = "list.csv", **options) -> ImportJob:
    """Upload, start with the proposed mapping (or ``mapping=``) and run to the end."""
    job = upload(actor, data, name)
    opts = services.ImportOptions(
        mapping=options.pop("mapping", job.mapping), header_row=job.header_row, **options
    )
    services.import_start(actor=actor, job_id=job.pk, options=opts)
    services.import_run(job.pk)
    job.refresh_from_db()
    return job
