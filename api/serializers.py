"""Input validation and output shapes. Inputs reject unknown fields; outputs are plain."""

import zoneinfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cadences.models import Cadence, CadenceStep, Enrollment
from leads import fields as lead_fields
from leads.models import (
    Company,
    DisqualifyReason,
    Lead,
    LeadEvent,
    LeadSource,
    LeadState,
    Prospect,
    ProspectRole,
)
from leads.selectors import SORTS
from qualification.models import Decision
from qualification.scoring import Authority, Fit, Need, Timeline
from sdrcrm.inputs import validate_date_range

# --- Input ------------------------------------------------------------------------------------


class StrictInput(serializers.Serializer):
    """Refuses fields it does not know, naming them (a typo must not be silently ignored)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


def _time_zone(value: str) -> str:
    if value and value not in zoneinfo.available_timezones():
        raise serializers.ValidationError(_("Unknown time zone; use a name like Europe/Oslo."))
    return value


class LeadInput(StrictInput):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    title = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(
        choices=ProspectRole.choices, required=False, allow_blank=True,
        help_text="The buying role (decision_maker for the person who decides)",
    )  # fmt: skip
    linkedin_url = serializers.CharField(
        max_length=300, required=False, allow_blank=True,
        help_text="An http(s) address on linkedin.com; a bare one gets https://",
    )  # fmt: skip
    time_zone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="An IANA name: Europe/Oslo"
    )
    do_not_contact = serializers.BooleanField(required=False)
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company_website = serializers.CharField(
        max_length=300, required=False, allow_blank=True,
        help_text="http(s) only; a bare domain (example.com) is stored as https://example.com",
    )  # fmt: skip
    company_industry = serializers.CharField(max_length=120, required=False, allow_blank=True)
    company_employee_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=lead_fields.EMPLOYEES_MAX
    )
    company_annual_revenue = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=lead_fields.REVENUE_MAX
    )
    company_country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2: NO"
    )
    company_time_zone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="An IANA name: Europe/Oslo"
    )
    company_linkedin_url = serializers.CharField(
        max_length=300, required=False, allow_blank=True,
        help_text="An http(s) address on linkedin.com; a bare one gets https://",
    )  # fmt: skip
    no_company_reason = serializers.CharField(
        max_length=lead_fields.NO_COMPANY_REASON_MAX, required=False, allow_blank=True,
        help_text="Why the person has no company (required when no company is given)",
    )  # fmt: skip
    source = serializers.ChoiceField(choices=LeadSource.choices, required=False)
    owner_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)


def _gated(name: str):
    """``validate_<name>``: the field's gate in leads.fields, the same one every path runs."""

    def validate(self, value):
        return lead_fields.clean_lead_field(name, value)

    return validate


for _name in list(LeadInput._declared_fields):
    if _name in lead_fields.LEAD_FIELDS:
        setattr(LeadInput, f"validate_{_name}", _gated(_name))


class LeadUpdateInput(LeadInput):
    """A partial update: send only what changes, with the ``version`` you read."""

    first_name = serializers.CharField(max_length=100, required=False)
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="The lead's version as you read it; a newer one answers 409.",
    )
    owner_id = None


class TransitionInput(StrictInput):
    expected_state = serializers.ChoiceField(
        choices=LeadState.choices,
        required=False,
        help_text="The state you saw; if the lead has moved since, 409 and nothing changes.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000,
        help_text="disqualify: the code of one of the team's disqualification reasons "
        f"(the defaults: {', '.join(DisqualifyReason.values)}); reject: the AE's words",
    )  # fmt: skip
    reason_code = serializers.CharField(
        required=False, allow_blank=True, max_length=20,
        help_text="reject: the code of one of the team's rejection reasons (without one, "
        "the words count as 'other')",
    )  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    recycle_on = serializers.DateField(
        required=False, help_text="nurture: a future date", validators=[validate_date_range]
    )
    ae_id = serializers.IntegerField(required=False, min_value=1, help_text="hand_off: the AE")
    brief = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class BriefInput(StrictInput):
    need = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    budget = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    timeline = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    decision_maker = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class QualificationInput(StrictInput):
    """Answers alone save them and rescore; with ``decision`` the lead is qualified and
    handed off, disqualified or nurtured (the qualification services' rules apply)."""

    budget = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10**12
    )
    timeline = serializers.ChoiceField(choices=Timeline.choices, required=False, allow_blank=True)
    authority = serializers.ChoiceField(choices=Authority.choices, required=False, allow_blank=True)
    need = serializers.ChoiceField(choices=Need.choices, required=False, allow_blank=True)
    fit = serializers.ChoiceField(choices=Fit.choices, required=False, allow_blank=True)
    decision = serializers.ChoiceField(
        choices=[Decision.QUALIFY, Decision.DISQUALIFY, Decision.NURTURE], required=False
    )
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    brief = BriefInput(required=False)
    ae_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Empty: routed round-robin"
    )
    disqualify_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=20,
        help_text="The code of one of the team's disqualification reasons",
    )  # fmt: skip
    disqualify_note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    recycle_on = serializers.DateField(
        required=False, allow_null=True, validators=[validate_date_range]
    )
    expected_state = serializers.ChoiceField(choices=LeadState.choices, required=False)


