"""The access matrix, generated: every role x every URL pattern x every method (GET, POST, PUT,
PATCH, DELETE), on objects of the user's own team and of another team.

``ROUTES`` holds one entry per URL pattern of the project (tests/accounts/test_auth_pages.py's
``project_routes`` lists them): the methods the URL takes. The matrix fails when a URL is added
without an entry (or a parameter naming a new kind of object appears). For every logged-in
role of two teams (``ROLES``), it then checks:

- out of scope (a lead, cadence, enrollment, touch, reminder or AE of the *other* team):
  a read answers 404; a write answers 404, or, when it is refused before the object is even
  looked up (a role that may not use the page at all, a form that is not valid), exactly what
  the same request answers for an object that does not exist: nothing is revealed;
- every method a URL does not take answers 405, in scope or not;
- none of these requests writes a single row (PostgreSQL's per-transaction counters of rows
  inserted, updated and deleted, sessions apart, before and after each request).

What each role may do to objects in its scope is the policy table of
tests/test_permissions_matrix.py (and the apps' own view tests); this file proves the deny-by-
default half for every URL and method, including the ones nobody thought of.

Adding a URL: add its route to ROUTES with the methods it takes. A new kind of object in a
route (``<int:foo_id>``): add it to ``OUT_OF_SCOPE`` and make one for each team in
``team_objects``. API routes (``/api/…/<int:pk>/``) go in the same way, with the methods their
views take (their handler methods); the /api/ rows are checked twice, logged in and with a
bearer token.
"""

import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone

from tests.accounts.test_auth_pages import project_routes
from tests.fixtures import api_token_for

METHODS = ("get", "post", "put", "patch", "delete")
GET, POST = frozenset({"get"}), frozenset({"post"})
GET_POST = frozenset({"get", "post"})
# django-anymail's providers with an inbound and a tracking webhook each (public routes).
ANYMAIL_ESPS = (
    "amazon_ses", "brevo", "mailersend", "mailgun", "mailjet", "mailtrap", "postal", "postmark",
    "resend", "sendgrid", "sendinblue", "sparkpost",
)  # fmt: skip


@dataclass(frozen=True)
class Route:
    methods: frozenset
    # Django's class-based auth views treat PUT as POST (and answer the rest normally):
    # anything but the listed methods must still change nothing, whatever it answers.
    lenient: bool = False
    public: bool = False


