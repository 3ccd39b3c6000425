"""The team's scoring model: saving a new version, rescoring after it, the periodic sweep."""

from __future__ import annotations

from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from accounts.models import Team, User
from leads.services import LeadConflict, LeadForbidden, LeadInvalid
from sdrcrm.tasks import enqueue_on_commit

from .. import rescore
from ..models import ScoringModel
from ..rescore import RescoreResult, rescore_team
from ..scoring import DEFAULT_CONFIG, ScoringConfig
from ..selectors import scoring_model_current
from .common import _may_manage_team


def _ensure_model(team_id: int) -> ScoringModel:
    """The team's current model; the first write of a team without one saves the default
    as version 1 (and scores its leads after commit)."""
    model = scoring_model_current(team_id)
    if model is not None:
        return model
    Team.objects.select_for_update().get(pk=team_id)
    model = scoring_model_current(team_id)
    if model is None:
        model = ScoringModel.objects.create(
            team_id=team_id, version=1, config=DEFAULT_CONFIG, note=_("The default model")
        )
        _after_model_change(model)
    return model


def _after_model_change(model: ScoringModel) -> None:
    enqueue_on_commit("qualification.scoring_model_rescore_task", model.pk)
    enqueue_on_commit("qualification.outcome_model_rebuild_task", model.team_id)


def scoring_model_save(
    *,
    actor: User,
    team_id: int,
    config: dict,
    based_on_version: int | None,
    note: str = "",
) -> tuple[ScoringModel, bool]:
    """Save a new version of the team's model. Returns (the current version, whether a new
    one was created: saving an unchanged model creates nothing). ``based_on_version`` is the
    version the editor was opened on: if someone saved meanwhile, nothing is saved."""
    if not _may_manage_team(actor, team_id):
        raise LeadForbidden(_("Only a manager of the team changes its qualification model."))
    try:
        cfg = ScoringConfig.from_dict(config)
    except ValueError as exc:
        raise LeadInvalid(str(exc)) from exc
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team_id)
        current = scoring_model_current(team_id)
        current_version = current.version if current else 0
        if based_on_version is not None and based_on_version != current_version:
            who = current.created_by if current and current.created_by else _("someone else")
            when = timezone.localtime(current.created_at) if current else None
            words = {"who": who, "version": current_version}
            if when:
                words["time"] = time_format(when, "H:i")
                text = _(
                    "%(who)s saved version %(version)s of the model at %(time)s after you "
                    "opened it. Nothing was saved: reload the page and make your change again."
                )
            else:
                text = _(
                    "%(who)s saved version %(version)s of the model after you opened it. "
                    "Nothing was saved: reload the page and make your change again."
                )
            raise LeadConflict(text % words)
        if current is not None and current.scoring == cfg:
            return current, False
        model = ScoringModel.objects.create(
            team_id=team_id,
            version=current_version + 1,
            config=cfg.to_dict(),
            created_by=actor,
            note=note.strip()[:200],
        )
        _after_model_change(model)
    return model, True


def scoring_model_rescore(
    *, model_id: int, batch_size: int = 100_000, workers: int | None = None
) -> RescoreResult:
    """Rescore the open leads of the model's team under this version. Idempotent; stops when
    a newer version appears (its own rescore takes over)."""
    model = ScoringModel.objects.get(pk=model_id)
    ScoringModel.objects.filter(pk=model_id).update(
        rescore_started_at=timezone.now(), rescore_finished_at=None, rescored_leads=0
    )

    def progress(result: RescoreResult) -> None:
        ScoringModel.objects.filter(pk=model_id).update(rescored_leads=result.scanned)

    result = rescore_team(model, batch_size=batch_size, workers=workers, on_batch=progress)
    if not result.superseded:
        ScoringModel.objects.filter(pk=model_id).update(
            rescore_finished_at=timezone.now(), rescored_leads=result.scanned
        )
    return result


def lead_scores_sweep(*, full: bool = False) -> int:
    """Score the open leads without a current score: new leads, leads changed since their
    inputs were read (an edited company, a lead back from nurture), leads still on an older
    model version. ``full`` reads every open lead afresh (nightly: catches a company edited
    through another of its leads). Periodic. Returns how many leads were scored."""
    latest = ScoringModel.objects.filter(
        version=ScoringModel.objects.filter(team_id=OuterRef("team_id"))
        .order_by("-version")
        .values("version")[:1]
    ).order_by("team_id")
    scored = 0
    for model in latest:
        scored += rescore_team(model, mode=rescore.FULL if full else rescore.SWEEP).scanned
    return scored
