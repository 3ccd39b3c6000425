"""The lead list page: scope, search, filters, sorting, keyset pagination through the links
in the HTML, bulk assignment, and a query count that does not grow with the rows."""

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from leads.models import EventKind, Lead, LeadEvent, LeadSource
from tests.factories import CompanyFactory, ProspectFactory
from tests.fixtures import walk
from tests.html import parse
from tests.leads.helpers import lead_snapshot

OSLO = ZoneInfo("Europe/Oslo")


def _ids(response) -> list[int]:
    """Lead ids in the rows of the list, in order, read from the HTML."""
    assert response.status_code == 200
    rows = response.content.decode().split("<tbody>", 1)
    if len(rows) == 1:
        return []
    body = rows[1].split("</tbody>", 1)[0]
    return [int(i) for i in re.findall(r'<td><a href="/leads/(\d+)/">', body)]


def _link(response, rel: str) -> str | None:
    match = re.search(rf'href="(\?[^"]*)" rel="{rel}"', response.content.decode())
    return "/leads/" + html.unescape(match.group(1)) if match else None


def _lead(crew, *, first="Pat", last="Prospect", email=None, company="Acme", industry="Software",
          owner="sdr", **kwargs) -> Lead:  # fmt: skip
    comp = CompanyFactory(name=company, industry=industry) if company else None
    prospect = ProspectFactory(
        first_name=first, last_name=last, company=comp,
        **({"email": email} if email else {}),
    )  # fmt: skip
    return crew.lead(owner=owner, prospect=prospect, **kwargs)


def _at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=OSLO)


# --- Scope ------------------------------------------------------------------------------------


def test_each_role_lists_exactly_its_scope(crew, other_crew, client):
    own = _lead(crew, owner="sdr", created_at=_at(1))
    pool = _lead(crew, owner=None, created_at=_at(2))
    mate = _lead(crew, owner="sdr2", created_at=_at(3))
    handed = walk(_lead(crew, owner="sdr", created_at=_at(4)), "handed_off", ae=crew.ae)
    other = _lead(other_crew, owner="sdr", created_at=_at(5))

    expected = {
        crew.sdr: [handed.pk, pool.pk, own.pk],
        crew.sdr2: [mate.pk, pool.pk],
        crew.bdr: [pool.pk],
        crew.ae: [handed.pk],
        crew.ae2: [],
        crew.manager: [handed.pk, mate.pk, pool.pk, own.pk],
        crew.admin: [other.pk, handed.pk, mate.pk, pool.pk, own.pk],
        other_crew.manager: [other.pk],
    }
    for user, ids in expected.items():
        client.force_login(user)
        assert _ids(client.get("/leads/")) == ids, user.username


def test_ae_with_no_leads_sees_the_ae_empty_state(crew, client):
    client.force_login(crew.ae)
    response = client.get("/leads/")
    assert _ids(response) == []
    assert "Leads that SDRs hand off to you will appear here." in response.content.decode()


# --- Query counts: bounded whatever the number of rows ------------------------------------------


def _many(crew, n: int):
    owners = ["sdr", "sdr2", "bdr", None]
    for i in range(n):
        _lead(crew, owner=owners[i % 4], company=f"Co {i}" if i % 5 else None, score=i % 90)


# session, user (with their team), team prospectors (owner filter and bulk bar), capped count,
# the page of rows with prospect, company, owner and AE joined
@pytest.mark.parametrize("n", [3, 40])
def test_manager_list_query_count_does_not_grow_with_rows(
    crew, client, django_assert_num_queries, n
):
    _many(crew, n)
    client.force_login(crew.manager)
    # + the cadences of the "Enroll selected" control
    with django_assert_num_queries(6):
        response = client.get("/leads/")
    assert len(_ids(response)) == n


# session, user (with their team), capped count (mine, the pool), the page of rows
@pytest.mark.parametrize("n", [3, 40])
def test_sdr_list_query_count_does_not_grow_with_rows(crew, client, django_assert_num_queries, n):
    for i in range(n):
        _lead(crew, owner="sdr" if i % 2 else None, company=f"Co {i}" if i % 3 else None)
    client.force_login(crew.sdr)
    # + the cadences of the "Enroll selected" control; the count is two ("mine", "the pool")
    with django_assert_num_queries(6):
        response = client.get("/leads/")
    assert len(_ids(response)) == n


