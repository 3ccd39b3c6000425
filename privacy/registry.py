"""Which models hold personal data of prospects, and what export and erasure do with each
field. tests/privacy/test_registry.py fails when a model or a field of a covered model is not
listed here: a new model must be declared covered (every field: erased or kept, with the path
to the prospect) or declared to hold no personal data of prospects, with the reason."""

from dataclasses import dataclass, field

ERASED_NAME = "Erased"


@dataclass(frozen=True)
class Covered:
    # Lookup from this model to the prospect, for .filter(**{path: prospect}).
    path: str
    # field -> value written by the erasure.
    erase: dict = field(default_factory=dict)
    # field -> why it is kept (not identifying, or needed to keep the records whole).
    keep: dict = field(default_factory=dict)


KEY = "key or link to another row"
STATE = "workflow state, dates and numbers: not identifying once the names are gone"
COMPANY = "facts about the company, not the person"

PERSONAL_DATA: dict[str, Covered] = {
    "leads.prospect": Covered(
        path="pk",
        erase={
            "first_name": ERASED_NAME,
            "last_name": "",
            "email": None,
            "phone": "",
            "title": "",
            "linkedin_url": "",
            "time_zone": "",
            "do_not_contact": True,
            # Free text about the person ("private person", "sole trader"…).
            "no_company_reason": "",
        },
        keep={
            "id": KEY,
            "team": KEY,
            "company": KEY,
            "role": "buying role (decision maker, champion…), not identifying",
            "email_bounced_at": STATE,
            "email_soft_bounces": STATE,
            "created_at": STATE,
            # Not kept as it was: the database's trigger makes it from the fields above
            # (leads 0002), so the erasure's values remake it ("erased" and the company).
            "search": "the search's folded copy of the name, email and company name, remade "
            "by the database from the erased fields",
        },
    ),
    "leads.lead": Covered(
        path="prospect",
        erase={"disqualify_note": "", "rejection_reason": "", "handoff_brief": ""},
        keep={
            name: STATE
            for name in (
                "id team prospect source owner assigned_ae state state_changed_at "
                "disqualify_reason rejection_code disqualified_at disqualified_from recycle_on "
                "qualified_at "
                "handed_off_at accepted_at rejected_at score role_known "
                "decision_maker_identified need_understood website_checked linkedin_checked "
                "created_at updated_at version"
            ).split()
        },
    ),
    # The append-only timeline: the erasure keeps its structure (user ids, states, codes,
    # times: the figures and the commission report are built from them) and removes the rest
    # (leads/erasure.py); its trigger allows exactly that update (leads 0001).
    "leads.leadevent": Covered(
        path="lead__prospect",
        erase={
            "body": "",
            "payload": "the non-personal keys of its kind (leads.erasure), and erased: true",
        },
        keep={
            n: STATE
            for n in ("id", "lead", "kind", "actor", "created_at", "from_state", "to_state")
        },
    ),
    "cadences.enrollment": Covered(
        path="lead__prospect",
        erase={"stop_note": "", "country": ""},
        keep={
            n: STATE
            for n in (
                "id lead cadence owner status stop_reason time_zone started_at paused_at "
                "resume_at ended_at scrap_due_at enrolled_by disqualifier_overridden"
            ).split()
        },
    ),
    "cadences.touch": Covered(
        path="lead__prospect",
        erase={"rendered_subject": "", "rendered_body": "", "note": "", "error": ""},
        keep={
            **{
                n: STATE
                for n in (
                    "id enrollment step position owner lead channel day_offset offset_from "
                    "is_breakup breakup_wait_days status due_at claimed_at lease_until attempts "
                    "idempotency_key sent_at completed_at completed_by outcome reply_in_thread "
                    "mailbox hold_reason"
                ).split()
            },
            "message_id": "the product's own Message-ID (the touch's key and the SDR's domain)",
            "subject_template": "the cadence step's template, with placeholders, not the text sent",
            "body_template": "the cadence step's template, with placeholders, not the text sent",
            "instructions": "the cadence step's instructions for the SDR",
        },
    ),
    "cadences.reminder": Covered(
        path="lead__prospect",
        erase={"note": ""},
        keep={n: STATE for n in ("id", "lead", "owner", "due_at", "done_at", "created_at")},
    ),
    "qualification.qualificationdecision": Covered(
        path="lead__prospect",
        erase={"override_reason": "", "brief": {}},
        keep={
            **{
                n: STATE
                for n in (
                    "id lead actor created_at decision model score points verdict override ae "
                    "routed disqualify_reason recycle_on"
                ).split()
            },
            "breakdown": "points per scoring factor",
        },
    ),
    "inbox.inboundmessage": Covered(
        path="lead__prospect",
        erase={"from_email": "", "subject": "", "text": "", "bounce_recipient": ""},
        keep={
            **{
                n: STATE
                for n in (
                    "id mailbox folder uidvalidity uid kind lead touch matched_by sent_at "
                    "return_on bounce_status processed_at"
                ).split()
            },
            "message_id": "the message's id, to process it once: not identifying",
            "in_reply_to": "the product's own Message-ID it answers: not identifying",
        },
    ),
    "notifications.notification": Covered(
        path="lead__prospect",
        erase={"title": "A lead whose personal data was erased", "body": ""},
        keep={
            n: STATE
            for n in ("id", "user", "lead", "kind", "event", "created_at", "read_at", "emailed_at")
        },
    ),
    "qualification.leadscore": Covered(
        path="lead__prospect",
        keep={
            **{
                n: STATE
                for n in (
                    "lead model score points disqualifier budget timeline authority need fit "
                    "lead_updated_at answers_at"
                ).split()
            },
            "employee_count": COMPANY,
            "industry": COMPANY,
        },
    ),
    "qualification.leadanswers": Covered(
        path="lead__prospect",
        keep={
            n: STATE
            for n in (
                "lead budget timeline authority need fit updated_at updated_by last_decision"
            ).split()
        },
    ),
    # The suppression row of the address: the erasure keeps only the hash (privacy.services).
    "suppression.suppression": Covered(
        path="",
        erase={"email": None},
        keep={
            "id": KEY,
            "email_hash": "kept so the person is never emailed again after a re-import",
            "domain": "domain entries are not about one person",
            "reason": STATE,
            "created_at": STATE,
        },
    ),
    # The admin's own history names the objects it changed (object_repr).
    # Inbound web-form submissions: the posted fields are the person's own words.
    "intake.inboundcapture": Covered(
        path="lead__prospect",
        erase={"fields": {"erased": True}, "referrer": ""},
        keep={n: STATE for n in ("id", "form", "lead", "captured_at", "outcome")},
    ),
    # Outgoing webhook bodies carry the lead's prospect (name, email, company).
    "api.webhookdelivery": Covered(
        path="lead_event__lead__prospect",
        erase={"payload": {"erased": True}, "last_error": ""},
        keep={
            n: STATE
            for n in (
                "id subscription lead_event lead_id event_type status attempts next_attempt_at "
                "lease_until last_attempt_at last_status_code delivered_at created_at"
            ).split()
        },
    ),
    "admin.logentry": Covered(
        path="",
        erase={"object_repr": ERASED_NAME},
        keep={
            n: STATE
            for n in (
                "id action_time user content_type object_id action_flag change_message"
            ).split()
        },
    ),
}