ROUTES = {
    "/healthz": Route(GET, public=True),
    "/": Route(GET),
    "/login/": Route(GET_POST, lenient=True, public=True),
    "/logout/": Route(POST),
    "/account/language/": Route(POST),
    "/password/": Route(GET_POST, lenient=True),
    "/password/done/": Route(GET, lenient=True),
    "/leads/": Route(GET),
    "/leads/new/": Route(GET_POST),
    "/leads/overview/": Route(GET),
    "/leads/bulk-assign/": Route(POST),
    "/leads/export/": Route(GET),
    "/leads/<int:lead_id>/": Route(GET),
    "/leads/<int:lead_id>/edit/": Route(GET_POST),
    "/leads/<int:lead_id>/transition/<slug:name>/": Route(POST),
    "/leads/<int:lead_id>/notes/": Route(POST),
    "/leads/<int:lead_id>/checklist/": Route(POST),
    "/leads/<int:lead_id>/claim/": Route(POST),
    # The team's scrap and rejection reasons (issue 20): its manager's page.
    "/leads/reasons/": Route(GET_POST),
    "/leads/reasons/<int:reason_id>/": Route(POST),
    "/imports/": Route(GET_POST),
    "/imports/<int:job_id>/": Route(GET),
    "/imports/<int:job_id>/leads/": Route(GET),
    "/imports/<int:job_id>/preview/": Route(POST),
    "/imports/<int:job_id>/start/": Route(POST),
    "/imports/<int:job_id>/issues.csv": Route(GET),
    "/imports/web-forms/": Route(GET_POST),
    "/imports/web-forms/<int:form_id>/deactivate/": Route(POST),
    "/in/<str:token>/": Route(POST, public=True),
    "/today/": Route(GET),
    "/u/<str:token>/": Route(GET_POST, public=True),
    "/cadences/": Route(GET),
    "/cadences/new/": Route(GET_POST),
    "/cadences/standard/": Route(POST),
    "/cadences/snippets/": Route(GET_POST),
    "/cadences/steps/preview/": Route(POST),
    "/cadences/enroll/": Route(POST),
    "/cadences/holiday/": Route(POST),
    "/cadences/<int:cadence_id>/": Route(GET),
    "/cadences/<int:cadence_id>/edit/": Route(GET_POST),
    "/cadences/<int:cadence_id>/copy/": Route(POST),
    "/cadences/<int:cadence_id>/archive/": Route(POST),
    "/cadences/enrollments/<int:enrollment_id>/pause/": Route(POST),
    "/cadences/enrollments/<int:enrollment_id>/resume/": Route(POST),
    "/cadences/enrollments/<int:enrollment_id>/stop/": Route(POST),
    "/cadences/leads/<int:lead_id>/reply/": Route(POST),
    "/cadences/leads/<int:lead_id>/reminders/": Route(POST),
    "/cadences/leads/<int:lead_id>/calls/": Route(POST),
    "/cadences/reminders/<int:reminder_id>/done/": Route(POST),
    "/cadences/touches/<int:touch_id>/complete/": Route(POST),
    "/cadences/touches/<int:touch_id>/skip/": Route(POST),
    "/cadences/touches/<int:touch_id>/release/": Route(POST),
    "/cadences/touches/<int:touch_id>/settle/": Route(POST),
    "/cadences/touches/<int:touch_id>/override/": Route(POST),
    "/cadences/touches/<int:touch_id>/scrap/": Route(POST),
    "/cadences/proposal/dismiss/": Route(POST),
    "/qualification/model/": Route(GET_POST),
    "/qualification/leads/<int:lead_id>/": Route(GET_POST),
    "/qualification/leads/<int:lead_id>/preview/": Route(GET),
    "/qualification/leads/<int:lead_id>/accept/": Route(POST),
    "/qualification/leads/<int:lead_id>/reject/": Route(POST),
    "/qualification/queue/": Route(GET),
    "/qualification/handoffs/": Route(GET),
    "/qualification/aes/<int:ae_id>/": Route(POST),
    "/qualification/notifications/": Route(GET_POST),
    "/qualification/notifications/badge/": Route(GET),
    "/coaching/": Route(GET),
    "/coaching/leads/<int:lead_id>/": Route(POST),
    "/coaching/<int:feedback_id>/acknowledge/": Route(POST),
    "/dashboards/": Route(GET),
    "/dashboards/activity/": Route(GET),
    "/dashboards/cadences/": Route(GET),
    "/dashboards/commission/": Route(GET),
    "/dashboards/commission/export/<slug:fmt>/": Route(GET),
    "/dashboards/leads/": Route(GET),
    "/dashboards/time-in-stage/": Route(GET),
    "/privacy/": Route(GET_POST),
    "/privacy/export/": Route(POST),
    "/privacy/erase/": Route(POST),
    "/privacy/leads/<int:lead_id>/export/": Route(GET),
    "/privacy/leads/<int:lead_id>/erase/": Route(GET_POST),
    "/account/two-factor/": Route(GET_POST),
    "/account/two-factor/remove/": Route(POST),
    "/account/two-factor/verify/": Route(GET_POST),
    "/settings/api-tokens/": Route(GET_POST),
    "/settings/api-tokens/<int:token_id>/revoke/": Route(POST),
    "/settings/webhooks/": Route(GET_POST),
    "/settings/webhooks/subscriptions/<int:subscription_id>/toggle/": Route(POST),
    "/settings/webhooks/deliveries/<int:delivery_id>/resend/": Route(POST),
    "/settings/webhooks/inbound-secret/": Route(POST),
    "/mailboxes/": Route(GET),
    "/mailboxes/connect/": Route(POST),
    "/mailboxes/test/": Route(POST),
    "/mailboxes/disconnect/": Route(POST),
    "/mailboxes/limits/": Route(POST),
    "/mailboxes/oauth/start/": Route(POST),
    "/mailboxes/oauth/callback/": Route(GET),
    "/mailboxes/team/": Route(GET_POST),
    "/team/calendar/": Route(GET_POST),
    "/team/calendar/remove/": Route(POST),
    # The REST API (DRF views: the methods are their handlers).
    "/api/schema/": Route(GET),
    "/api/docs/": Route(GET),
    "/api/leads/": Route(GET_POST),
    "/api/leads/<int:lead_id>/": Route(frozenset({"get", "patch"})),
    "/api/leads/<int:lead_id>/transitions/<str:name>/": Route(POST),
    "/api/leads/<int:lead_id>/timeline/": Route(GET),
    "/api/leads/<int:lead_id>/qualification/": Route(GET_POST),
    "/api/prospects/": Route(GET),
    "/api/prospects/<int:prospect_id>/": Route(GET),
    "/api/companies/": Route(GET),
    "/api/companies/<int:company_id>/": Route(GET),
    "/api/cadences/": Route(GET),
    "/api/cadences/<int:cadence_id>/": Route(GET),
    "/api/cadences/<int:cadence_id>/preview/": Route(GET),
    "/api/enrollments/": Route(GET_POST),
    "/api/enrollments/<int:enrollment_id>/": Route(GET),
    "/api/tasks/": Route(GET),
    "/api/imports/": Route(GET_POST),
    "/api/imports/<int:job_id>/": Route(GET),
    "/api/imports/<int:job_id>/start/": Route(POST),
    "/api/imports/<int:job_id>/issues/": Route(GET),
    # Inbound webhooks: signed by the team's secret / the provider's basic auth, no login.
    "/api/webhooks/inbound/<int:team_id>/": Route(POST, public=True),
    **{
        f"/api/webhooks/anymail/{esp}/": Route(POST, public=True)
        for esp in (
            *(f"{p}/{kind}" for p in ANYMAIL_ESPS for kind in ("inbound", "tracking")),
            "mandrill",
            "mandrill/tracking",
        )
    },
    # Unisender Go checks the URL with a GET before it posts.
    "/api/webhooks/anymail/unisender_go/tracking/": Route(GET_POST, public=True),
}

