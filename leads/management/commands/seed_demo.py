"""Demo data: one team with every role, and leads in every state with real timelines.

Idempotent: users are created or reset to the demo password; leads are created only once
(a lead's prospect email is the key), so running it again adds nothing.
"""

import random
from datetime import timedelta

from django.apps import apps
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Team, User
from accounts.services import team_closed_days_default
from leads.models import CallOutcome, DisqualifyReason, LeadSource, Prospect
from leads.services import (
    LeadData,
    TransitionParams,
    lead_add_note,
    lead_create,
    lead_log_call,
    lead_set_checklist_item,
    lead_transition,
)

DEMO_PASSWORD = "sdrcrm-demo"
# The demo team works in bokmål; this user chose English in the user menu (README).
DEMO_ENGLISH_USER = "maria"

USERS = [
    # username, first, last, role, title
    ("maria", "Maria", "Berg", Role.MANAGER, "Sales manager"),
    ("sara", "Sara", "Lund", Role.SDR, "Sales development representative"),
    ("sindre", "Sindre", "Dahl", Role.SDR, "Sales development representative"),
    ("bjorn", "Bjørn", "Moe", Role.BDR, "Business development representative"),
    ("anders", "Anders", "Holm", Role.AE, "Account executive"),
    ("ingrid", "Ingrid", "Strand", Role.AE, "Account executive"),
    ("mia", "Mia", "Eide", Role.MARKETING, "Marketing coordinator"),
]

COMPANIES = [
    ("Fjordkraft Analytics", "fjordkraft-analytics.no", "Software", 140, "NO"),
    ("Nordvik Logistikk", "nordvik-logistikk.no", "Logistics", 420, "NO"),
    ("Bergen Bryggeri", "bergenbryggeri.no", "Food & beverage", 55, "NO"),
    ("Solheim Eiendom", "solheim-eiendom.no", "Real estate", 32, "NO"),
    ("Aurora Helse", "aurorahelse.no", "Healthcare", 760, "NO"),
    ("Trondheim Robotics", "trondheimrobotics.com", "Manufacturing", 210, "NO"),
    ("Lofoten Reiser", "lofotenreiser.no", "Travel", 18, "NO"),
    ("Stavanger Energi Tech", "stavangerenergitech.no", "Energy", 1300, "NO"),
    ("Oslo Fintech Lab", "oslofintechlab.no", "Financial services", 95, "NO"),
    ("Nordic Retail Group", "nordicretailgroup.se", "Retail", 2400, "SE"),
    ("Kaffebrenneriet Sør", "kaffesor.no", "Food & beverage", 12, "NO"),
    ("Polar Byggservice", "polarbygg.no", "Construction", 180, "NO"),
    ("Tromsø Marine Data", "tromsomarine.no", "Software", 44, "NO"),
    ("Viken Regnskap", "vikenregnskap.no", "Accounting", 26, "NO"),
    ("Hansen Enkeltmannsforetak", None, "Consulting", 0, "NO"),
    ("Skagerak Shipping", "skageraksshipping.no", "Logistics", 610, "NO"),
    ("Midgard Media", "midgardmedia.dk", "Media", 75, "DK"),
    ("Fjellsikker Forsikring", "fjellsikker.no", "Insurance", 330, "NO"),
    ("Helgeland Havbruk", "helgelandhavbruk.no", "Aquaculture", 150, "NO"),
    ("Vestland IT-drift", "vestland-it.no", "IT services", 88, "NO"),
]
FIRST = [
    "Kari",
    "Ola",
    "Nora",
    "Emil",
    "Ingrid",
    "Lars",
    "Sofie",
    "Jonas",
    "Ida",
    "Magnus",
    "Thea",
    "Henrik",
    "Maja",
    "Sander",
    "Ella",
    "Kristian",
    "Selma",
    "Tobias",
    "Frida",
    "Even",
]
LAST = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
]
TITLES = [
    "CEO",
    "Head of Sales",
    "COO",
    "IT Manager",
    "CFO",
    "Sales Director",
    "Founder",
    "Head of Operations",
    "Marketing Manager",
    "CTO",
]

