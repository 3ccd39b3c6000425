"""Every model of the project is either covered by export and erasure (each of its fields
erased or kept, with a reason) or declared to hold no personal data of prospects. A new
model, or a new field on a covered model, fails here until privacy/registry.py says what
happens to it."""

from django.apps import apps

from privacy.registry import NOT_PERSONAL, PERSONAL_DATA


def test_every_model_is_declared():
    labels = {m._meta.label_lower for m in apps.get_models()}
    undeclared = labels - set(PERSONAL_DATA) - set(NOT_PERSONAL)
    assert undeclared == set(), "declare these in privacy/registry.py"
    assert set(PERSONAL_DATA) & set(NOT_PERSONAL) == set()
    assert (set(PERSONAL_DATA) | set(NOT_PERSONAL)) - labels == set(), "stale entries"


def test_every_field_of_a_covered_model_is_erased_or_kept_with_a_reason():
    for label, covered in PERSONAL_DATA.items():
        fields = {f.name for f in apps.get_model(label)._meta.concrete_fields}
        assert set(covered.erase) & set(covered.keep) == set(), label
        assert set(covered.erase) | set(covered.keep) == fields, label
        assert all(reason.strip() for reason in covered.keep.values()), label


def test_every_not_personal_model_gives_a_reason():
    assert all(reason.strip() for reason in NOT_PERSONAL.values())