ROLES = (
    "sdr", "sdr2", "bdr", "ae", "ae2", "manager", "marketing", "admin", "o_sdr", "o_manager",
    "o_ae", "privacy",
)  # fmt: skip

# A privacy officer belongs to no team and does none of the sales work: of the routes above it
# uses only these (its own account, and the data-subject page, tests/privacy); every other
# route, with any method, on any team's objects, answers 403 or 404 (or 405) and writes nothing.
PRIVACY_OFFICER_ROUTES = {
    "/", "/logout/", "/account/language/", "/password/", "/password/done/",
    "/account/two-factor/",
    "/account/two-factor/remove/", "/account/two-factor/verify/", "/privacy/",
    "/privacy/export/", "/privacy/erase/",
}  # fmt: skip


def test_every_url_has_an_entry():
    routes = set(project_routes())
    assert sorted(routes - ROUTES.keys()) == [], "new URLs: add them to ROUTES"
    assert sorted(ROUTES.keys() - routes) == [], "URLs that no longer exist: remove them"


# --- The objects ---------------------------------------------------------------------------


@dataclass
class Team:
    crew: object
    objects: dict  # route parameter -> the id of one of this team's objects


def team_objects(crew) -> dict:
    """One of each kind of object a route names, belonging to ``crew``'s team: a lead handed
    off to its AE (visible to its SDR, AE and manager), the team's standard cadence, an
    enrollment of another lead with its touches, a reminder, an import and a web form, coaching
    feedback for the SDR, the SDR's API token, a webhook subscription with one delivery. The
    lead's prospect and company have the same email and domain in both teams."""
    from api.models import ApiToken, WebhookDelivery, WebhookSubscription
    from cadences.models import Touch
    from cadences.services import cadence_ensure_standard, enrollment_create, reminder_create
    from coaching.services import feedback_create
    from intake.models import ImportJob, WebForm
    from leads.models import LeadEvent, Reason
    from leads.services import reasons_ensure
    from tests.factories import CompanyFactory, ProspectFactory
    from tests.fixtures import walk

    # Both teams hold the same person at the same company (a team is a workspace: each has
    # its own rows), so every route naming a lead, prospect or company is also checked on the
    # shared-email and shared-domain case: the other team's row stays out of reach.
    shared = ProspectFactory(
        email="kari@shared.example",
        company=CompanyFactory(name="Shared AS", domain="shared.example"),
    )
    handed = walk(crew.lead(owner="sdr", prospect=shared), "handed_off", ae=crew.ae)
    standard = cadence_ensure_standard(team_id=crew.team.pk, actor=crew.manager)
    enrolled = crew.lead(owner="sdr")
    enrollment = enrollment_create(actor=crew.sdr, lead_id=enrolled.pk, cadence_id=standard.pk)
    touch = Touch.objects.filter(enrollment=enrollment).order_by("position").first()
    reminder = reminder_create(
        actor=crew.sdr,
        lead_id=enrolled.pk,
        due_at=timezone.now() + timezone.timedelta(days=1),
        note="Call back",
    )
    job = ImportJob.objects.create(
        team=crew.team,
        created_by=crew.manager,
        file_name="list.csv",
        file_size=1,
        file_sha256="0" * 64,
        file_format="csv",
    )
    form = WebForm.objects.create(team=crew.team, name="Website")
    feedback = feedback_create(actor=crew.manager, lead_id=handed.pk, kind="praise", body="Good.")
    token = ApiToken.objects.create(
        user=crew.sdr, name="CLI", prefix=f"t{crew.sdr.pk}", key_hash=f"{crew.sdr.pk:064d}"
    )
    subscription = WebhookSubscription.objects.create(
        team=crew.team, url="https://hooks.example.com/", events=["lead.handed_off"],
        secret="whsec_x", created_by=crew.manager,
    )  # fmt: skip
    reasons_ensure(team_id=crew.team.pk)
    reason = Reason.objects.filter(team=crew.team).order_by("pk").first()
    event = LeadEvent.objects.filter(lead=handed).order_by("-pk").first()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, lead_event=event, lead_id=handed.pk,
        event_type="lead.handed_off", payload={},
    )  # fmt: skip
    return {
        "prospect_id": handed.prospect_id,
        "company_id": handed.prospect.company_id,
        "feedback_id": feedback.pk,
        "token_id": token.pk,
        "subscription_id": subscription.pk,
        "delivery_id": delivery.pk,
        "team_id": crew.team.pk,
        "fmt": "csv",
        "job_id": job.pk,
        "form_id": form.pk,
        "lead_id": handed.pk,
        "cadence_id": standard.pk,
        "enrollment_id": enrollment.pk,
        "touch_id": touch.pk,
        "reminder_id": reminder.pk,
        "ae_id": crew.ae.pk,
        "reason_id": reason.pk,
        "name": "accept",
        "token": "not-a-token",
    }


