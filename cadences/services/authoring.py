"""Cadence templates and snippets: written by managers, SDRs and BDRs of a team."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Team, User
from leads.services import (
    LeadForbidden,
)
from sdrcrm import clock
from sdrcrm.errors import NotFound
from sdrcrm.i18n import supported

from .. import schedule, templating
from ..errors import CadenceForbidden, CadenceInvalid
from ..models import (
    EMAIL_CHANNELS,
    Cadence,
    CadenceStep,
    Channel,
    OffsetFrom,
    Snippet,
)
from ..selectors import cadence_can_change, cadence_scope
from ..standard import SNIPPETS, STANDARD


@dataclass
class StepData:
    channel: str
    day_offset: int = 0
    offset_from: str = OffsetFrom.PREVIOUS
    subject_template: str = ""
    body_template: str = ""
    instructions: str = ""
    is_breakup: bool = False
    breakup_wait_days: int = 5
    reply_in_thread: bool = False  # sent as a reply to the enrollment's previous email
    id: int | None = None  # an existing step being edited


@dataclass
class CadenceData:
    name: str
    description: str = ""
    window_start: object = None
    window_end: object = None
    window_days: str = "01234"
    steps: list[StepData] = field(default_factory=list)
    # The exit rule "someone else at the company replied" (None: off for a new cadence,
    # unchanged by an edit).
    stop_on_colleague_reply: bool | None = None
    # The language of its emails (settings.LANGUAGES); "": the team's for a new cadence,
    # unchanged by an edit.
    language: str = ""


def content_language(team, language: str = "") -> str:
    """The language new content is written in: ``language`` if supported, else the team's,
    else English (``team`` may be None)."""
    return supported(language) or supported(getattr(team, "language", "")) or "en"


def _require_cadence_editor(actor: User) -> None:
    if not (actor.is_manager or actor.is_prospector or actor.is_admin_role):
        raise LeadForbidden(_("Only managers, SDRs and BDRs edit cadences."))
    if actor.team_id is None:
        raise LeadForbidden(_("You need to belong to a team to edit cadences."))


def _require_can_change(actor: User, cadence: Cadence) -> None:
    if not cadence_can_change(actor, cadence):
        raise CadenceForbidden(
            _(
                "Team cadences are edited by managers only. Copy it to your cadences to make "
                "your own version."
            )
        )


def cadence_validate_steps(steps: list[StepData]) -> list[tuple[int, str, str]]:
    """Problems as (step index, field, message); empty when the steps are fine."""
    problems = []
    if not steps:
        problems.append((-1, "", "A cadence needs at least one step."))
    for i, step in enumerate(steps):
        if step.channel not in Channel.values:
            problems.append((i, "channel", _("Choose a channel.")))
            continue
        if step.channel in EMAIL_CHANNELS:
            if not step.subject_template.strip():
                problems.append((i, "subject_template", _("An email step needs a subject.")))
            if not step.body_template.strip():
                problems.append((i, "body_template", _("An email step needs a body.")))
            for name in ("subject_template", "body_template"):
                for problem in templating.validate(getattr(step, name)):
                    problems.append((i, name, problem))
            if "unsubscribe_url" in templating.fields_used(step.subject_template):
                problems.append(
                    (i, "subject_template", _("The unsubscribe link belongs in the body."))
                )
        elif not step.instructions.strip():
            problems.append((i, "instructions", _("Say what the SDR should do in this step.")))
        if step.is_breakup:
            if step.channel not in EMAIL_CHANNELS:
                problems.append((i, "is_breakup", _("The break-up step must be an email.")))
            if i != len(steps) - 1:
                problems.append((i, "is_breakup", _("The break-up step must be the last step.")))
        if step.reply_in_thread and step.channel != Channel.AUTO_EMAIL:
            problems.append(
                (i, "reply_in_thread", _("Only an automatic email can reply in the same thread."))
            )
        if step.day_offset > 60:
            problems.append((i, "day_offset", _("At most 60 business days between steps.")))
    return problems


def _check(data: CadenceData) -> None:
    if not data.name.strip():
        raise CadenceInvalid(_("Give the cadence a name."), field="name")
    if data.window_start and data.window_end and data.window_start >= data.window_end:
        raise CadenceInvalid(_("The send window must end after it starts."), field="window_end")
    if not data.window_days or any(d not in "0123456" for d in data.window_days):
        raise CadenceInvalid(_("Choose at least one sending day."), field="window_days")
    problems = cadence_validate_steps(data.steps)
    if problems:
        index, _field, message = problems[0]
        if index >= 0:
            message = _("Step %(n)s: %(problem)s") % {"n": index + 1, "problem": message}
        raise CadenceInvalid(message, field="steps")


def _write_steps(cadence: Cadence, steps: list[StepData]) -> None:
    existing = {s.pk: s for s in cadence.steps.all()}
    keep = {s.id for s in steps if s.id in existing}
    removed = [s for pk, s in existing.items() if pk not in keep]
    for step in removed:
        if step.touches.exists():
            raise CadenceInvalid(
                _(
                    "Step %(n)s has already been used by enrollments and cannot be "
                    "removed; copy the cadence to make a different sequence."
                )
                % {"n": step.position},
                field="steps",
            )
        step.delete()
    # Positions are unique: park the kept steps out of the way before renumbering.
    for step in existing.values():
        if step.pk in keep:
            step.position += 1000
            step.save(update_fields=["position"])
    for position, data in enumerate(steps, start=1):
        values = {
            "position": position,
            "channel": data.channel,
            "day_offset": data.day_offset,
            "offset_from": data.offset_from,
            "subject_template": templating.header_safe(data.subject_template),
            "body_template": data.body_template.strip(),
            "instructions": data.instructions.strip(),
            "is_breakup": data.is_breakup,
            "breakup_wait_days": data.breakup_wait_days,
            "reply_in_thread": data.reply_in_thread,
        }
        if data.id in existing:
            step = existing[data.id]
            for name, value in values.items():
                setattr(step, name, value)
            step.save()
        else:
            CadenceStep.objects.create(cadence=cadence, **values)


def _personal_owner(actor: User) -> User | None:
    """What an SDR or BDR makes is their own; what a manager or admin makes is the team's."""
    return actor if actor.is_prospector else None


