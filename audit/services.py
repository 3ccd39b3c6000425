"""Writing the audit log. Services call ``audit_record``; the admin calls it through
``AuditedAdmin``."""

from django.db import models

from .models import AuditEntry

# Models whose values are personal data of prospects: the log keeps the names of the fields
# that changed, never their values (an erasure could not remove them from this table).
VALUES_NOT_KEPT = {"leads.prospect"}


def _label(target) -> str:
    return target._meta.label_lower


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return sorted(str(getattr(v, "pk", v)) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _is_secret(name: str) -> bool:
    """A password or a secret: the log says it changed, never what it is."""
    return "password" in name or "secret" in name


def redact(label: str, changes: dict) -> dict:
    if label in VALUES_NOT_KEPT:
        return {name: "changed" for name in changes}
    return {
        name: ("changed" if _is_secret(name) else [_plain(old), _plain(new)])
        for name, (old, new) in changes.items()
    }


def audit_record(*, actor, target, action: str, changes: dict, reason: str = "") -> AuditEntry:
    """``changes``: {field: (old, new)}. ``reason``: why the change was made, as the staff
    member gave it (a privacy erasure's ticket reference), kept verbatim under the key
    ``reason``: the caller makes sure it names no prospect (the log cannot be erased). Runs in
    the caller's transaction."""
    label = _label(target)
    kept = redact(label, changes)
    if reason:
        kept["reason"] = reason
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None else "system")[:150],
        action=action,
        target_type=label,
        target_id=str(target.pk),
        changes=kept,
    )