# Route parameters naming an object of a team (team_objects makes one of each).
OUT_OF_SCOPE = {
    "lead_id",
    "cadence_id",
    "enrollment_id",
    "touch_id",
    "reminder_id",
    "ae_id",
    "job_id",
    "form_id",
    "prospect_id",
    "company_id",
    "feedback_id",
    "token_id",
    "subscription_id",
    "delivery_id",
    "reason_id",
}
NOT_OBJECTS = {"name", "token", "fmt", "team_id"}  # team_id: only on a public route


def test_every_route_parameter_is_known():
    params = {m for r in ROUTES for m in re.findall(r"<\w+:(\w+)>", r)}
    assert params <= OUT_OF_SCOPE | NOT_OBJECTS, "add a maker for the new kind of object"


def path_for(route: str, objects: dict) -> str:
    return re.sub(r"<\w+:(\w+)>", lambda m: str(objects[m[1]]), route)


# --- Writes --------------------------------------------------------------------------------


def rows_written() -> int:
    """Rows inserted, updated or deleted so far in this test's transaction, in any table but
    the sessions (a request may touch its own). PostgreSQL counts them per transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
            "FROM pg_stat_xact_user_tables WHERE relname <> 'django_session'"
        )
        return int(cursor.fetchone()[0])


def test_rows_written_sees_a_write(crew, client):
    """The matrix's witness works: an allowed write is counted."""
    client.force_login(crew.sdr)
    lead = crew.lead(owner="sdr")
    before = rows_written()
    response = client.post(f"/leads/{lead.pk}/notes/", {"body": "Counted."})
    assert response.status_code == 302
    assert rows_written() > before


# --- The matrix ----------------------------------------------------------------------------


