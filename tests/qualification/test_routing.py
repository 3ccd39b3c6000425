"""Smooth weighted round-robin, as a pure function."""

from qualification.routing import Candidate, pick


def run(profiles: dict[int, dict], picks: int) -> list[int]:
    """Route ``picks`` leads in a row; loads stay as given (nobody decides meanwhile)."""
    credits = {ae_id: 0 for ae_id in profiles}
    chosen = []
    for _ in range(picks):
        ae, credits = pick(
            [Candidate(ae_id=i, credit=credits[i], **p) for i, p in profiles.items()]
        )
        chosen.append(ae)
    return chosen


def test_equal_capacity_alternates():
    profiles = {1: dict(capacity=5, load=0, away=False), 2: dict(capacity=5, load=0, away=False)}

    assert run(profiles, 6) == [1, 2, 1, 2, 1, 2]


def test_capacity_weights_the_rotation_and_interleaves():
    profiles = {1: dict(capacity=2, load=0, away=False), 2: dict(capacity=1, load=0, away=False)}

    assert run(profiles, 6) == [1, 2, 1, 1, 2, 1]


def test_away_full_and_zero_capacity_aes_are_skipped():
    profiles = {
        1: dict(capacity=5, load=0, away=True),
        2: dict(capacity=3, load=3, away=False),
        3: dict(capacity=0, load=0, away=False),
        4: dict(capacity=1, load=0, away=False),
    }

    assert run(profiles, 3) == [4, 4, 4]


def test_nobody_eligible_routes_nowhere_and_changes_no_credit():
    candidates = [Candidate(1, 5, 0, True, 7), Candidate(2, 2, 2, False, -3)]

    assert pick(candidates) == (None, {1: 7, 2: -3})


def test_skipped_aes_keep_their_credit():
    chosen, credits = pick([Candidate(1, 2, 0, False, 0), Candidate(2, 4, 0, True, 5)])

    assert (chosen, credits) == (1, {1: 0, 2: 5})