class InRangeDateTimeField(serializers.DateTimeField):
    """A date and time within sdrcrm.inputs' years, checked before it is moved to another zone
    (which overflows near year 1 and year 9999)."""

    def enforce_timezone(self, value):
        try:
            validate_date_range(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="date_range") from exc
        return super().enforce_timezone(value)


class WallClockDateTimeField(InRangeDateTimeField):
    """A date and time as given: with its offset if it has one, else naive (a wall-clock time
    that the serializer reads in a zone given beside it)."""

    def enforce_timezone(self, value):
        super().enforce_timezone(value)  # the range
        return value


class EnrollmentInput(StrictInput):
    lead_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    cadence_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    start_at = InRangeDateTimeField(required=False, allow_null=True)
    # Enroll although another SDR is working leads at the lead's company (else a 409 with
    # ``"code": "company_worked"``).
    confirm = serializers.BooleanField(required=False, default=False)


class QueryInput(serializers.Serializer):
    """Query parameters read as the schema documents them: an empty value is a value (DRF reads
    ``?created_from=`` of an HTML form as absent, which the schema's ``format: date`` is not)."""

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            data = {
                name: data.getlist(name)
                if isinstance(field, serializers.MultipleChoiceField | serializers.ListField)
                else data[name]
                for name, field in self.fields.items()
                if name in data
            }
        return super().to_internal_value(data)


class LeadFilterQuery(QueryInput):
    """The lead list's filters (the same as the page's)."""

    q = serializers.CharField(required=False, max_length=200, allow_blank=True)
    state = serializers.MultipleChoiceField(choices=LeadState.choices, required=False)
    source = serializers.ChoiceField(choices=LeadSource.choices, required=False, allow_blank=True)
    owner = serializers.RegexField(
        r"^(me|unassigned|[0-9]{1,18})$", required=False, allow_blank=True,
        help_text="'me', 'unassigned' or a user id",
    )  # fmt: skip
    industry = serializers.CharField(required=False, max_length=120, allow_blank=True)
    score_min = serializers.IntegerField(required=False, min_value=0, max_value=100)
    score_max = serializers.IntegerField(required=False, min_value=0, max_value=100)
    created_from = serializers.DateField(required=False, validators=[validate_date_range])
    created_to = serializers.DateField(required=False, validators=[validate_date_range])
    sort = serializers.ChoiceField(choices=list(SORTS), required=False)
    cursor = serializers.CharField(required=False, max_length=500)


class PreviewQuery(QueryInput):
    start = WallClockDateTimeField(
        help_text="ISO 8601, e.g. 2026-12-01T09:00:00+01:00; without an offset, a wall-clock "
        "time in `timezone` (as on the cadence page)",
    )
    timezone = serializers.CharField(max_length=64, validators=[_time_zone])
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True)

    def validate(self, attrs):
        start = attrs["start"]
        if start.tzinfo is None:
            attrs["start"] = start.replace(tzinfo=zoneinfo.ZoneInfo(attrs["timezone"]))
        return attrs


# --- Output -----------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 300,
        "pattern": "^(https?://\\S+)?$",
        "description": "An http(s) address, or empty",
    }
)
class WebAddressOut(serializers.CharField):
    """A stored address as a link may use it: http(s) only, else '' (the input gate and the
    data migration make that the only case; this is the second lock)."""

    def to_representation(self, value):
        return lead_fields.http_url(value)


class CompanyOut(serializers.ModelSerializer):
    website = WebAddressOut()
    linkedin_url = WebAddressOut()

    class Meta:
        model = Company
        fields = [
            "id", "name", "domain", "website", "industry", "employee_count", "annual_revenue",
            "country", "time_zone", "linkedin_url", "created_at",
        ]  # fmt: skip


class ProspectOut(serializers.ModelSerializer):
    company = CompanyOut(allow_null=True)
    linkedin_url = WebAddressOut()

    class Meta:
        model = Prospect
        fields = [
            "id", "first_name", "last_name", "email", "phone", "title", "role",
            "linkedin_url", "time_zone", "do_not_contact", "email_bounced_at", "company",
            "no_company_reason", "created_at",
        ]  # fmt: skip


