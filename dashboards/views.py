"""Dashboard pages: parse the filters, start from the user's scope, call metrics, render.

Every page runs a fixed number of queries whatever the data (tests pin them)."""

from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import Team
from cadences.models import TaskOutcome
from leads.models import CallOutcome
from sdrcrm.inputs import parse_id
from sdrcrm.money import format_amount

from . import export, metrics, svg
from .forms import DashboardFilterForm
from .metrics import dashboard_scope, duration_text, rate_text
from .rollup import facts_as_of

PAGES = [
    ("dashboards:pipeline", gettext_lazy("Pipeline")),
    ("dashboards:activity", gettext_lazy("SDR activity")),
    ("dashboards:commission", gettext_lazy("Commission")),
    ("dashboards:cadences", gettext_lazy("Cadences")),
    ("dashboards:stages", gettext_lazy("Time in stage")),
]


def _pages_for(scope) -> list[tuple[str, str]]:
    allowed = {
        "aggregate": {"dashboards:pipeline"},
        "ae": {"dashboards:pipeline", "dashboards:activity", "dashboards:stages"},
    }.get(scope.kind)
    return [(name, label) for name, label in PAGES if allowed is None or name in allowed]


def _setup(request, *, allow=("all", "team", "sdr", "ae", "aggregate"), with_cadences=False):
    user = request.user
    team_param = request.GET.get("team", "")
    scope = dashboard_scope(user, team_id=parse_id(team_param) if user.is_admin_role else None)
    if scope.kind not in allow:
        raise PermissionDenied
    people = metrics.people_choices(scope)
    cadences = metrics.cadence_choices(scope) if with_cadences else []
    teams = list(Team.objects.order_by("name")) if user.is_admin_role else []
    form = DashboardFilterForm(
        request.GET or None, scope=scope, people=people, cadences=cadences, teams=teams
    )
    # Wrong filters are an error shown as such (_invalid), never figures of other dates.
    return scope, form, None if form.invalid else form.filters()


ALL_FILTERS = "start end team sdr source cadence by stalled_days"


def _invalid(request, scope, form, title):
    """The page's filters with their errors, and no figures (400)."""
    context = _base_context(request, scope, form, None, title)
    context["show"] = ALL_FILTERS
    return render(request, "dashboards/invalid.html", context, status=400)


def _base_context(request, scope, form, f, title):
    query = request.GET.copy()
    for key in ("a", "b"):
        query.pop(key, None)
    return {
        "title": title,
        "scope": scope,
        "form": form,
        "f": f,
        "pages": _pages_for(scope),
        "as_of": facts_as_of(),
        "query": query.urlencode(),
        "tz": ZoneInfo(scope.time_zone),
    }


@require_GET
def pipeline(request):
    scope, form, f = _setup(request, with_cadences=True)
    if f is None:
        return _invalid(request, scope, form, _("Pipeline"))
    funnel = metrics.pipeline_funnel(scope, f)
    stalled = metrics.stalled_leads(request.user, scope, days=form.stalled_after, sdr=f.sdr)
    chart = svg.hbar_chart(
        [
            (
                s["label"],
                s["count"],
                format_amount(s["count"])
                + (f" · {rate_text(s['conversion'])}" if s["conversion"] is not None else ""),
            )
            for s in funnel.stages
        ],
        title=_("Pipeline funnel: leads reaching each stage"),
    )
    context = _base_context(request, scope, form, f, _("Pipeline"))
    context.update({"funnel": funnel, "chart": chart, "stalled": stalled, "rate_text": rate_text})
    for s in funnel.stages:
        s["conversion_text"] = rate_text(s["conversion"])
    return render(request, "dashboards/pipeline.html", context)


def _drill_href(scope, f, figure, uid, start, end, dim="", *, base=None):
    if figure not in metrics.DRILL:
        return ""
    params = {"figure": figure, "start": start.isoformat(), "end": end.isoformat()}
    if uid and scope.sees_people:
        params["sdr"] = uid
    if f.source:
        params["source"] = f.source
    if f.cadence:
        params["cadence"] = f.cadence
    if scope.kind == "team":
        params["team"] = scope.team_id
    return (base or reverse("dashboards:leads")) + "?" + urlencode(params)


def _cells(scope, f, row, columns, start, end, *, uid=None, base=None):
    cells = []
    for key, _label in columns:
        value = row.get(key)
        if key == "speed_to_lead":
            text = duration_text(value)
        elif key == "acceptance_rate":
            text = rate_text(value)
        else:
            text = format_amount(value)
        href = ""
        if value and key in metrics.DRILL:
            href = _drill_href(scope, f, key, uid, start, end, base=base)
        cells.append({"key": key, "text": text, "href": href})
    return cells


@require_GET
def activity(request):
    scope, form, f = _setup(request, allow=("all", "team", "sdr", "ae"), with_cadences=True)
    if f is None:
        return _invalid(request, scope, form, _("SDR activity"))
    by = form.group_by
    act = metrics.sdr_activity(scope, f, by=by)
    span = 6 if by == "week" else 0
    base = reverse("dashboards:leads")  # once: a page has hundreds of figures
    rows = []
    for r in act.rows:
        end = min(r["period"] + timedelta(days=span), f.end)
        start = max(r["period"], f.start)
        rows.append(
            {**r, "cells": _cells(scope, f, r, act.columns, start, end, uid=f.sdr, base=base)}
        )
    totals = [
        {
            **t,
            "cells": _cells(scope, f, t, act.columns, f.start, f.end, uid=t["user_id"], base=base),
        }
        for t in act.totals
    ]
    chart = svg.column_chart(
        [(date_format(d, "d M"), n) for d, n in act.series],
        title=_("Touches per day (emails, calls, LinkedIn)"),
    )
    context = _base_context(request, scope, form, f, _("SDR activity"))
    context.update(
        {
            "columns": act.columns,
            "rows": rows,
            "totals": totals,
            "chart": chart,
            "series": act.series,
            "by": by,
            "ae_view": scope.kind == "ae",
            "calls_by_outcome": [
                (OUTCOME_LABELS.get(o, o or _("(none)")), n) for o, n in act.calls_by_outcome
            ],
            "sdr_name": act.people.get(f.sdr, "") if f.sdr else "",
        }
    )
    return render(request, "dashboards/activity.html", context)


