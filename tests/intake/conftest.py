import uuid

import pytest

from intake import services
from intake.models import ImportJob


@pytest.fixture(autouse=True)
def _own_cache_prefix(settings):
    # Rate-limit counters in the real Redis, under a prefix of this test's own (clearing the
    # cache would flush the whole Redis database, the broker's queues included).
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t-{uuid.uuid4().hex[:12]}"},
    }


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
