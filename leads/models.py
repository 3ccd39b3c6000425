"""Companies, prospects, leads and the lead timeline.

The lead lifecycle is a django-fsm-2 state machine on a protected field. Transition methods
only set the lead's own fields and have cheap, query-free permission checks; every change goes
through ``leads.services`` which locks the row, calls the transition, saves with
``update_fields`` and writes the timeline event in the same transaction.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition


class Company(models.Model):
    """An organisation as one team records it. A team is a workspace: each team has its own
    row for a company (unique by domain within the team), invisible to the other teams."""

    # Served by company_unique_team_domain (team, domain): no single-column index.
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="companies", db_index=False
    )
    name = models.CharField(max_length=200)
    domain = models.CharField(
        max_length=253, null=True, blank=True, help_text="Normalised domain, e.g. example.com"
    )
    website = models.URLField(max_length=300, blank=True)
    industry = models.CharField(max_length=120, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=15, decimal_places=0, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2 code")
    time_zone = models.CharField(max_length=64, blank=True)
    linkedin_url = models.URLField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "domain"],
                name="company_unique_team_domain",
                condition=Q(domain__isnull=False),
            )
        ]
        indexes = [models.Index(fields=["industry"], name="company_industry")]

    def __str__(self) -> str:
        return self.name


class ProspectRole(models.TextChoices):
    """The prospect's buying role: one field (the decision-maker checkbox was merged into it)."""

    UNKNOWN = "", _("Unknown")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Prospect(models.Model):
    """The person contacted, as one team records them: one row per person and team, found
    again by normalised email within the team. Another team holding the same address has its
    own row; only the suppression list and a data subject's rights (privacy app) span teams."""

    # Served by prospect_unique_team_email (team, email): no single-column index.
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="prospects", db_index=False
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="prospects"
    )
    # Why the prospect has no company (a private person, a sole trader…): a lead needs one or
    # the other (leads.fields.check_reachable). A default in the database for raw inserts.
    no_company_reason = models.CharField(max_length=200, blank=True, default="", db_default="")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=150, blank=True)
    role = models.CharField(
        max_length=20, choices=ProspectRole.choices, blank=True, verbose_name=_("buying role")
    )
    linkedin_url = models.URLField(max_length=300, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    do_not_contact = models.BooleanField(default=False)
    email_bounced_at = models.DateTimeField(
        null=True, blank=True, help_text="The address bounced: fix it before emailing again"
    )
    # Temporary delivery failures (4.x.x) of the address read from the SDR's mailbox: the
    # third counts as permanent (cadences.services.email_record_soft_bounce). A default in the
    # database too: the import's COPY and raw inserts name only the columns they fill.
    email_soft_bounces = models.PositiveSmallIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # What the lead list's search reads (leads/search.py): name, email and company name,
    # folded. Written by the database's triggers (migration leads 0002), never by Python; the
    # database default lets an INSERT that does not name it (a script's SQL) still work.
    search = models.TextField(default="", db_default="", editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "email"],
                name="prospect_unique_team_email",
                condition=Q(email__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="prospect_name"),
            # Organisation-wide by address: the suppression list (a bounce or unsubscribe
            # flags every team's row) and a data subject's export or erasure across teams.
            models.Index(fields=["email"], name="prospect_email", condition=Q(email__isnull=False)),
            # The lead list's search (leads/search.py): trigrams of the folded text.
            GinIndex(fields=["search"], opclasses=["gin_trgm_ops"], name="prospect_search"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadState(models.TextChoices):
    NEW = "new", _("New")
    RESEARCHING = "researching", _("Researching")
    CONTACTING = "contacting", _("Contacting")
    ENGAGED = "engaged", _("Engaged")
    QUALIFIED = "qualified", _("Qualified")
    HANDED_OFF = "handed_off", _("Handed off")
    ACCEPTED = "accepted", _("Accepted")
    DISQUALIFIED = "disqualified", _("Disqualified")
    NURTURE = "nurture", _("Nurture")


OPEN_STATES = (
    LeadState.NEW,
    LeadState.RESEARCHING,
    LeadState.CONTACTING,
    LeadState.ENGAGED,
    LeadState.QUALIFIED,
)
# A prospect has at most one lead in these states (a database constraint).
ACTIVE_STATES = (*OPEN_STATES, LeadState.HANDED_OFF, LeadState.NURTURE)
CLOSED_STATES = (LeadState.ACCEPTED, LeadState.DISQUALIFIED)
# States a lead can be stuck in (someone has to act): the open states and an AE's pending
# hand-off. Nurture is parked on purpose and does not stall.
STALL_STATES = [s.value for s in (*OPEN_STATES, LeadState.HANDED_OFF)]


class LeadSource(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    MARKETING_LIST = "marketing_list", _("Marketing list")
    WEB_FORM = "web_form", _("Web form")


class DisqualifyReason(models.TextChoices):
    NO_NEED = "no_need", _("No need")
    TOO_SMALL = "too_small", _("Too small")
    NO_BUDGET = "no_budget", _("No budget")
    NO_AUTHORITY = "no_authority", _("Not the decision maker and no path")
    COMPETITOR = "competitor", _("Competitor customer")
    NO_RESPONSE = "no_response", _("No response")
    WRONG_INDUSTRY = "wrong_industry", _("Excluded industry")
    BAD_DATA = "bad_data", _("Wrong or unusable contact data")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class RejectReason(models.TextChoices):
    """The rejection reasons a team starts with (an AE sending a hand-off back)."""

    NOT_QUALIFIED = "not_qualified", _("Not qualified after all")
    NO_BUDGET = "no_budget", _("No budget")
    WRONG_PERSON = "wrong_person", _("Not the right person")
    BAD_TIMING = "bad_timing", _("Bad timing")
    ALREADY_WORKED = "already_worked", _("Already in our pipeline")
    THIN_BRIEF = "thin_brief", _("The brief is missing information")
    OTHER = "other", _("Other")


class ReasonKind(models.TextChoices):
    DISQUALIFY = "disqualify", _("Disqualification (scrap)")
    REJECT = "reject", _("Rejection of a hand-off")


# Each kind's starting list: seeded for every team (migration 0004, then reasons_ensure).
DEFAULT_REASONS = {ReasonKind.DISQUALIFY: DisqualifyReason, ReasonKind.REJECT: RejectReason}
# The code whose reason needs the free text too.
OTHER_REASON = "other"


class Reason(models.Model):
    """One of a team's reasons for scrapping a lead or rejecting a hand-off, edited by the
    team's manager. Leads and timeline entries keep its ``code`` (stable when the label is
    renamed); a deactivated reason is no longer offered but still names old records."""

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=ReasonKind.choices)
    code = models.CharField(max_length=20)
    label = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True, db_default=True)
    position = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "kind", "code"], name="reason_unique_team_kind_code"
            ),
        ]

    def __str__(self) -> str:
        return self.label


