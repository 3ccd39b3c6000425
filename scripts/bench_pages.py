#!/usr/bin/env python
"""Page server time on the benchmark data set, with Django's admin as the baseline.

  scripts/bench_pages.py --size full [--repeat 30] [--json var/bench/pages.json]

Makes (or reuses) the data set of scripts/bench_data.py, then requests each page through
Django's test client (the whole middleware stack, templates rendered; no network), logged in
as the user the page is for: `repeat` timed requests after 3 untimed ones, median and 95th
percentile, and the number of SQL queries of one more request. The baseline of the lead pages
is Django's admin (change list, and change form for the detail) on the same rows as the admin
user, requested in turn with the page (page, admin, page, …) so both see the same machine;
`ratio` says how many times faster the product's page is.

The clock (sdrcrm.clock, what the Today queue reads) is set back to the moment the data set was
made, so a data set reused days later still has today's work due today.

The clicked actions (enroll, a voicemail on Today, a logged call, an AE's accept):
scripts/bench_actions.py, logged in as the SDR and the AE whose rows they are.

Dashboards: scripts/bench_dashboards.py's ``measure(client, repeat)`` is called with a client
logged in as a manager; see DASHBOARDS.
"""

# Django's modules (models, services, the test client) are imported inside the functions
# below: they can be imported only after django.setup(), which runs once the script has
# chosen its database.

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import bench_actions, bench_data  # noqa: E402

# The hook for the dashboards: scripts/bench_dashboards.py defines
#   measure(client, repeat: int) -> list[dict]
# taking a test client logged in as a team manager and returning one figure per dashboard page:
#   {"name": "page.dashboard.<name>", "unit": "ms", "median": …, "p95": …, "queries": …}
# (use `timed()` below to make them). Its figures are added to the table as they are.
DASHBOARDS = ROOT / "scripts" / "bench_dashboards.py"

# Figures this script writes, in order (tests/test_bench.py pins them).
FIGURES = [
    "page.lead_list.first",
    "page.lead_list.filtered",
    "page.lead_list.deep",
    "page.lead_list.sdr_first",
    "page.lead_list.search_name",
    "page.lead_list.search_email",
    "page.lead_list.search_company",
    "page.lead_list.sdr_search_name",
    "page.lead_detail",
    "page.today",
    "page.ae_queue",
    *bench_actions.FIGURES,
]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


_cpu: dict[str, list[float]] = {}


def _get(client, url: str) -> float:
    """Wall time of GET url in ms; the Python CPU time of the request is kept in _cpu (with
    other work on the machine the wall time grows, the CPU time much less)."""
    t, c = time.perf_counter(), time.process_time()
    response = client.get(url)
    elapsed = (time.perf_counter() - t) * 1000
    _cpu.setdefault(url, []).append((time.process_time() - c) * 1000)
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code}")
    return elapsed


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


def _summary(samples: list[float], queries: int, url: str) -> dict:
    cpu = _cpu.pop(url, [])
    return {
        "unit": "ms",
        "median": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "queries": queries,
        "python_cpu_median": statistics.median(cpu) if cpu else None,
        "runs": len(samples),
        "url": url,
    }


def timed(client, url: str, repeat: int, warmup: int = 3) -> dict:
    """Median and p95 server time (ms) of GET url, and its query count."""
    for _ in range(warmup):
        _get(client, url)
    samples = [_get(client, url) for _ in range(repeat)]
    return _summary(samples, _queries(client, url), url)


def timed_pair(client, url, repeat, base_client, base_url, base_repeat, warmup=3):
    """Like timed() for a page and its baseline, the requests interleaved (page, baseline,
    page, …) so that both see the same machine: other work on it slows them alike."""
    for _ in range(warmup):
        _get(client, url)
        _get(base_client, base_url)
    samples, base_samples = [], []
    for i in range(max(repeat, base_repeat)):
        if i < repeat:
            samples.append(_get(client, url))
        if i < base_repeat:
            base_samples.append(_get(base_client, base_url))
    return (
        _summary(samples, _queries(client, url), url),
        _summary(base_samples, _queries(base_client, base_url), base_url),
    )