def cadence_create(*, actor: User, data: CadenceData) -> Cadence:
    """A new cadence: the team's when a manager makes it, personal when an SDR or BDR does."""
    _require_cadence_editor(actor)
    _check(data)
    try:
        with transaction.atomic():
            cadence = Cadence.objects.create(
                team_id=actor.team_id,
                name=data.name.strip(),
                description=data.description.strip(),
                window_start=data.window_start or schedule.DEFAULT_WINDOW_START,
                window_end=data.window_end or schedule.DEFAULT_WINDOW_END,
                window_days=data.window_days,
                stop_on_colleague_reply=bool(data.stop_on_colleague_reply),
                language=content_language(actor.team, data.language),
                created_by=actor,
                owner=_personal_owner(actor),
            )
            _write_steps(cadence, data.steps)
    except IntegrityError as exc:
        raise CadenceInvalid(_("Your team already has a cadence with this name."), "name") from exc
    return cadence


def _lock_cadence(actor: User, cadence_id: int) -> Cadence:
    """The cadence locked, if the actor sees it (``selectors.cadence_scope``)."""
    try:
        return cadence_scope(actor).select_for_update().get(pk=cadence_id)
    except (Cadence.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such cadence") from None


def cadence_update(*, actor: User, cadence_id: int, data: CadenceData) -> Cadence:
    """Edit a cadence. Touches already scheduled keep the content they were enrolled with:
    an edit applies to enrollments made after it."""
    _require_cadence_editor(actor)
    _check(data)
    try:
        with transaction.atomic():
            cadence = _lock_cadence(actor, cadence_id)
            _require_can_change(actor, cadence)
            cadence.name = data.name.strip()
            cadence.description = data.description.strip()
            cadence.window_start = data.window_start or cadence.window_start
            cadence.window_end = data.window_end or cadence.window_end
            cadence.window_days = data.window_days
            if data.stop_on_colleague_reply is not None:
                cadence.stop_on_colleague_reply = data.stop_on_colleague_reply
            if supported(data.language):
                cadence.language = supported(data.language)
            cadence.updated_at = clock.now()
            cadence.save()
            _write_steps(cadence, data.steps)
    except IntegrityError as exc:
        raise CadenceInvalid(_("Your team already has a cadence with this name."), "name") from exc
    return cadence


def cadence_copy(*, actor: User, cadence_id: int) -> Cadence:
    """A copy of a cadence the actor sees, steps and all (``CadenceStep.CONTENT_FIELDS``):
    an SDR's or BDR's copy is their personal cadence, a manager's the team's."""
    _require_cadence_editor(actor)
    with transaction.atomic():
        source = _lock_cadence(actor, cadence_id)
        base = (_("Copy of %(name)s") % {"name": source.name})[:110]
        name, n = base, 2
        while Cadence.objects.filter(team_id=source.team_id, name=name).exists():
            name, n = f"{base} ({n})", n + 1
        copy = Cadence.objects.create(
            team_id=source.team_id,
            name=name,
            description=source.description,
            window_start=source.window_start,
            window_end=source.window_end,
            window_days=source.window_days,
            stop_on_colleague_reply=source.stop_on_colleague_reply,
            language=source.language,
            created_by=actor,
            owner=_personal_owner(actor),
        )
        CadenceStep.objects.bulk_create(
            CadenceStep(cadence=copy, position=s.position, **s.content())
            for s in source.steps.all()
        )
    return copy


def cadence_set_archived(*, actor: User, cadence_id: int, archived: bool) -> Cadence:
    """Archived cadences take no new enrollments; running ones go on."""
    _require_cadence_editor(actor)
    with transaction.atomic():
        cadence = _lock_cadence(actor, cadence_id)
        _require_can_change(actor, cadence)
        cadence.is_archived = archived
        cadence.updated_at = clock.now()
        cadence.save(update_fields=["is_archived", "updated_at"])
    return cadence


def cadence_ensure_standard(
    *, team_id: int, actor: User | None = None, language: str = ""
) -> Cadence:
    """The playbook cadence for a team in ``language``, else in the team's language, else in
    English (``standard.STANDARD``; created once per language; idempotent)."""
    team = Team.objects.only("language").get(pk=team_id)
    code = content_language(team, language)
    standard = STANDARD[code]
    with transaction.atomic():
        cadence, created = Cadence.objects.get_or_create(
            team_id=team_id,
            name=standard.name,
            defaults={"description": standard.description, "created_by": actor, "language": code},
        )
        if created:
            _write_steps(cadence, [StepData(**step) for step in standard.steps])
    return cadence


def snippets_ensure_standard(*, team_id: int) -> int:
    """The product answers (``standard.SNIPPETS``) in every language, for the demo's teams:
    the ones missing are added, none is changed. How many were added."""
    added = 0
    with transaction.atomic():
        for code, snippets in SNIPPETS.items():
            for title, body in snippets:
                _snippet, created = Snippet.objects.get_or_create(
                    team_id=team_id, language=code, title=title, defaults={"body": body}
                )
                added += created
    return added


def snippet_save(
    *, actor: User, title: str, body: str, snippet_id: int | None = None, language: str = ""
) -> Snippet:
    """Add or edit a snippet. ``language`` "": the team's for a new one, unchanged by an
    edit."""
    _require_cadence_editor(actor)
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise CadenceInvalid(_("A snippet needs a title and a text."), field="title")
    try:
        with transaction.atomic():
            if snippet_id is None:
                return Snippet.objects.create(
                    team_id=actor.team_id,
                    title=title,
                    body=body,
                    language=content_language(actor.team, language),
                    created_by=actor,
                )
            snippet = (
                Snippet.objects.select_for_update()
                .filter(team_id=actor.team_id)
                .filter(pk=snippet_id)
                .first()
            )
            if snippet is None:
                raise NotFound("No such snippet")
            snippet.title, snippet.body = title, body
            snippet.language = supported(language) or snippet.language
            snippet.save(update_fields=["title", "body", "language"])
            return snippet
    except IntegrityError as exc:
        raise CadenceInvalid(_("A snippet with this title exists."), field="title") from exc
