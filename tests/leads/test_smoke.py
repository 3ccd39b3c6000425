from leads.models import EventKind, LeadState
from tests.fixtures import walk


def test_walk_to_accepted_records_every_transition(crew):
    lead = crew.lead()
    lead = walk(lead, "accepted", ae=crew.ae)
    assert lead.state == LeadState.ACCEPTED
    transitions = list(
        lead.events.filter(kind=EventKind.TRANSITION)
        .order_by("id")
        .values_list("from_state", "to_state")
    )
    assert transitions == [
        ("new", "researching"),
        ("researching", "contacting"),
        ("contacting", "engaged"),
        ("engaged", "qualified"),
        ("qualified", "handed_off"),
        ("handed_off", "accepted"),
    ]