def _client(username: str):
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _set_clock(generated_at) -> None:
    from django.conf import settings
    from django.utils import timezone

    path = Path(settings.SDRCRM_CLOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str((generated_at - timezone.now()).total_seconds()))


def _figure(name: str, measured: dict, baseline: dict | None = None, what: str = "") -> dict:
    figure = {"name": name, **measured}
    if baseline is not None:
        figure.update(
            {
                "baseline": what,
                "baseline_median": baseline["median"],
                "baseline_p95": baseline["p95"],
                "baseline_queries": baseline["queries"],
                "ratio": baseline["median"] / measured["median"],
            }
        )
    return figure


def run(
    size: str, repeat: int, baseline_repeat: int, dashboards: bool = True
) -> tuple[list[dict], dict]:
    os.environ["SDRCRM_STATICFILES_STORAGE"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    os.environ["SDRCRM_CLOCK_FILE"] = str(ROOT / "var" / "bench" / f"clock-{size}")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    # DEBUG off, as in production, needs a real key (sdrcrm/settings.py refuses the dev one).
    os.environ.setdefault("DJANGO_SECRET_KEY", __import__("secrets").token_urlsafe(48))
    data = bench_data.ensure(size)
    _set_clock(data["generated_at"])
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns otherwise

    from django.db import connection

    from accounts.models import User
    from leads.models import OPEN_STATES, Lead
    from leads.selectors import _encode_cursor

    admin, sdr, ae = _client("admin"), _client("sdr1"), _client("ae1")
    sdr_user = User.objects.get(username="sdr1")
    figures = []

    def add(name, client, url, baseline_url=None, what="", runs=repeat):
        t = time.perf_counter()
        if baseline_url:
            measured, baseline = timed_pair(client, url, runs, admin, baseline_url, baseline_repeat)
        else:
            measured, baseline = timed(client, url, runs), None
        figures.append(_figure(name, measured, baseline, what))
        ratio = (
            f", baseline {baseline['median']:.1f} ms ({figures[-1]['ratio']:.1f}x)"
            if (baseline)
            else ""
        )
        print(
            f"  {name}: median {measured['median']:.1f} ms, p95 {measured['p95']:.1f} ms, "
            f"{measured['queries']} queries{ratio} [{time.perf_counter() - t:.0f} s]",
            flush=True,
        )

    changelist = "/admin/leads/lead/"
    add("page.lead_list.first", admin, "/leads/", changelist, "Django admin change list")
    add(
        "page.lead_list.filtered",
        admin,
        "/leads/?state=contacting&state=engaged&sort=created",
        # The same filter and order in the admin: state in (contacting, engaged), column 7
        # (created_at) ascending.
        changelist + "?state__in=contacting,engaged&o=7",
        "Django admin change list, same filter and sort",
    )
    # The row half way down the whole list: a keyset cursor there; the admin's page there.
    n = Lead.objects.count()
    middle = n // 2
    with connection.cursor() as cur:
        cur.execute(
            "SELECT created_at, id FROM leads_lead ORDER BY created_at DESC, id DESC "
            "OFFSET %s LIMIT 1",
            [middle],
        )
        created_at, lead_id = cur.fetchone()
    cursor = _encode_cursor("after", [created_at, lead_id])
    add(
        "page.lead_list.deep",
        admin,
        f"/leads/?cursor={cursor}",
        f"{changelist}?p={middle // 100 + 1}",
        f"Django admin change list, page {middle // 100 + 1} (row {middle:,})",
    )
    add("page.lead_list.sdr_first", sdr, "/leads/", changelist, "Django admin change list")
    # The search (leads/search.py), as a manager of the first team: a full name ("Kari Hansen":
    # one person in 204 of the data set), part of an address and a company's name, each of
    # a prospect of that team; and an SDR's full-name search. The admin's search (icontains
    # over the prospect's email and last name and the company's name, every word in one of
    # them) is the baseline where it finds the same leads: not for a first name.
    manager = _client("manager1")
    team_id = User.objects.get(username="manager1").team_id
    with connection.cursor() as cur:
        # The team's newest company ("Company 249960": its number is its own, where "Company 1"
        # would also be the start of 11,000 others) and the address of one of its people.
        cur.execute(
            "SELECT p.email, c.name FROM leads_company c JOIN leads_prospect p "
            "ON p.company_id = c.id WHERE c.team_id = %s ORDER BY c.id DESC, p.id LIMIT 1",
            [team_id],
        )
        email, company = cur.fetchone()
    part_of_email = email[: email.index("@") + 3]  # "p249959@c2", a prefix of the address
    in_team = f"&team__id__exact={team_id}"
    add("page.lead_list.search_name", manager, "/leads/?" + urlencode({"q": "Kari Hansen"}))
    add(
        "page.lead_list.search_email",
        manager,
        "/leads/?" + urlencode({"q": part_of_email}),
        f"{changelist}?{urlencode({'q': part_of_email})}{in_team}",
        "Django admin change list, same search in the team",
    )
    add(
        "page.lead_list.search_company",
        manager,
        "/leads/?" + urlencode({"q": company}),
        f"{changelist}?{urlencode({'q': company})}{in_team}",
        "Django admin change list, same search in the team",
    )
    add("page.lead_list.sdr_search_name", sdr, "/leads/?" + urlencode({"q": "Kari Hansen"}))
    # The SDR's open lead with the longest timeline.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT l.id FROM leads_lead l WHERE l.owner_id = %s AND l.state = ANY(%s) "
            "ORDER BY (SELECT count(*) FROM leads_leadevent e WHERE e.lead_id = l.id) DESC, "
            "l.id LIMIT 1",
            [sdr_user.pk, [str(s) for s in OPEN_STATES]],
        )
        detail_id = cur.fetchone()[0]
    add(
        "page.lead_detail",
        sdr,
        f"/leads/{detail_id}/",
        f"/admin/leads/lead/{detail_id}/change/",
        "Django admin change form (timeline inline)",
    )
    add("page.today", sdr, "/today/")
    add("page.ae_queue", ae, "/qualification/queue/")
    # The clicked actions (issue 20): scripts/bench_actions.py.
    figures += bench_actions.measure(_client, repeat)

    hooks = {}
    if not dashboards:
        hooks["dashboards"] = "skipped (--no-dashboards)"
    elif DASHBOARDS.exists():
        # The dashboards read rollups of the timeline (dashboards.rollup, kept current by a
        # periodic task); on this data set they are built once, before the first measurement,
        # as a bulk load (bench_dashboards.build_rollups: dashboards.rollup.facts_backfill).
        from dashboards.models import Fact

        spec = importlib.util.spec_from_file_location("bench_dashboards", DASHBOARDS)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not Fact.objects.exists():
            started = time.perf_counter()
            module.build_rollups()
            print(f"  dashboards: rollups built in {time.perf_counter() - started:.0f} s")
        results = module.measure(_client("manager1"), runs=repeat, warmup=1)
        for page, r in results.items():
            slug = "_".join(re.findall(r"[a-z0-9]+", page.lower()))
            figure = {"name": f"page.dashboard.{slug}", "unit": "ms", "median": r["median_ms"],
                      "p95": r["p95_ms"], "queries": r["queries"]}  # fmt: skip
            figures.append(figure)
            print(f"  {figure['name']}: median {figure['median']:.1f} ms", flush=True)
        hooks["dashboards"] = "scripts/bench_dashboards.py measure()"
    else:
        hooks["dashboards"] = "not present: scripts/bench_dashboards.py"

    data = {k: (str(v) if k == "generated_at" else v) for k, v in data.items()}
    return figures, {"data": data, "hooks": hooks, "detail_lead": detail_id}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(bench_data.SIZES), default="full")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--no-dashboards",
        action="store_true",
        help="skip the dashboards (their rollups of a fresh data set take minutes to build)",
    )
    parser.add_argument("--baseline-repeat", type=int, default=10)
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "pages.json"))
    args = parser.parse_args(argv)
    figures, extra = run(
        args.size, args.repeat, args.baseline_repeat, dashboards=not args.no_dashboards
    )
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"figures": figures, **extra}, indent=2, default=str))


if __name__ == "__main__":
    main()
