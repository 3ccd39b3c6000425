import base64
import json
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from leads.models import Lead
from leads.selectors import (
    LeadFilters,
    lead_available_transitions,
    lead_get_for_user,
    lead_list,
    lead_paginate,
    lead_scope,
)
from sdrcrm.errors import NotFound
from tests.factories import CompanyFactory, LeadFactory, ProspectFactory, UserFactory
from tests.fixtures import walk

pytestmark = pytest.mark.django_db


def ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


# --- Scope ----------------------------------------------------------------------------------


@pytest.fixture
def world(crew, other_crew):
    """One lead of every kind of visibility, by name."""
    return {
        "sdr": crew.lead(owner="sdr"),
        "sdr2": crew.lead(owner="sdr2"),
        "bdr": crew.lead(owner="bdr"),
        "pool": crew.lead(owner=None),
        "handed_to_ae": walk(crew.lead(owner="sdr"), "handed_off", ae=crew.ae),
        "other_sdr": other_crew.lead(owner="sdr"),
        "other_pool": other_crew.lead(owner=None),
    }


SCOPES = {
    "sdr": {"sdr", "pool", "handed_to_ae"},
    "sdr2": {"sdr2", "pool"},
    "bdr": {"bdr", "pool"},
    "manager": {"sdr", "sdr2", "bdr", "pool", "handed_to_ae"},
    "ae": {"handed_to_ae"},
    "ae2": set(),
    "marketing": set(),
    "admin": {"sdr", "sdr2", "bdr", "pool", "handed_to_ae", "other_sdr", "other_pool"},
    "other.sdr": {"other_sdr", "other_pool"},
    "other.manager": {"other_sdr", "other_pool"},
    "other.ae": set(),
}


@pytest.mark.parametrize(("who", "expected"), SCOPES.items())
def test_scope_per_role(crew, other_crew, world, who, expected):
    user = getattr(other_crew, who[6:]) if who.startswith("other.") else getattr(crew, who)
    assert ids(lead_scope(user)) == {world[name].pk for name in expected}


def test_a_deactivated_user_sees_nothing(crew, world):
    crew.manager.is_active = False
    crew.manager.save(update_fields=["is_active"])
    assert ids(lead_scope(crew.manager)) == set()


def test_a_user_without_a_team_sees_nothing(crew, world):
    loner = UserFactory(role=Role.MANAGER, team=None)
    assert ids(lead_scope(loner)) == set()


def test_an_anonymous_user_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert ids(lead_scope(AnonymousUser())) == set()


def test_lead_get_for_user_is_404_outside_the_scope(crew, world):
    assert lead_get_for_user(user=crew.sdr, lead_id=world["pool"].pk).pk == world["pool"].pk
    for lead_id in (world["sdr2"].pk, world["other_pool"].pk, 10**9, "abc", None):
        with pytest.raises(NotFound):
            lead_get_for_user(user=crew.sdr, lead_id=lead_id)


def test_available_transitions_follow_state_and_role(crew):
    lead = crew.lead()
    assert [t["name"] for t in lead_available_transitions(lead=lead, user=crew.sdr)] == [
        "start_research",
        "start_contacting",
        "nurture",
        "disqualify",
    ]
    assert lead_available_transitions(lead=lead, user=crew.sdr2) == []
    lead = walk(lead, "handed_off", ae=crew.ae)
    assert lead_available_transitions(lead=lead, user=crew.ae) == [
        {"name": "accept", "label": "Accept", "needs": "", "target": "accepted"},
        {
            "name": "reject",
            "label": "Reject and return to SDR",
            "needs": "reason",
            "target": "engaged",
        },
    ]
    assert lead_available_transitions(lead=lead, user=crew.manager) == []