@pytest.mark.parametrize("n", [1, 12])
def test_ae_list_query_count_does_not_grow_with_rows(crew, client, django_assert_num_queries, n):
    for i in range(n):
        walk(_lead(crew, owner="sdr" if i % 2 else "bdr"), "handed_off", ae=crew.ae)
    client.force_login(crew.ae)
    with django_assert_num_queries(4):
        response = client.get("/leads/")
    assert len(_ids(response)) == n


# --- Search and filters ---------------------------------------------------------------------


@pytest.fixture
def catalogue(crew):
    """Five leads of Alpha with distinct names, companies, sources, scores and dates."""
    return {
        "kari": _lead(crew, first="Kari", last="Nordmann", email="kari@fjord.example",
                      company="Fjordkraft", industry="Energy", owner="sdr",
                      source=LeadSource.INBOUND, score=80, created_at=_at(1)),
        "ola": _lead(crew, first="Ola", last="Hansen", email="ola@brygge.example",
                     company="Bergen Bryggeri", industry="Food", owner="sdr2",
                     source=LeadSource.OUTBOUND, score=20, created_at=_at(2)),
        "nora": _lead(crew, first="Nora", last="Fjordheim", email="nora@solheim.example",
                      company="Solheim", industry="energy", owner=None,
                      source=LeadSource.WEB_FORM, score=None, created_at=_at(3)),
        "emil": _lead(crew, first="Emil", last="Berg", email="emil@x.example",
                      company=None, owner="bdr", source=LeadSource.INBOUND, score=55,
                      created_at=_at(4)),
        "ida": _lead(crew, first="Ida", last="Lie", email="ida@aurora.example",
                     company="Aurora Helse", industry="Healthcare", owner="sdr",
                     source=LeadSource.MARKETING_LIST, score=100, created_at=_at(5, 0, 30)),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=fjord", ["nora", "kari"]),  # company name Fjordkraft, last name Fjordheim
        ("q=KARI", ["kari"]),  # first name, any case
        ("q=hansen", ["ola"]),  # last name
        ("q=brygge.example", ["ola"]),  # email
        ("q=aurora+helse", ["ida"]),  # company name with a space
        ("q=nobody", []),
        ("state=new", ["ida", "emil", "nora"]),
        ("state=researching", ["ola"]),
        ("state=researching&state=disqualified", ["ola", "kari"]),
        ("source=inbound", ["emil", "kari"]),
        ("owner=me", []),  # the manager owns no lead
        ("owner={sdr}", ["ida", "kari"]),
        ("owner=unassigned", ["nora"]),
        ("owner={bdr}", ["emil"]),
        ("industry=ENERGY", ["nora", "kari"]),  # exact, any case
        ("score_min=50", ["ida", "emil", "kari"]),
        ("score_min=20&score_max=55", ["emil", "ola"]),
        ("created_from=2025-03-02&created_to=2025-03-04", ["emil", "nora", "ola"]),
        # Days are Oslo days: 00:30 on the 5th in Oslo is the 4th in UTC.
        ("created_from=2025-03-05", ["ida"]),
        ("created_to=2025-03-04", ["emil", "nora", "ola", "kari"]),
        ("q=fjord&source=web_form", ["nora"]),
        ("sort=created", ["kari", "ola", "nora", "emil", "ida"]),
        ("sort=-score", ["ida", "kari", "emil", "ola", "nora"]),  # no score sorts last
        ("sort=score", ["nora", "ola", "emil", "kari", "ida"]),
        ("sort=-updated", ["kari", "ola", "ida", "emil", "nora"]),  # walked last first
    ],
)
def test_search_filter_and_sort(crew, catalogue, client, query, expected):
    walk(catalogue["ola"], "researching")
    walk(catalogue["kari"], "disqualified")
    client.force_login(crew.manager)

    response = client.get("/leads/?" + query.format(bdr=crew.bdr.pk, sdr=crew.sdr.pk))

    assert _ids(response) == [catalogue[name].pk for name in expected]