# The sole proprietor (no domain) is one person's company; the other companies have several
# contacts, matched by domain.
SOLE_PROPRIETOR = next(i for i, c in enumerate(COMPANIES) if c[1] is None)
# Where the sole proprietor's turn sends the others: Vestland IT-drift, whose working leads
# are all Sindre's, as are those two people's (the next company, Skagerak Shipping, had Sara
# and Sindre contacting it at once by accident).
SOLE_PROPRIETOR_ELSE = 19
# Two SDRs at one company, on purpose and once: Sara's new lead at Fjordkraft Analytics
# (person 0), where Bjørn works two leads (people 20 and 120); enrolling it asks first
# (docs/design.md, "Two SDRs at one company"). The round robin of companies would also have
# put Sindre's and Bjørn's new leads (people 1 and 2) beside another SDR's working lead: they
# go to companies only their own SDR works.
SHOWCASE_COMPANY = "Fjordkraft Analytics"
COMPANY_OF = {1: 2, 2: 6}


def demo_person(i: int) -> dict:
    """The demo's i-th person: a distinct name for the demo's people (seed_demo's 0–39, the
    stories' 100–120), no two of them at one company with the same first or last name (the
    first name moves on by two and the last name by one each time the first names come round
    again), and an address made from it, so the demo has no two people alike by accident."""
    first = FIRST[(i + 2 * (i // len(FIRST))) % len(FIRST)]
    last = LAST[(7 * i + i // len(FIRST)) % len(LAST)]
    company = COMPANIES[COMPANY_OF.get(i, i % len(COMPANIES))]
    if company[1] is None and i != SOLE_PROPRIETOR:
        company = COMPANIES[SOLE_PROPRIETOR_ELSE]
    domain = company[1] or "gmail.com"
    email = f"{first}.{last}@{domain}".lower().replace("ø", "o").replace("å", "a")
    return {"first": first, "last": last, "email": email, "company": company}


def demo_lead_data(i: int, *, owner, source: str, rng: random.Random) -> LeadData:
    person = demo_person(i)
    first, last, company = person["first"], person["last"], person["company"]
    return LeadData(
        first_name=first,
        last_name=last,
        email=person["email"],
        phone=f"+47 9{rng.randint(1000000, 9999999)}",
        title=TITLES[i % len(TITLES)],
        role="decision_maker" if i % 3 == 0 else ("champion" if i % 3 == 1 else "influencer"),
        linkedin_url=f"https://www.linkedin.com/in/{first}-{last}-{i}".lower(),
        company_name=company[0],
        company_website=f"https://{company[1]}" if company[1] else "",
        company_industry=company[2],
        company_employee_count=company[3],
        company_country=company[4],
        company_time_zone="Europe/Oslo",
        source=source,
        owner_id=owner.pk if owner else None,
    )


# The state each demo lead is walked to, through the real services.
PATHS = {
    "new": [],
    "researching": ["start_research"],
    "contacting": ["start_research", "start_contacting"],
    "engaged": ["start_research", "start_contacting", "engage"],
    "qualified": ["start_research", "start_contacting", "engage", "qualify"],
    "handed_off": ["start_research", "start_contacting", "engage", "qualify", "hand_off"],
    "accepted": ["start_research", "start_contacting", "engage", "qualify", "hand_off", "accept"],
    "disqualified": ["start_research", "disqualify"],
    "nurture": ["start_research", "start_contacting", "nurture"],
}
PLAN = (
    ["new"] * 8
    + ["researching"] * 6
    + ["contacting"] * 6
    + ["engaged"] * 4
    + ["qualified"] * 3
    + ["handed_off"] * 3
    + ["accepted"] * 3
    + ["disqualified"] * 4
    + ["nurture"] * 3
)


class Command(BaseCommand):
    help = "Create the demo team, users and leads (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        with transaction.atomic():
            team, _ = Team.objects.get_or_create(name="Nordlys Sales")
            team_closed_days_default(team=team)  # 24 and 31 December (adds nothing twice)
            # The demo sends through the site-wide backend (make run writes emails to files
            # under var/mail/), not through mailboxes its SDRs do not have.
            # The team works in bokmål (docs/i18n.md): its members' pages and what its
            # prospects read. One of them, maria, chose English (DEMO_ENGLISH_USER).
            if (team.email_via, team.language) != ("site", "nb"):
                team.email_via, team.language = "site", "nb"
                team.save(update_fields=["email_via", "language"])
            users = self._users(team)
            created = self._leads(users)
        self._seed_other_apps()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new leads)."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for username, first, last, role, _title in USERS:
            self.stdout.write(f"  {username:<8} {Role(role).label:<18} {first} {last}")
        self.stdout.write(f"  {'admin':<8} {'Administrator':<18} (Django admin at /admin/)")
        self.stdout.write(f"  {'petra':<8} {'Privacy officer':<18} (data subjects at /privacy/)")

    def _seed_other_apps(self) -> None:
        """Apps that build on leads seed their own demo data with a ``seed_demo_<app>``
        command; leads does not import them."""
        commands = get_commands()
        for app in apps.get_app_configs():
            name = f"seed_demo_{app.label}"
            if name in commands:
                call_command(name, stdout=self.stdout)

    def _users(self, team: Team) -> dict[str, User]:
        users = {}
        for username, first, last, role, title in USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name, user.role, user.title = first, last, role, title
            user.team = team
            user.language = "en" if username == DEMO_ENGLISH_USER else ""  # "": the team's
            user.email = f"{username}@nordlys.example"
            user.set_password(DEMO_PASSWORD)
            user.save()
            users[username] = user
        admin, _ = User.objects.get_or_create(username="admin")
        admin.role, admin.is_staff, admin.is_superuser = Role.ADMIN, True, True
        admin.email = "admin@nordlys.example"
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        # The privacy officer: every team's data subjects, and nothing of the sales work.
        petra, _ = User.objects.get_or_create(username="petra")
        petra.first_name, petra.last_name, petra.title = "Petra", "Vik", "Privacy officer"
        petra.role, petra.team = Role.PRIVACY, None
        petra.email = "petra@nordlys.example"
        petra.set_password(DEMO_PASSWORD)
        petra.save()
        return users

    def _leads(self, users: dict[str, User]) -> int:
        rng = random.Random(2026)
        owners = [users["sara"], users["sindre"], users["bjorn"], None]
        aes = [users["anders"], users["ingrid"]]
        created = 0
        for i, target in enumerate(PLAN):
            person = demo_person(i)
            company = person["company"]
            if Prospect.objects.filter(
                team_id=users["maria"].team_id, email=person["email"]
            ).exists():
                rng.randint(1000000, 9999999)  # the same phone numbers whatever was there
                continue
            owner = owners[i % len(owners)] if target == "new" else owners[i % 3]
            lead, _ = lead_create(
                actor=owner or users["maria"],
                data=demo_lead_data(
                    i,
                    owner=owner,
                    source=[
                        LeadSource.INBOUND,
                        LeadSource.OUTBOUND,
                        LeadSource.MARKETING_LIST,
                        LeadSource.WEB_FORM,
                    ][i % 4],
                    rng=rng,
                ),
            )
            created += 1
            if owner is None:
                continue
            for step in PATHS[target]:
                params = TransitionParams()
                step_actor = owner
                if step == "disqualify":
                    params.reason = (
                        DisqualifyReason.TOO_SMALL if company[3] < 5 else DisqualifyReason.NO_NEED
                    )
                if step == "nurture":
                    params.recycle_on = timezone.localdate() + timedelta(days=30 + i)
                if step == "hand_off":
                    params.ae_id = aes[i % 2].pk
                    params.brief = (
                        f"{company[0]} needs a CRM for {company[3]} people; "
                        "budget agreed, decision this quarter."
                    )
                if step == "accept":
                    step_actor = aes[i % 2]
                if step == "start_research":
                    lead_set_checklist_item(
                        actor=owner, lead_id=lead.pk, item="website_checked", done=True
                    )
                    lead_add_note(
                        actor=owner,
                        lead_id=lead.pk,
                        body=(
                            f"{company[0]} ({company[2]}, about {company[3]} employees). "
                            f"{TITLES[i % len(TITLES)]} is our contact."
                        ),
                    )
                if step == "engage":
                    lead_log_call(
                        actor=owner,
                        lead_id=lead.pk,
                        outcome=CallOutcome.CONNECTED,
                        notes="Interested; asked for pricing and a demo.",
                    )
                if step == "start_contacting" and i % 2:
                    lead_log_call(
                        actor=owner,
                        lead_id=lead.pk,
                        outcome=CallOutcome.VOICEMAIL,
                        notes="Left a voicemail, will follow up by email.",
                    )
                lead_transition(actor=step_actor, lead_id=lead.pk, name=step, params=params)
        return created