# --- Filters --------------------------------------------------------------------------------


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def listed(crew, other_crew):
    acme = CompanyFactory(name="Acme Robotics", industry="Manufacturing")
    globex = CompanyFactory(name="Globex", industry="Software")

    def make(key, first, last, email, company, owner, source, score, created):
        prospect = ProspectFactory(first_name=first, last_name=last, email=email, company=company)
        return key, crew.lead(
            owner=owner, prospect=prospect, source=source, score=score, created_at=created
        )

    leads = dict(
        [
            make("ann", "Ann", "Smith", "ann@acme.example", acme, "sdr", "inbound", 80, at(1)),
            make("bob", "Bob", "Jones", "bob@globex.example", globex, "sdr", "outbound", 40, at(2)),
            make("cid", "Cid", "Acmeson", "cid@x.example", None, None, "web_form", None, at(3)),
            make("dee", "Dee", "Brown", "dee@globex.example", globex, "sdr2", "inbound", 95, at(4)),
            make(
                "eve", "Eve", "White", "EVE@acme.example", acme, None, "marketing_list", 10, at(5)
            ),
        ]
    )
    walk(leads["bob"], "researching")
    # Not in the manager's scope: must never show up whatever the filter (the other team has
    # its own row for the same company).
    other_acme = CompanyFactory(
        team=other_crew.team, name="Acme Robotics", domain=acme.domain, industry="Manufacturing"
    )
    other_crew.lead(
        owner="sdr",
        prospect=ProspectFactory(first_name="Ann", email="ann2@acme.example", company=other_acme),
        created_at=at(1),
    )
    return leads


def names(user, listed, **filters) -> set[str]:
    by_pk = {lead.pk: key for key, lead in listed.items()}
    return {
        by_pk[pk]
        for pk in lead_list(user=user, filters=LeadFilters(**filters)).values_list("pk", flat=True)
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"ann", "bob", "cid", "dee", "eve"}),
        ({"q": "acme"}, {"ann", "cid", "eve"}),  # company name, last name, email
        ({"q": "  ANN "}, {"ann"}),
        ({"q": "jones"}, {"bob"}),
        ({"q": "globex.example"}, {"bob", "dee"}),
        ({"q": "nobody"}, set()),
        ({"states": ["researching"]}, {"bob"}),
        ({"states": ["new", "researching"]}, {"ann", "bob", "cid", "dee", "eve"}),
        ({"states": ["qualified"]}, set()),
        ({"source": "inbound"}, {"ann", "dee"}),
        ({"owner": "unassigned"}, {"cid", "eve"}),
        ({"owner": "me"}, set()),  # the manager owns nothing
        ({"industry": "software"}, {"bob", "dee"}),
        ({"industry": "Manufacturing"}, {"ann", "eve"}),
        ({"score_min": 40}, {"ann", "bob", "dee"}),
        ({"score_max": 40}, {"bob", "eve"}),
        ({"score_min": 41, "score_max": 94}, {"ann"}),
        ({"created_from": date(2025, 3, 2)}, {"bob", "cid", "dee", "eve"}),
        ({"created_to": date(2025, 3, 2)}, {"ann", "bob"}),
        ({"created_from": date(2025, 3, 3), "created_to": date(2025, 3, 3)}, {"cid"}),
        ({"q": "acme", "owner": "unassigned", "source": "web_form"}, {"cid"}),
    ],
)
def test_lead_list_filters(crew, listed, filters, expected):
    assert names(crew.manager, listed, **filters) == expected


def test_owner_filters_by_user(crew, listed):
    assert names(crew.manager, listed, owner=str(crew.sdr.pk)) == {"ann", "bob"}
    assert names(crew.manager, listed, owner=str(crew.sdr2.pk)) == {"dee"}
    assert names(crew.sdr, listed, owner="me") == {"ann", "bob"}
    # An SDR filtering for a colleague still sees only their scope.
    assert names(crew.sdr, listed, owner=str(crew.sdr2.pk)) == set()
    assert names(crew.sdr, listed) == {"ann", "bob", "cid", "eve"}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-created", ["eve", "dee", "cid", "bob", "ann"]),
        ("created", ["ann", "bob", "cid", "dee", "eve"]),
        ("-score", ["dee", "ann", "bob", "eve", "cid"]),
        ("score", ["cid", "eve", "bob", "ann", "dee"]),
        ("-updated", ["bob", "eve", "dee", "cid", "ann"]),
        ("bogus", ["eve", "dee", "cid", "bob", "ann"]),  # unknown sort: the default
    ],
)
def test_sorting(crew, listed, sort, expected):
    # Recently changed: bob last, then eve, dee, cid, ann (an hour apart).
    base = at(10)
    for i, key in enumerate(["ann", "cid", "dee", "eve"]):
        Lead.objects.filter(pk=listed[key].pk).update(updated_at=base + timedelta(hours=i))
    Lead.objects.filter(pk=listed["bob"].pk).update(updated_at=base + timedelta(days=1))
    qs = lead_list(user=crew.manager, filters=LeadFilters(sort=sort))
    page = lead_paginate(qs, sort=sort, size=50)
    by_pk = {lead.pk: key for key, lead in listed.items()}
    assert [by_pk[lead.pk] for lead in page.items] == expected