STAFF = "about the CRM's users (staff), not about prospects"
CONFIG = "configuration: no personal data of prospects"

NOT_PERSONAL: dict[str, str] = {
    "auth.permission": CONFIG,
    "auth.group": CONFIG,
    "contenttypes.contenttype": CONFIG,
    "sessions.session": "logged-in users' sessions: " + STAFF,
    "accounts.team": CONFIG,
    "accounts.closedday": "a team's days off: " + CONFIG,
    "accounts.user": STAFF,
    "leads.company": "an organisation, shared by its prospects in one team: " + COMPANY,
    "leads.reason": "a team's list of scrap and rejection reasons: " + CONFIG,
    "cadences.cadence": CONFIG,
    "cadences.cadencestep": "templates with placeholders: " + CONFIG,
    "cadences.snippet": "text blocks for emails: " + CONFIG,
    "cadences.sendcounter": "emails sent per SDR and day: " + STAFF,
    "cadences.digestlog": STAFF,
    "mailboxes.mailbox": "an SDR's own mailbox and its settings: " + STAFF,
    "mailboxes.mailboxsendcounter": "emails sent per mailbox and hour: " + STAFF,
    "mailboxes.oauthclient": CONFIG,
    "inbox.foldercursor": "how far a mailbox folder was read: " + CONFIG,
    "inbox.synclease": "which sync process holds a mailbox: " + CONFIG,
    "qualification.scoringmodel": CONFIG,
    "qualification.aeprofile": STAFF,
    "qualification.escalation": "lead id, AE and dates only",
    "qualification.outcomemodel": "counts per team: " + CONFIG,
    "axes.accessattempt": "failed logins: " + STAFF,
    "axes.accessattemptexpiration": STAFF,
    "axes.accessfailurelog": STAFF,
    "axes.accesslog": STAFF,
    "security.totpdevice": STAFF,
    "intake.importjob": "a list file's name, header names, options and counts: " + CONFIG,
    "intake.importchunk": (
        "the uploaded list file, kept only while its import waits or runs: deleted when the "
        "import ends, and after SDRCRM_IMPORT_ABANDONED_DAYS for an upload never started"
    ),
    "intake.importissue": (
        "the importer's report of rows not imported (never linked to a prospect; a rejected "
        "row is not in the CRM): deleted with its job after SDRCRM_IMPORT_REPORT_DAYS"
    ),
    "intake.webform": CONFIG,
    "intake.inboundrotation": "the next SDR for inbound leads: " + STAFF,
    "api.apitoken": STAFF,
    "api.inboundsecret": CONFIG,
    "api.processedevent": "provider event ids and kinds, to process each once: no address",
    "api.webhooksubscription": CONFIG,
    "api.outboxcursor": CONFIG,
    "dashboards.fact": "ids, days and durations for the dashboards: " + STATE,
    "dashboards.daycount": "counts per team, SDR and day: " + STAFF,
    "dashboards.rollupcursor": CONFIG,
    "dashboards.workedday": "ids and days a lead was touched, for the dashboards: " + STATE,
    "dashboards.workedcount": "counts per team, SDR and day: " + STAFF,
    "coaching.feedback": "a manager's feedback to an SDR on their work: " + STAFF,
    "audit.auditentry": "keeps field names only for prospects, never values (audit.services)",
}
