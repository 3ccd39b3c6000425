import pytest
from django.core.management import call_command

from intake.models import ImportJob
from leads.models import Lead

from .files import messy_csv, people

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("import_leads", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_the_command_imports_and_prints_counts_and_rejected_rows(crew, tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(messy_csv())
    code, out, err = run(str(path), "--owner", crew.sdr.username, "--source", "outbound")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[1].startswith("created 4, updated 0, duplicates 1, rejected 3 in ")
    assert lines[2:] == [
        "  line 5: Email 'per.hansen(at)example.com' is not a valid address.",
        "  line 7: Number of employees 'mange' is not a whole number.",
        "  line 10: The email is empty.",
    ]
    assert set(Lead.objects.values_list("owner_id", "source")) == {(crew.sdr.pk, "outbound")}
    # Again: nothing new, and the exit status says nothing was imported.
    code, out, _ = run(str(path), "--owner", crew.sdr.username)
    assert code == 1 and "created 0, updated 0, duplicates 5, rejected 3" in out
    assert Lead.objects.count() == 4


def test_round_robin_dry_run_and_all_or_nothing(crew, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(people(10, bad_every=4))
    code, out, _ = run(
        str(path), "--round-robin", f"{crew.sdr.username},{crew.sdr2.username}", "--dry-run"
    )
    assert (
        code == 0 and "would be created 7" in out and out.endswith("Dry run: nothing was stored.\n")
    )
    assert Lead.objects.count() == 0 and ImportJob.objects.count() == 0
    code, out, err = run(str(path), "--team", crew.team.name, "--all-or-nothing")
    assert code == 1 and "3 rows have errors, so nothing was imported" in err
    assert Lead.objects.count() == 0
    code, out, _ = run(str(path), "--round-robin", f"{crew.sdr.username},{crew.sdr2.username}")
    assert code == 0
    assert sorted(Lead.objects.values_list("owner_id", flat=True)) == sorted(
        [crew.sdr.pk] * 4 + [crew.sdr2.pk] * 3
    )


def test_a_refused_file_exits_non_zero_and_stores_nothing(crew, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, _, err = run(str(path), "--team", crew.team.name)
    assert code == 1 and err == "empty.csv: The file is empty.\n"
    assert ImportJob.objects.count() == 0