# --- Keyset pagination ----------------------------------------------------------------------


@pytest.fixture
def many(crew):
    """23 leads with ties in every sort key, so the id tiebreak matters."""
    leads = []
    for i in range(23):
        leads.append(
            crew.lead(
                owner=None,
                created_at=at(1 + i // 4),  # groups of 4 created at the same instant
                score=None if i % 5 == 0 else (i * 7) % 4 * 25,  # 0, 25, 50, 75 and None
            )
        )
        Lead.objects.filter(pk=leads[-1].pk).update(updated_at=at(20 + i % 3))
    return Lead.objects.filter(pk__in=[x.pk for x in leads])


def expected_order(qs, sort):
    rows = list(qs.values("pk", "created_at", "updated_at", "score"))
    key = {
        "-created": lambda r: (r["created_at"], r["pk"]),
        "created": lambda r: (r["created_at"], r["pk"]),
        "-updated": lambda r: (r["updated_at"], r["pk"]),
        "-score": lambda r: (-1 if r["score"] is None else r["score"], r["pk"]),
        "score": lambda r: (-1 if r["score"] is None else r["score"], r["pk"]),
    }[sort]
    return [r["pk"] for r in sorted(rows, key=key, reverse=sort.startswith("-"))]


@pytest.mark.parametrize("sort", ["-created", "created", "-updated", "-score", "score"])
@pytest.mark.parametrize("size", [1, 5, 23])
def test_walking_every_page_forward_and_back(crew, many, sort, size):
    qs = lead_list(user=crew.manager, filters=LeadFilters(sort=sort))
    expected = expected_order(many, sort)
    assert len(expected) == 23

    pages = []
    page = lead_paginate(qs, sort=sort, size=size)
    assert page.prev_cursor is None
    while True:
        pages.append([lead.pk for lead in page.items])
        assert (page.count, page.count_capped) == (23, False)
        if page.next_cursor is None:
            break
        page = lead_paginate(qs, sort=sort, cursor=page.next_cursor, size=size)
        assert page.prev_cursor is not None
    assert [pk for p in pages for pk in p] == expected
    assert [len(p) for p in pages] == [size] * (23 // size) + ([23 % size] if 23 % size else [])

    # Back from the last page, every page comes out the same as on the way forward.
    back = [pages[-1]]
    while page.prev_cursor is not None:
        page = lead_paginate(qs, sort=sort, cursor=page.prev_cursor, size=size)
        back.append([lead.pk for lead in page.items])
        assert page.next_cursor is not None
    assert list(reversed(back)) == pages


def _cursor(direction, values):
    raw = json.dumps([direction, values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "Zm9v",  # "foo"
        "%%%",
        _cursor("sideways", ["2025-03-01T12:00:00+01:00", 5]),
        _cursor("after", ["2025-03-01T12:00:00+01:00"]),
        _cursor("after", ["2025-03-01T12:00:00+01:00", 5, 6]),
        _cursor("after", ["not a date", 5]),
        _cursor("after", [12345, 5]),
        _cursor("after", [None, 5]),
        _cursor("after", ["2025-03-01T12:00:00+01:00", "5"]),
        _cursor("after", ["2025-03-01T12:00:00+01:00", 5.5]),
        _cursor("before", {"a": 1}),
        base64.urlsafe_b64encode(b'"just a string"').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_forged_cursor_falls_back_to_the_first_page(crew, many, cursor):
    qs = lead_list(user=crew.manager, filters=LeadFilters())
    first = lead_paginate(qs, sort="-created", size=5)
    page = lead_paginate(qs, sort="-created", cursor=cursor, size=5)
    assert [x.pk for x in page.items] == [x.pk for x in first.items]
    assert (page.prev_cursor, page.next_cursor) == (None, first.next_cursor)


def test_a_cursor_of_another_sort_falls_back_to_the_first_page(crew, many):
    qs = lead_list(user=crew.manager, filters=LeadFilters(sort="-score"))
    created_cursor = lead_paginate(
        lead_list(user=crew.manager, filters=LeadFilters()), sort="-created", size=5
    ).next_cursor
    first = lead_paginate(qs, sort="-score", size=5)
    page = lead_paginate(qs, sort="-score", cursor=created_cursor, size=5)
    assert [x.pk for x in page.items] == [x.pk for x in first.items]


def test_a_cursor_cannot_reach_outside_the_scope(crew, other_crew, many):
    theirs = other_crew.lead(created_at=at(2))
    qs = lead_list(user=crew.manager, filters=LeadFilters(sort="created"))
    cursor = _cursor("after", ["2000-01-01T00:00:00+00:00", 0])
    page = lead_paginate(qs, sort="created", cursor=cursor, size=50)
    assert theirs.pk not in [x.pk for x in page.items]
    assert len(page.items) == 23


def test_the_count_is_capped(crew, many, settings):
    settings.SDRCRM_LIST_COUNT_CAP = 5
    qs = lead_list(user=crew.manager, filters=LeadFilters())
    page = lead_paginate(qs, sort="-created", size=10)
    assert (page.count, page.count_capped, len(page.items)) == (5, True, 10)

    settings.SDRCRM_LIST_COUNT_CAP = 23
    page = lead_paginate(qs, sort="-created", size=10)
    assert (page.count, page.count_capped) == (23, False)

    settings.SDRCRM_LIST_COUNT_CAP = 22
    page = lead_paginate(qs, sort="-created", size=10)
    assert (page.count, page.count_capped) == (22, True)


def test_an_sdrs_count_adds_mine_and_the_pool_exactly_and_capped(crew, other_crew, settings):
    """lead_count_parts: an SDR's count is "mine" plus "the pool", counted apart; a colleague's
    leads and another team's pool are in neither part."""
    from leads.selectors import lead_count_parts

    for owner, n in (("sdr", 4), (None, 3), ("sdr2", 5)):
        for _ in range(n):
            crew.lead(owner=owner)
    other_crew.lead(owner=None)
    qs = lead_list(user=crew.sdr, filters=LeadFilters())
    parts = lead_count_parts(user=crew.sdr, filters=LeadFilters())
    assert [p.count() for p in parts] == [4, 3]
    page = lead_paginate(qs, sort="-created", size=2, count_parts=parts)
    assert (page.count, page.count_capped, len(page.items)) == (7, False, 2)
    counts = lambda user, **f: [p.count() for p in lead_count_parts(  # noqa: E731
        user=user, filters=LeadFilters(**f))]  # fmt: skip
    assert counts(crew.manager) == [12]
    # The filters apply to each part; a user no longer active counts nothing.
    assert counts(crew.sdr, states=["new"], owner="unassigned") == [0, 3]
    crew.sdr.is_active = False
    assert counts(crew.sdr) == [0]

    settings.SDRCRM_LIST_COUNT_CAP = 6  # each part is capped at 7; the sum, 7, is over 6
    page = lead_paginate(qs, sort="-created", size=2, count_parts=parts)
    assert (page.count, page.count_capped) == (6, True)
    settings.SDRCRM_LIST_COUNT_CAP = 3  # 4 + 3 = 7 counted, shown as "more than 3"
    page = lead_paginate(qs, sort="-created", size=2, count_parts=parts)
    assert (page.count, page.count_capped) == (3, True)


def test_the_page_size_defaults_to_the_setting(crew, many, settings):
    settings.SDRCRM_LEAD_PAGE_SIZE = 7
    qs = lead_list(user=crew.manager, filters=LeadFilters())
    assert len(lead_paginate(qs, sort="-created").items) == 7


def test_an_empty_list_has_one_empty_page(crew):
    LeadFactory(team=crew.team, owner=crew.sdr)
    qs = lead_list(user=crew.manager, filters=LeadFilters(q="nobody"))
    page = lead_paginate(qs, sort="-created", size=5)
    assert (page.items, page.next_cursor, page.prev_cursor, page.count, page.count_capped) == (
        [],
        None,
        None,
        0,
        False,
    )