@pytest.fixture
def teams(crew, other_crew):
    return Team(crew, team_objects(crew)), Team(other_crew, team_objects(other_crew))


def _answer(response, ids=()) -> tuple:
    """Status and redirect, with the ids the request named masked (a redirect back to the
    page of the id the user sent tells them nothing new)."""
    location = response.get("Location") or ""
    for pk in ids:
        location = re.sub(rf"\b{pk}\b", "<id>", location)
    return (response.status_code, location)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(teams, client, role):
    """As ``role``: every URL x every method, on the objects of the role's own team and of the
    other team."""
    alpha, beta = teams
    own, foreign = (beta, alpha) if role.startswith("o_") else (alpha, beta)
    client.force_login(getattr(own.crew, role.removeprefix("o_")))
    wrong = _matrix(client, role, own, foreign, ROUTES)
    assert not wrong, f"{role}:\n" + "\n".join(map(str, wrong))


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_of_the_api_with_a_token(teams, time_machine, role):
    """The /api/ rows again, authenticated as the API clients are: with a bearer token (no
    session, no CSRF), so the token path answers what the session path answers."""
    from rest_framework.test import APIClient

    alpha, beta = teams
    own, foreign = (beta, alpha) if role.startswith("o_") else (alpha, beta)
    client = APIClient()
    user = getattr(own.crew, role.removeprefix("o_"))
    raw = api_token_for(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    # Authenticating records the token's last use, at most once a minute: the one write a
    # token request makes by design. Made here, with the clock stopped, so the matrix's
    # requests write nothing at all and its no-write rule holds unchanged.
    time_machine.move_to(timezone.now(), tick=False)
    assert client.get("/api/tasks/").status_code == (200 if user.does_sales_work else 403)
    api = {r: e for r, e in ROUTES.items() if r.startswith("/api/") and r != "/api/docs/"}
    wrong = _matrix(client, role, own, foreign, api)
    assert not wrong, f"{role} (token):\n" + "\n".join(map(str, wrong))


def _matrix(client, role, own, foreign, routes) -> list:
    missing = dict.fromkeys(OUT_OF_SCOPE, 2_000_000_000)
    wrong = []
    for route, entry in routes.items():
        if entry.public:
            continue
        names_object = any(f":{p}>" in route for p in OUT_OF_SCOPE)
        for scope, team in (("own", own), ("foreign", foreign)):
            if scope == "foreign" and (not names_object or role == "admin"):
                continue  # the admin sees every team's objects: nothing is out of scope
            path = path_for(route, team.objects)
            for method in METHODS:
                allowed = method in entry.methods
                refused_role = role == "privacy" and route not in PRIVACY_OFFICER_ROUTES
                if scope == "own" and allowed and not refused_role:
                    continue  # what each role may do in scope: tests/test_permissions_matrix.py
                if route == "/logout/" and allowed:
                    continue
                written = rows_written()
                response = getattr(client, method)(path)
                problem = None
                if rows_written() != written:
                    problem = "changed the database"
                elif response.status_code >= 500:
                    problem = "server error"
                elif refused_role and route.startswith("/api/"):
                    if response.status_code != 403:  # refused before the method is looked at
                        problem = "expected 403: the role does not use the API"
                elif not allowed:
                    if response.status_code != 405 and not entry.lenient:
                        problem = "expected 405"
                elif refused_role and (method == "get" or not names_object):
                    if response.status_code not in (403, 404):
                        problem = "expected 403 or 404: the role may not use this route"
                elif method == "get":
                    if response.status_code != 404:
                        problem = "expected 404"
                elif response.status_code != 404:
                    # A write refused before the scope is looked at (a role that may not use
                    # the page at all, a form that is not valid) must answer exactly as for
                    # an object that does not exist: nothing about the object is revealed.
                    ghost = getattr(client, method)(path_for(route, {**team.objects, **missing}))
                    ids = [v for k, v in team.objects.items() if k in OUT_OF_SCOPE]
                    if response.status_code < 300 or _answer(response, ids) != _answer(
                        ghost, missing.values()
                    ):
                        problem = f"differs from a missing object's {_answer(ghost)}"
                if problem:
                    wrong.append((scope, method.upper(), path, _answer(response), problem))
    return wrong