class LeadOut(serializers.ModelSerializer):
    prospect = ProspectOut()
    team_id = serializers.IntegerField()
    owner_id = serializers.IntegerField(allow_null=True)
    assigned_ae_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id", "team_id", "state", "source", "owner_id", "assigned_ae_id", "score",
            "version", "state_changed_at", "created_at", "updated_at", "qualified_at",
            "handed_off_at", "accepted_at", "disqualify_reason", "disqualify_note",
            "recycle_on", "rejection_code", "rejection_reason", "handoff_brief", "prospect",
        ]  # fmt: skip


class LeadEventOut(serializers.ModelSerializer):
    actor_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = LeadEvent
        fields = [
            "id",
            "kind",
            "actor_id",
            "created_at",
            "from_state",
            "to_state",
            "body",
            "payload",
        ]


class CadenceStepOut(serializers.ModelSerializer):
    class Meta:
        model = CadenceStep
        fields = [
            "position", "day_offset", "offset_from", "channel", "subject_template",
            "body_template", "instructions", "is_breakup", "breakup_wait_days",
        ]  # fmt: skip


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^[0-2][0-9]:[0-5][0-9]$",
        "example": "08:00",
        "description": "A wall-clock time (the recipient's zone), HH:MM",
    }
)
class WallClockTimeField(serializers.TimeField):
    """OpenAPI's ``format: time`` requires an offset; a send window has none."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class CadenceOut(serializers.ModelSerializer):
    steps = CadenceStepOut(many=True)
    team_id = serializers.IntegerField()
    owner_id = serializers.IntegerField(
        allow_null=True,
        help_text="The SDR or BDR whose personal cadence this is; null for a team cadence.",
    )
    window_start = WallClockTimeField()
    window_end = WallClockTimeField()

    class Meta:
        model = Cadence
        fields = [
            "id", "team_id", "owner_id", "name", "description", "language", "window_start",
            "window_end", "window_days", "stop_on_colleague_reply", "is_archived", "created_at",
            "updated_at", "steps",
        ]  # fmt: skip


class PreviewRowOut(serializers.Serializer):
    position = serializers.IntegerField()
    day = serializers.IntegerField(help_text="Calendar day of the cadence, 1 = the first")
    channel = serializers.CharField()
    due = serializers.DateTimeField()


class EnrollmentOut(serializers.ModelSerializer):
    lead_id = serializers.IntegerField()
    cadence_id = serializers.IntegerField()
    owner_id = serializers.IntegerField()

    class Meta:
        model = Enrollment
        fields = [
            "id", "lead_id", "cadence_id", "owner_id", "status", "stop_reason", "stop_note",
            "time_zone", "country", "started_at", "paused_at", "ended_at",
        ]  # fmt: skip


class TaskOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["touch", "held", "reminder"])
    id = serializers.IntegerField()
    lead_id = serializers.IntegerField()
    lead_name = serializers.CharField()
    company = serializers.CharField()
    due_at = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    label = serializers.CharField()


class TasksOut(serializers.Serializer):
    overdue_count = serializers.IntegerField()
    done_today = serializers.IntegerField()
    target = serializers.IntegerField()
    upcoming = serializers.IntegerField()
    results = TaskOut(many=True)


class FactorOut(serializers.Serializer):
    factor = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()
    points = serializers.IntegerField()
    explanation = serializers.CharField()


class DisqualifierOut(serializers.Serializer):
    code = serializers.CharField()
    explanation = serializers.CharField()


class QualificationOut(serializers.Serializer):
    lead_id = serializers.IntegerField()
    state = serializers.CharField()
    score = serializers.IntegerField()
    points = serializers.IntegerField()
    threshold = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=["qualified", "below_threshold", "disqualified"])
    model_version = serializers.IntegerField()
    factors = FactorOut(many=True)
    disqualifiers = DisqualifierOut(many=True)
    answers = serializers.DictField(allow_null=True)


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField()


class LeadOutOfScopeOut(serializers.Serializer):
    """A transition made, after which the actor no longer sees the lead."""

    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=LeadState.choices)
    version = serializers.IntegerField()
    detail = serializers.CharField()


class ConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    state = serializers.ChoiceField(choices=LeadState.choices)
    version = serializers.IntegerField()


class CompanyWorkerOut(serializers.Serializer):
    owner_id = serializers.IntegerField()
    owner = serializers.CharField()
    leads = serializers.IntegerField()


class EnrollmentConflictOut(ConflictOut):
    """A 409 of an enrollment: a conflict with the lead's state, or (``code``
    ``company_worked``) another SDR working leads at the lead's company, in ``workers``; send
    the request again with ``confirm: true`` to enroll anyway."""

    code = serializers.CharField(required=False)
    workers = CompanyWorkerOut(many=True, required=False)
