"""An upload over SDRCRM_IMPORT_MAX_BYTES is stopped while it arrives: the body is read no
further, nothing is spooled to disk, no job is made, and the answer is 413 with the reason (on
the page, and as JSON under /api/)."""

import io

import pytest
from django.core.files import uploadhandler

from intake.models import ImportChunk, ImportJob

pytestmark = pytest.mark.django_db

BOUNDARY = "BoUnDaRy"
CHUNK = 64 * 1024  # Django's upload handlers read in pieces of this size


class Body(io.RawIOBase):
    """A multipart body with one file, made as it is read; counts what the server reads.
    ``size`` None: the file never ends (the client lied about its length)."""

    def __init__(self, size: int | None):
        self.head = (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"huge.csv\"\r\nContent-Type: text/csv\r\n\r\nFirst Name,Email\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size, self.sent = size, 0

    def __len__(self):
        return len(self.head) + self.size + len(self.tail)

    def readable(self):
        return True

    def _byte(self, i: int) -> bytes:
        if i < len(self.head):
            return self.head[i : i + 1]
        if self.size is None or i < len(self.head) + self.size:
            return b"a,a@b.no\n"[(i - len(self.head)) % 9 : (i - len(self.head)) % 9 + 1]
        j = i - len(self.head) - self.size
        return self.tail[j : j + 1]

    def read(self, n=-1):
        n = 1 << 20 if n is None or n < 0 else n
        end = self.sent + n if self.size is None else min(self.sent + n, len(self))
        if end > len(self.head) and (self.size is None or end <= len(self.head) + self.size):
            # the filler, made in one piece (byte by byte would take minutes)
            start = max(self.sent, len(self.head))
            head = b"".join(self._byte(i) for i in range(self.sent, start))
            pattern = b"a,a@b.no\n"
            off = (start - len(self.head)) % 9
            body = (pattern * ((end - start) // 9 + 2))[off : off + end - start]
            out = head + body
        else:
            out = b"".join(self._byte(i) for i in range(self.sent, end))
        self.sent = end
        return out

    def readline(self, n=-1):
        return self.read(n)


def post(client, path: str, body: Body, declared: int):
    return client.request(
        REQUEST_METHOD="POST",
        PATH_INFO=path,
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(declared),
        **{"wsgi.input": body},
    )


@pytest.fixture
def spooled(settings, tmp_path, monkeypatch):
    """Uploads spooled to a directory of the test's own; the temporary files ever made."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    made = []

    class Spy(uploadhandler.TemporaryUploadedFile):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self.temporary_file_path())

    monkeypatch.setattr(uploadhandler, "TemporaryUploadedFile", Spy)
    return tmp_path, made


def test_a_body_declared_over_the_limit_is_refused_before_its_file_is_read(
    client, crew, spooled
):
    client.force_login(crew.marketing)
    body = Body(None)
    response = post(client, "/imports/", body, declared=1_000_000_000)
    assert response.status_code == 413
    assert (
        "The file is 1.0 GB; the limit is 200 MB. Split it into smaller files. Nothing was "
        "stored." in response.content.decode()
    )
    assert body.sent <= CHUNK + len(body.head)  # the part headers, not the gigabyte
    tmp, made = spooled
    assert (made, list(tmp.iterdir())) == ([], [])
    assert (ImportJob.objects.count(), ImportChunk.objects.count()) == (0, 0)


def test_a_file_that_grows_past_the_limit_is_stopped_as_it_arrives(
    client, crew, settings, spooled
):
    settings.SDRCRM_IMPORT_MAX_BYTES = 300_000
    client.force_login(crew.marketing)
    body = Body(600_000)  # declared honestly: only the bytes received tell
    response = post(client, "/imports/", body, declared=len(body))
    assert response.status_code == 413
    assert (
        "The file is larger than the limit of 0.3 MB. Split it into smaller files. Nothing "
        "was stored." in response.content.decode()
    )
    assert body.sent < 300_000 + CHUNK + len(body.head)
    tmp, made = spooled
    assert len(made) == 1 and list(tmp.iterdir()) == []  # started, then deleted
    assert (ImportJob.objects.count(), ImportChunk.objects.count()) == (0, 0)


def test_a_file_within_the_limit_is_read_whole(client, crew, settings, spooled):
    settings.SDRCRM_IMPORT_MAX_BYTES = 300_000
    client.force_login(crew.marketing)
    body = Body(200_007)
    response = post(client, "/imports/", body, declared=len(body))
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    assert (body.sent, job.file_size) == (len(body), len(b"First Name,Email\n") + 200_007)