def test_filters_only_narrow_the_scope_never_widen_it(crew, catalogue, client):
    client.force_login(crew.sdr)
    mine = [catalogue["ida"].pk, catalogue["nora"].pk, catalogue["kari"].pk]
    assert _ids(client.get("/leads/")) == mine
    assert _ids(client.get("/leads/?q=ola")) == []
    assert _ids(client.get("/leads/?source=outbound")) == []
    # An SDR is offered no team-mate in the owner filter: naming one is an error, not a peek.
    response = client.get(f"/leads/?owner={crew.sdr2.pk}")
    assert list(response.context["form"].errors) == ["owner"]
    assert _ids(response) == mine


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ("score_min=abc", "score_min"),
        ("score_max=101", "score_max"),
        ("state=bogus", "state"),
        ("source=carrier-pigeon", "source"),
        ("created_from=yesterday", "created_from"),
        ("created_to=2025-02-30", "created_to"),
        ("sort=random", "sort"),
        ("owner=99999999999999999999", "owner"),
    ],
)
def test_invalid_filter_value_shows_an_error_and_the_other_filters_still_apply(
    crew, catalogue, client, bad, field
):
    client.force_login(crew.manager)

    response = client.get("/leads/?q=fjord&industry=energy&" + bad)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    message = response.context["form"].errors[field][0]
    assert '<p class="field-error"' in response.content.decode()
    assert html.escape(message) in response.content.decode()
    assert _ids(response) == [catalogue["nora"].pk, catalogue["kari"].pk]


def test_too_long_search_shows_an_error_and_the_other_filters_still_apply(crew, catalogue, client):
    client.force_login(crew.manager)

    response = client.get("/leads/?source=web_form&q=" + "x" * 201)

    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters (it has 201)." in (
        response.content.decode()
    )
    assert _ids(response) == [catalogue["nora"].pk]


def test_htmx_request_for_the_rows_returns_only_the_rows(crew, catalogue, client):
    client.force_login(crew.manager)

    response = client.get("/leads/?q=kari", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lead-rows")

    content = response.content.decode()
    assert _ids(response) == [catalogue["kari"].pk]
    assert "<html" not in content
    assert 'id="bulk-form"' not in content
    assert content.lstrip().startswith('<p class="muted count">1 lead</p>')


# --- Keyset pagination through the links ------------------------------------------------------


@pytest.fixture
def seven(crew, settings):
    """Seven leads, page size 3; two pairs share a creation time so the id breaks the tie."""
    settings.SDRCRM_LEAD_PAGE_SIZE = 3
    times = [_at(1), _at(2), _at(2), _at(3), _at(4), _at(4), _at(5)]
    return [_lead(crew, first=f"P{i}", created_at=t, score=[10, 50, 50, 50, 5, None, 90][i])
            for i, t in enumerate(times)]  # fmt: skip


def test_next_and_previous_links_walk_every_lead_once_in_order(crew, seven, client):
    client.force_login(crew.manager)
    newest_first = [lead.pk for lead in reversed(seven)]

    first = client.get("/leads/")
    assert _ids(first) == newest_first[0:3]
    assert _link(first, "prev") is None
    second = client.get(_link(first, "next"))
    assert _ids(second) == newest_first[3:6]
    third = client.get(_link(second, "next"))
    assert _ids(third) == newest_first[6:7]
    assert _link(third, "next") is None

    back = client.get(_link(third, "prev"))
    assert _ids(back) == newest_first[3:6]
    back_again = client.get(_link(back, "prev"))
    assert _ids(back_again) == newest_first[0:3]
    assert _link(back_again, "prev") is None
    assert "7 leads" in first.content.decode()


def test_links_keep_the_filters_and_sort(crew, seven, client):
    client.force_login(crew.manager)
    by_score = [seven[i].pk for i in (6, 3, 2, 1, 0, 4, 5)]  # -score, then -id; none last

    first = client.get("/leads/?sort=-score&q=P")
    assert "sort=-score" in _link(first, "next") and "q=P" in _link(first, "next")
    pages = [_ids(first)]
    response = first
    while _link(response, "next"):
        response = client.get(_link(response, "next"))
        pages.append(_ids(response))

    assert pages == [by_score[0:3], by_score[3:6], by_score[6:7]]
    assert _ids(client.get(_link(response, "prev"))) == by_score[3:6]


def test_rows_added_while_paging_do_not_shift_the_next_page(crew, seven, client):
    client.force_login(crew.manager)
    first = client.get("/leads/")
    _lead(crew, first="Newcomer", created_at=_at(9))

    second = client.get(_link(first, "next"))

    assert _ids(second) == [seven[3].pk, seven[2].pk, seven[1].pk]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        "W10",  # base64 of [], no direction
        "WyJzaWRld2F5cyIsIFsxLCAyXV0",  # ["sideways", [1, 2]]
        "WyJhZnRlciIsIFsibm90LWEtZGF0ZSIsIDFdXQ",  # ["after", ["not-a-date", 1]]
        "WyJhZnRlciIsIFsxLCAyLCAzXV0",  # ["after", [1, 2, 3]]: wrong arity
        "x" * 600,
    ],
)
def test_garbage_cursor_gives_the_first_page(crew, seven, client, cursor):
    client.force_login(crew.manager)

    response = client.get(f"/leads/?cursor={cursor}")

    assert _ids(response) == [seven[6].pk, seven[5].pk, seven[4].pk]