COMMISSION_PAGE_ROWS = 200
OUTCOME_LABELS = {**dict(TaskOutcome.choices), **dict(CallOutcome.choices)}


@require_GET
def commission(request):
    scope, form, f = _setup(request, allow=("all", "team", "sdr"))
    if f is None:
        return _invalid(request, scope, form, _("Commission report"))
    report = metrics.commission_report(scope, f, limit=COMMISSION_PAGE_ROWS)
    chart = svg.hbar_chart(
        [(p["sdr"], p["accepted"], format_amount(p["accepted"])) for p in report["per_sdr"]],
        title=_("Accepted leads per SDR"),
    )
    context = _base_context(request, scope, form, f, _("Commission report"))
    context.update({"report": report, "chart": chart})
    return render(request, "dashboards/commission.html", context)


@require_GET
def commission_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("No such format"))
    scope, form, f = _setup(request, allow=("all", "team", "sdr"))
    if f is None:
        errors = "\n".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
        return HttpResponseBadRequest(
            _("Nothing to download: the filters are wrong.") + "\n" + errors,
            content_type="text/plain; charset=utf-8",
        )
    report = metrics.commission_report(scope, f)
    rows = export.commission_table(report, zone=None if scope.kind == "all" else scope.time_zone)
    name = f"commission-{f.start.isoformat()}-{f.end.isoformat()}"
    return export.as_csv(rows, name) if fmt == "csv" else export.as_xlsx(rows, name)


@require_GET
def cadences(request):
    scope, form, f = _setup(request, allow=("all", "team", "sdr"), with_cadences=True)
    if f is None:
        return _invalid(request, scope, form, _("Cadence performance"))
    choices = form.fields["cadence"].choices[1:]
    ids = []
    for key in ("a", "b"):
        raw = request.GET.get(key, "")
        if parse_id(raw) is not None and parse_id(raw) not in ids:
            ids.append(parse_id(raw))
    if not ids and choices:
        ids = [choices[0][0]]
    perf = metrics.cadence_performance(scope, f, cadence_ids=ids)
    for c in perf:
        best = next((i for i, s in enumerate(c["steps"]) if s["best"]), None)
        c["chart"] = svg.hbar_chart(
            [
                (
                    _("Step %(step)s · %(channel)s") % {"step": s["step"], "channel": s["channel"]},
                    (s["reply_rate"] or 0) * 100,
                    f"{rate_text(s['reply_rate'])} ({s['replied']}/{s['sent']})",
                )
                for s in c["steps"]
            ],
            title=_("Reply rate per step: %(cadence)s") % {"cadence": c["cadence"].name},
            highlight=best,
        )
        for s in c["steps"]:
            s["reply_rate_text"] = rate_text(s["reply_rate"])
        c["total"]["reply_rate_text"] = rate_text(c["total"]["reply_rate"])
    context = _base_context(request, scope, form, f, _("Cadence performance"))
    context.update(
        {
            "perf": perf,
            "choices": choices,
            "a": ids[0] if ids else None,
            "b": ids[1] if len(ids) > 1 else None,
        }
    )
    return render(request, "dashboards/cadences.html", context)


@require_GET
def stages(request):
    scope, form, f = _setup(request, allow=("all", "team", "sdr", "ae"), with_cadences=True)
    if f is None:
        return _invalid(request, scope, form, _("Time in stage"))
    rows = metrics.time_in_stage(scope, f)
    for r in rows:
        r["median_text"] = duration_text(r["median"])
        r["p90_text"] = duration_text(r["p90"])
    chart = svg.hbar_chart(
        [
            (
                r["label"],
                r["median"] or 0,
                _("median %(median)s · p90 %(p90)s")
                % {"median": r["median_text"], "p90": r["p90_text"]},
            )
            for r in rows
        ],
        title=_("Median time in each state"),
    )
    context = _base_context(request, scope, form, f, _("Time in stage"))
    context.update({"rows": rows, "chart": chart})
    return render(request, "dashboards/stages.html", context)


@require_GET
def figure_leads(request):
    scope, form, f = _setup(request, allow=("all", "team", "sdr", "ae"))
    if f is None:
        return _invalid(request, scope, form, _("Leads behind a figure"))
    figure = request.GET.get("figure", "")
    if figure not in metrics.DRILL:
        raise Http404(_("No such figure"))
    leads = metrics.figure_leads(
        request.user, scope, f, figure=figure, dim=request.GET.get("dim", "")
    )
    label = dict(metrics.ACTIVITY_COLUMNS + metrics.AE_COLUMNS).get(figure, figure)
    if f.sdr and "sdr" in form.fields:
        who = dict(form.fields["sdr"].choices).get(f.sdr)
        label = _("%(figure)s of %(person)s") % {"figure": label, "person": who} if who else label
    context = _base_context(
        request, scope, form, f, _("Leads behind: %(figure)s") % {"figure": label}
    )
    context.update(
        {"leads": leads, "figure": figure, "label": label, "limit_hit": len(leads) >= 200}
    )
    return render(request, "dashboards/leads.html", context)