# --- Transition permissions: callables (lead, user) -> bool, query-free ---------------------


def _works_lead(lead: "Lead", user) -> bool:
    """The lead's SDR/BDR owner, or a manager of its team, or an admin."""
    if user.is_admin_role:
        return True
    if user.is_manager:
        return user.team_id is not None and user.team_id == lead.team_id
    return user.is_prospector and lead.owner_id is not None and lead.owner_id == user.id


def _is_assigned_ae(lead: "Lead", user) -> bool:
    return user.is_admin_role or (user.is_ae and lead.assigned_ae_id == user.id)


class Lead(FSMModelMixin, models.Model):
    # No single-column index on team, owner or assigned_ae: the composite indexes below lead
    # with them and serve every lookup; an index less is one write less per imported lead.
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="leads", db_index=False
    )
    prospect = models.ForeignKey(Prospect, on_delete=models.PROTECT, related_name="leads")
    source = models.CharField(max_length=20, choices=LeadSource.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_leads",
        db_index=False,
        help_text="The SDR or BDR working the lead; empty means the team's unassigned pool.",
    )
    assigned_ae = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ae_leads",
        db_index=False,
    )
    state = FSMField(
        default=LeadState.NEW, choices=LeadState.choices, protected=True, max_length=20
    )
    state_changed_at = models.DateTimeField(default=timezone.now)

    # The code of one of the team's disqualification reasons (Reason, kind "disqualify"):
    # the figures count by it, so it stays when the reason is renamed or deactivated.
    disqualify_reason = models.CharField(max_length=20, blank=True)
    disqualify_note = models.TextField(blank=True)
    disqualified_at = models.DateTimeField(null=True, blank=True)
    disqualified_from = models.CharField(
        max_length=20, blank=True, help_text="The state to return to if the scrap is undone"
    )
    recycle_on = models.DateField(null=True, blank=True, help_text="Nurture: return to new on")
    qualified_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The AE's rejection: the code of one of the team's rejection reasons (Reason, kind
    # "reject") and the AE's own words for the SDR.
    rejection_code = models.CharField(max_length=20, blank=True, default="", db_default="")
    rejection_reason = models.TextField(blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    handoff_brief = models.TextField(blank=True)
    score = models.SmallIntegerField(null=True, blank=True)

    # Research checklist, visible to the AE later.
    role_known = models.BooleanField(default=False)
    decision_maker_identified = models.BooleanField(default=False)
    need_understood = models.BooleanField(default=False)
    website_checked = models.BooleanField(default=False)
    linkedin_checked = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Optimistic lock for edits: a form posts the version it was rendered from.
    version = models.PositiveIntegerField(default=1)

    CHECKLIST_FIELDS = (
        ("role_known", _("Role known")),
        ("decision_maker_identified", _("Decision maker identified")),
        ("need_understood", _("Need understood")),
        ("website_checked", _("Website checked")),
        ("linkedin_checked", _("LinkedIn checked")),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prospect"],
                name="lead_one_active_per_prospect",
                condition=Q(state__in=[s.value for s in ACTIVE_STATES]),
            ),
            models.CheckConstraint(
                condition=~Q(state=LeadState.DISQUALIFIED) | ~Q(disqualify_reason=""),
                name="lead_disqualified_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state=LeadState.NURTURE) | Q(recycle_on__isnull=False),
                name="lead_nurture_has_recycle_date",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "-created_at", "-id"], name="lead_team_created"),
            models.Index(fields=["owner", "-created_at", "-id"], name="lead_owner_created"),
            models.Index(fields=["team", "state"], name="lead_team_state"),
            models.Index(fields=["owner", "state"], name="lead_owner_state"),
            models.Index(fields=["assigned_ae", "state"], name="lead_ae_state"),
            models.Index(
                fields=["recycle_on"],
                name="lead_nurture_due",
                condition=Q(state=LeadState.NURTURE),
            ),
            # Dashboards: leads stalled in a working state, oldest first, per team or overall.
            # (state and owner included: the count per state is an index-only scan)
            models.Index(
                fields=["team", "state_changed_at"],
                name="lead_team_stalled",
                include=["state", "owner"],
                condition=Q(state__in=STALL_STATES),
            ),
            models.Index(
                fields=["state_changed_at"],
                name="lead_stalled",
                include=["state", "owner"],
                condition=Q(state__in=STALL_STATES),
            ),
            # Benchmarks (docs/performance.md): the whole list newest or oldest first (admins,
            # the deep pages) without sorting a million rows, and the open working set by age
            # with the columns its filters and capped count read (index-only).
            models.Index(fields=["-created_at", "-id"], name="lead_created"),
            # An SDR's scope (team, and owner = me or nobody) as two exact index conditions:
            # the capped count no longer intersects the team's 200,000-row bitmap.
            models.Index(fields=["owner", "team"], name="lead_owner_team"),
            models.Index(
                fields=["created_at", "id"],
                name="lead_open_created",
                include=["state", "team", "owner"],
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
            ),
            models.Index(
                fields=["owner", "state_changed_at"],
                name="lead_owner_stalled",
                include=["state", "team"],
                condition=Q(state__in=STALL_STATES),
            ),
        ]

    def __str__(self) -> str:
        return f"Lead #{self.pk}"

    @property
    def checklist(self) -> list[tuple[str, str, bool]]:
        return [(name, label, getattr(self, name)) for name, label in self.CHECKLIST_FIELDS]

    @property
    def checklist_done(self) -> int:
        return sum(1 for _, _, done in self.checklist if done)

    # --- Transitions: set own fields only; the service saves and records the event ---------

    @transition(
        field=state,
        source=LeadState.NEW,
        target=LeadState.RESEARCHING,
        permission=_works_lead,
        custom={"label": _("Start research")},
    )
    def start_research(self):
        pass

    @transition(
        field=state,
        source=[LeadState.NEW, LeadState.RESEARCHING],
        target=LeadState.CONTACTING,
        permission=_works_lead,
        custom={"label": _("Start contacting")},
    )
    def start_contacting(self):
        pass

    @transition(
        field=state,
        source=[LeadState.CONTACTING, LeadState.RESEARCHING],
        target=LeadState.ENGAGED,
        permission=_works_lead,
        custom={"label": _("Prospect engaged")},
    )
    def engage(self):
        pass

    @transition(
        field=state,
        source=[LeadState.RESEARCHING, LeadState.CONTACTING, LeadState.ENGAGED],
        target=LeadState.QUALIFIED,
        permission=_works_lead,
        custom={"label": _("Qualify")},
    )
    def qualify(self, *, at):
        self.qualified_at = at

    @transition(
        field=state,
        source=LeadState.QUALIFIED,
        target=LeadState.HANDED_OFF,
        permission=_works_lead,
        custom={"label": _("Hand off to AE"), "needs": "ae"},
    )
    def hand_off(self, *, at, ae, brief=""):
        self.assigned_ae = ae
        self.handed_off_at = at
        self.handoff_brief = brief
        self.rejection_code = ""
        self.rejection_reason = ""
        self.rejected_at = None

    @transition(
        field=state,
        source=LeadState.HANDED_OFF,
        target=LeadState.ACCEPTED,
        permission=_is_assigned_ae,
        custom={"label": _("Accept")},
    )
    def accept(self, *, at):
        self.accepted_at = at

    @transition(
        field=state,
        source=LeadState.HANDED_OFF,
        target=LeadState.ENGAGED,
        permission=_is_assigned_ae,
        custom={"label": _("Reject and return to SDR"), "needs": "reason"},
    )
    def reject(self, *, at, reason, code=""):
        self.rejection_code = code
        self.rejection_reason = reason
        self.rejected_at = at
        self.assigned_ae = None
        self.handed_off_at = None

    @transition(
        field=state,
        source=[*OPEN_STATES, LeadState.NURTURE],
        target=LeadState.DISQUALIFIED,
        permission=_works_lead,
        custom={"label": _("Disqualify"), "needs": "disqualify_reason"},
    )
    def disqualify(self, *, at, reason, note=""):
        self.disqualified_from = self.state
        self.disqualify_reason = reason
        self.disqualify_note = note
        self.disqualified_at = at
        self.recycle_on = None

    @transition(
        field=state,
        source=LeadState.DISQUALIFIED,
        target=RETURN_VALUE(*OPEN_STATES, LeadState.NURTURE),
        permission=_works_lead,
        custom={"label": _("Undo disqualification")},
    )
    def reopen(self):
        """Undo a scrap (e.g. the automatic one after a break-up email): back to where it was."""
        back_to = self.disqualified_from or LeadState.NEW
        if back_to == LeadState.NURTURE and self.recycle_on is None:
            back_to = LeadState.NEW
        self.disqualify_reason = ""
        self.disqualify_note = ""
        self.disqualified_at = None
        self.disqualified_from = ""
        return back_to

    @transition(
        field=state,
        source=list(OPEN_STATES),
        target=LeadState.NURTURE,
        permission=_works_lead,
        custom={"label": _("Nurture (not now)"), "needs": "recycle_on"},
    )
    def nurture(self, *, recycle_on):
        self.recycle_on = recycle_on

    @transition(
        field=state,
        source=LeadState.NURTURE,
        target=LeadState.NEW,
        permission=_works_lead,
        custom={"label": _("Recycle now")},
    )
    def recycle(self):
        self.recycle_on = None


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("State changed")
    NOTE = "note", _("Note")
    CALL = "call", pgettext_lazy("timeline entry", "Call")
    EMAIL = "email", _("Email")
    SCORE = "score", _("Score changed")
    ASSIGNMENT = "assignment", _("Assignment")
    EDIT = "edit", _("Edited")
    CHECKLIST = "checklist", _("Research checklist")
    CADENCE = "cadence", _("Cadence")
    TASK = "task", _("Task")
    REPLY = "reply", _("Reply")
    # What the sync of the SDR's mailbox read (inbox app): each outcome its own kind.
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Delivery failure")
    OPT_OUT = "opt_out", _("Opt-out by reply")
    SDR_EMAIL = "sdr_email", _("Email from the SDR's mailbox")


class CallOutcome(models.TextChoices):
    CONNECTED = "connected", pgettext_lazy("call outcome", "Connected")
    MEETING_BOOKED = "meeting_booked", _("Connected: meeting booked")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Left voicemail")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    NOT_INTERESTED = "not_interested", _("Not interested")


class LeadEvent(models.Model):
    """Append-only timeline entry. Only services create these; nothing edits or deletes them
    (a database trigger refuses UPDATE and DELETE)."""

    # Served by leadevent_lead_time (lead, -created_at, -id): no single-column index.
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the system (a periodic task, an import).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead", "-created_at", "-id"], name="leadevent_lead_time"),
            models.Index(fields=["kind", "created_at"], name="leadevent_kind_time"),
            # The SDR's own entries of a day (their pace on Today, cadences/pace.py); automatic
            # entries (no actor), most of the timeline, are not in it.
            models.Index(
                fields=["actor", "created_at"],
                name="leadevent_actor_time",
                condition=models.Q(actor__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on lead {self.lead_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Timeline events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline events are append-only")