def test_cursor_of_another_sort_gives_the_first_page(crew, seven, client):
    client.force_login(crew.manager)
    by_created = _link(client.get("/leads/"), "next")
    cursor = by_created.split("cursor=")[1]

    response = client.get(f"/leads/?sort=-score&cursor={cursor}")

    assert _ids(response) == [seven[6].pk, seven[3].pk, seven[2].pk]


# --- Bulk assignment through the page -------------------------------------------------------


def test_manager_sees_the_bulk_bar_and_others_do_not(crew, catalogue, client):
    client.force_login(crew.manager)
    content = client.get("/leads/").content.decode()
    assert 'id="bulk-form"' in content
    assert "Assign selected" in content
    assert content.count('name="lead"') == 5
    # SDRs select leads to enroll them in a cadence, but do not assign.
    client.force_login(crew.sdr)
    content = client.get("/leads/").content.decode()
    assert 'id="bulk-form"' in content
    assert "Assign selected" not in content
    for user in (crew.ae, crew.admin):
        client.force_login(user)
        assert 'id="bulk-form"' not in client.get("/leads/").content.decode()


def test_manager_bulk_assigns_selected_leads_and_returns_to_the_same_filters(
    crew, catalogue, client
):
    client.force_login(crew.manager)
    chosen = [catalogue["nora"], catalogue["ola"], catalogue["emil"]]
    events_before = LeadEvent.objects.count()

    response = client.post(
        "/leads/bulk-assign/",
        {"lead": [lead.pk for lead in chosen], "owner": str(crew.sdr.pk), "query": "q=fjord"},
        follow=True,
    )

    assert response.redirect_chain == [("/leads/?q=fjord", 302)]
    assert "3 leads assigned." in response.content.decode()
    assert _ids(response) == [catalogue["nora"].pk, catalogue["kari"].pk]
    for lead in chosen:
        lead.refresh_from_db()
        assert (lead.owner_id, lead.version) == (crew.sdr.pk, 2)
    assert LeadEvent.objects.count() == events_before + 3
    assert set(
        LeadEvent.objects.filter(kind=EventKind.ASSIGNMENT).values_list("lead_id", "actor_id")
    ) == {(lead.pk, crew.manager.pk) for lead in chosen}


def test_manager_bulk_assigns_back_to_the_pool(crew, catalogue, client):
    client.force_login(crew.manager)

    client.post("/leads/bulk-assign/", {"lead": [catalogue["kari"].pk], "owner": "pool"})

    catalogue["kari"].refresh_from_db()
    assert catalogue["kari"].owner_id is None


def test_bulk_assign_to_an_sdr_of_another_team_is_refused_and_changes_nothing(
    crew, other_crew, catalogue, client
):
    client.force_login(crew.manager)
    before = {name: lead_snapshot(lead.pk) for name, lead in catalogue.items()}
    events_before = LeadEvent.objects.count()

    response = client.post(
        "/leads/bulk-assign/",
        {"lead": [lead.pk for lead in catalogue.values()], "owner": str(other_crew.sdr.pk)},
        follow=True,
    )

    assert response.redirect_chain == [("/leads/", 302)]
    assert "Select leads and who to assign them to." in response.content.decode()
    assert {name: lead_snapshot(lead.pk) for name, lead in catalogue.items()} == before
    assert LeadEvent.objects.count() == events_before


@pytest.mark.parametrize(
    "data",
    [
        {"owner": "{sdr}"},  # no lead chosen
        {"lead": ["{kari}"], "owner": ""},  # nobody chosen
        {"lead": ["{kari}"], "owner": "{ae}"},  # an AE does not own leads
        {"lead": ["{kari}"], "owner": "not-a-number"},
        {"lead": ["abc", "-1"], "owner": "{sdr}"},  # no usable id
    ],
)
def test_bulk_assign_with_bad_input_changes_nothing(crew, catalogue, client, data):
    client.force_login(crew.manager)
    ids = {"sdr": crew.sdr.pk, "ae": crew.ae.pk, "kari": catalogue["kari"].pk}
    post = {k: [v.format(**ids) for v in vs] if isinstance(vs, list) else vs.format(**ids)
            for k, vs in data.items()}  # fmt: skip
    before = lead_snapshot(catalogue["kari"].pk)
    events_before = LeadEvent.objects.count()

    response = client.post("/leads/bulk-assign/", post, follow=True)

    assert response.redirect_chain == [("/leads/", 302)]
    assert "Select leads and who to assign them to." in response.content.decode()
    assert lead_snapshot(catalogue["kari"].pk) == before
    assert LeadEvent.objects.count() == events_before


def test_bulk_assign_ignores_leads_of_another_team(crew, other_crew, client):
    theirs = _lead(other_crew, owner="sdr")
    client.force_login(crew.manager)
    before = lead_snapshot(theirs.pk)

    response = client.post(
        "/leads/bulk-assign/", {"lead": [theirs.pk], "owner": str(crew.sdr.pk)}, follow=True
    )

    assert "0 leads assigned." in response.content.decode()
    assert lead_snapshot(theirs.pk) == before


def test_list_rows_show_owner_company_and_state(crew, client):
    lead = _lead(crew, first="Sofie", last="Berg", company="Polar Bygg", industry="Construction",
                 owner=None, score=42)  # fmt: skip
    client.force_login(crew.sdr)

    content = client.get("/leads/").content.decode()

    assert f'<td><a href="/leads/{lead.pk}/">Sofie Berg</a>' in content
    assert "Polar Bygg" in content and "Construction" in content
    assert '<span class="muted">Pool</span>' in content
    assert '<span class="badge state-new">New</span>' in content
    assert ">42</td>" in content


def test_list_rows_escape_every_value_and_show_each_cell(crew, client):
    """The rows (partials/leads/_lead_rows.jinja): names, titles and companies are escaped,
    the owner is their full name, no company reads —, the day is the local one."""
    crew.sdr.first_name, crew.sdr.last_name = "Siri", "<b>Selger</b>"
    crew.sdr.save()
    lead = _lead(crew, first='<script>alert("x")</script>', last="O'Hara & Co",
                 company=None, industry="", owner="sdr")  # fmt: skip
    lead.prospect.title = "<i>CEO</i>"
    lead.prospect.save()
    Lead.objects.filter(pk=lead.pk).update(
        created_at=datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))  # 2 March in Oslo
    )
    client.force_login(crew.sdr)

    content = client.get("/leads/").content.decode()

    name = '<script>alert("x")</script> O\'Hara & Co'
    (row,) = parse(content).one("tbody").find_all("tr")
    select, prospect, company, state, source, owner, score, created = row.find_all("td")
    checkbox = select.one("input")
    assert checkbox.attrs == {"type": "checkbox", "name": "lead", "value": str(lead.pk),
                              "form": "bulk-form", "aria-label": f"Select {name}"}  # fmt: skip
    link = prospect.one("a")
    assert (link["href"], link.text) == (f"/leads/{lead.pk}/", name)
    assert prospect.one("div", class_="muted").text == "<i>CEO</i>"
    assert (company.text, company.one("div").text) == ("—", "")
    assert (state.one("span").classes, state.text) == (["badge", "state-new"], "New")
    assert (source.classes, source.text) == (["hide-sm"], "Outbound")
    assert owner.text == "Siri <b>Selger</b>"
    assert (score.classes, score.text) == (["num", "hide-sm"], "—")
    time = created.one("time")
    assert (time["datetime"], time.text) == ("2026-03-02T00:30:00+01:00", "2 Mar 2026")
    for tag in ("script", "i", "b"):
        assert row.find_all(tag) == []  # escaped, not markup
    assert "<script>alert" not in content


@pytest.mark.parametrize(
    ("viewer", "shown"),
    [("sdr", True), ("bdr", True), ("manager", True), ("ae", False), ("admin", False)],
)
def test_new_lead_button_only_for_those_who_can_create(crew, client, viewer, shown):
    """The admin belongs to no team, and a lead needs one: /leads/new/ would say 403."""
    user = getattr(crew, viewer)
    client.force_login(user)

    has_button = 'href="/leads/new/">New lead</a>' in client.get("/leads/").content.decode()

    assert has_button == shown
    assert client.get("/leads/new/").status_code == (200 if shown else 403)
