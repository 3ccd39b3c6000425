"""The lead list's search (leads/search.py): full name in either order, "last, first",
company, email, accents and case folded (ø → o, å → a, æ → ae), short words at a word's start,
LIKE's wildcards taken literally, within the user's scope; the folding in SQL; the searched
text kept right by the database on every path that writes a prospect or renames a company;
and the query using the trigram index."""

import pytest
from django.db import connection

from leads.models import Company, Prospect
from leads.search import MAX_WORDS, all_words, search_words
from leads.selectors import LeadFilters, lead_list
from tests.factories import CompanyFactory, ProspectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(crew, other_crew):
    """Leads of crew's team with names that look alike, and one of another team."""

    def make(key, first, last, email, company, owner="sdr", crew_=crew):
        comp = CompanyFactory(name=company) if company else None
        prospect = ProspectFactory(first_name=first, last_name=last, email=email, company=comp)
        return key, crew_.lead(owner=owner, prospect=prospect)

    return dict(
        [
            make("kari", "Kari", "Hansen", "kari.hansen@fjordkraft.example", "Fjordkraft"),
            make("kari_n", "Kari", "Nordmann", "kari@brygge.example", "Bergen Bryggeri"),
            make("ola", "Ola", "Hansen", "ola@solheim.example", "Solheim"),
            make("oystein", "Øystein", "Ødegård", "oystein@blabaer.example", "Blåbær AS"),
            make("aerø", "Per", "Ærø", "per@aero.example", None, owner=None),
            make("bo", "Bo", "Li", "bo.li@x.example", "Hundre prosent"),
            make("bodil", "Bodil", "Strand", "bodil@y.example", "100% Solar", owner="sdr2"),
            make("jacobo", "Jacobo", "Ruiz", "jr@z.example", "A_B Consulting"),
            make("eva", "Eva", "Berg", "eva@w.example", "AxB Partner"),
            make("other", "Kari", "Hansen", "kari@other.example", "Fjordkraft", crew_=other_crew),
        ]
    )


def found(user, people, q: str) -> set[str]:
    by_pk = {lead.pk: key for key, lead in people.items()}
    qs = lead_list(user=user, filters=LeadFilters(q=q))
    return {by_pk[pk] for pk in qs.values_list("pk", flat=True)}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Kari Hansen", {"kari"}),  # the reported case: 0 before
        ("kari hansen", {"kari"}),
        ("Hansen Kari", {"kari"}),
        ("Hansen, Kari", {"kari"}),
        ("  HANSEN ,KARI  ", {"kari"}),
        ("Kari", {"kari", "kari_n"}),
        ("Hansen", {"kari", "ola"}),
        ("ari Hans", {"kari"}),  # parts of words
        # Accents and the Nordic letters, both ways
        ("Øystein Ødegård", {"oystein"}),  # the reported case: 0 before
        ("oystein odegard", {"oystein"}),
        ("ØYSTEIN", {"oystein"}),
        ("Odegard, Oystein", {"oystein"}),
        ("aero", {"aerø"}),  # Ærø: æ → ae, ø → o
        ("Ærø", {"aerø"}),
        # Company name, as written or folded
        ("Fjordkraft", {"kari"}),  # (another team's Kari Hansen is there too)
        ("blåbær", {"oystein"}),
        ("blabaer", {"oystein"}),
        ("bergen bryggeri", {"kari_n"}),
        ("Bryggeri Bergen", {"kari_n"}),
        # Email, whole or partly
        ("kari.hansen@fjordkraft.example", {"kari"}),
        ("kari@", {"kari_n"}),
        ("@solheim", {"ola"}),
        ("solheim.example", {"ola"}),
        # Words of one or two letters match at a word's start only
        ("bo", {"bo", "bodil"}),
        ("Bo Li", {"bo"}),
        ("li", {"bo"}),
        ("K", {"kari", "kari_n"}),
        # LIKE's wildcards are plain characters
        ("100%", {"bodil"}),
        ("%", set()),  # a one-letter word: a word starting with "%"
        ("A_B", {"jacobo"}),  # not AxB
        ("_", set()),
        # Nothing
        ("nobody", set()),
        ("Kari Bergen", {"kari_n"}),  # the person and the company together
        ("Kari Solheim", set()),
        ("", {"kari", "kari_n", "ola", "oystein", "aerø", "bo", "bodil", "jacobo", "eva"}),
        (" , ", {"kari", "kari_n", "ola", "oystein", "aerø", "bo", "bodil", "jacobo", "eva"}),
    ],
)
@pytest.mark.parametrize("path", ["ids", "words"])
def test_a_manager_finds_leads_by_name_company_and_email(
    crew, people, q, expected, path, monkeypatch
):
    """Both ways of lead_search give the same leads: the matching prospects' ids (a few), and
    the words tested lead by lead (when more people match than SEARCH_ID_LIMIT)."""
    if path == "words":
        monkeypatch.setattr("leads.selectors.SEARCH_ID_LIMIT", 0)
    assert found(crew.manager, people, q) == expected


@pytest.mark.parametrize("path", ["ids", "words"])
def test_the_search_stays_in_the_users_scope(crew, other_crew, people, path, monkeypatch):
    if path == "words":
        monkeypatch.setattr("leads.selectors.SEARCH_ID_LIMIT", 0)
    assert found(other_crew.manager, people, "Kari Hansen") == {"other"}
    assert found(crew.admin, people, "Kari Hansen") == {"kari", "other"}
    # An SDR: their own leads and the pool, never a colleague's
    assert found(crew.sdr, people, "o") == {"ola", "oystein"}
    assert found(crew.sdr, people, "Bodil") == set()
    assert found(crew.sdr, people, "aero") == {"aerø"}  # the pool
    assert found(crew.sdr2, people, "Bodil") == {"bodil"}
    assert found(crew.ae, people, "Kari") == set()
    assert found(crew.marketing, people, "Kari") == set()


def test_search_words_split_at_spaces_and_commas_once_each_and_at_most_six():
    assert search_words("Hansen, Kari") == ["Hansen", "Kari"]
    assert search_words(" kari\tkari ;hansen ") == ["kari", "hansen"]
    assert search_words("a b c d e f g h") == ["a", "b", "c", "d", "e", "f"]
    assert MAX_WORDS == 6
    assert search_words("") == search_words(" , ") == []


def test_more_words_than_are_searched_says_so_on_the_page(crew, people, client):
    client.force_login(crew.manager)

    response = client.get("/leads/", {"q": "Kari Hansen a b c d e"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Only the first 6 words are searched." in content
    assert "Only the first 6 words" not in client.get("/leads/?q=Kari+Hansen").content.decode()


@pytest.mark.parametrize("path", ["ids", "words"])
def test_a_search_costs_the_list_one_query_whatever_the_matches(
    crew, people, client, django_assert_num_queries, path, monkeypatch
):
    if path == "words":
        monkeypatch.setattr("leads.selectors.SEARCH_ID_LIMIT", 0)
    client.force_login(crew.manager)
    # session, user, team prospectors, the matching prospects (lead_search), capped count,
    # the rows, the cadences of "Enroll selected": the list's six and the search's one
    with django_assert_num_queries(7):
        response = client.get("/leads/", {"q": "Hansen, Kari"})

    content = response.content.decode()
    assert f'href="/leads/{people["kari"].pk}/"' in content
    assert f'href="/leads/{people["ola"].pk}/"' not in content
    assert "1 lead" in content


def test_a_search_that_matches_nobody_asks_no_more(crew, people, client, django_assert_num_queries):
    client.force_login(crew.manager)
    # session, user, team prospectors, the matching prospects (none: no count, no rows),
    # the cadences of "Enroll selected"
    with django_assert_num_queries(5):
        response = client.get("/leads/", {"q": "nobody"})

    assert "No lead matches these filters." in response.content.decode()


def test_a_search_is_counted_up_to_its_own_cap(crew, people, client, monkeypatch):
    monkeypatch.setattr("leads.views.SEARCH_COUNT_CAP", 2)
    client.force_login(crew.manager)

    many = client.get("/leads/", {"q": "K"}).content.decode()  # kari, kari_n
    more = client.get("/leads/", {"q": "a"}).content.decode()  # aerø, jacobo, eva, oystein
    plain = client.get("/leads/").content.decode()

    assert '<p class="muted count">2 leads</p>' in many
    assert '<p class="muted count">More than 2 leads</p>' in more
    assert '<p class="muted count">9 leads</p>' in plain  # no search: the list's own cap


# --- The database side -------------------------------------------------------------------------


def _sql(query: str, params=()):
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def _search_of(prospect) -> str:
    return Prospect.objects.values_list("search", flat=True).get(pk=prospect.pk)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Øystein Ødegård", "oystein odegard"),
        ("ÆRØ Blåbær", "aero blabaer"),
        ("Åse Kjærstad", "ase kjaerstad"),
        ("Müller-Lüdenscheidt STRASSE Straße ẞ", "muller-ludenscheidt strasse strasse ss"),
        ("José Ñúñez Çelik", "jose nunez celik"),
        ("Łódź Šťastný Żółć Đurić", "lodz stastny zolc duric"),
        ("Þór Ðóra Œuvre", "thor dora oeuvre"),
        ("100% A_B \\ x", "100% a_b \\ x"),
        ("Kari@Fjord.Example", "kari@fjord.example"),
    ],
)
def test_the_fold_in_sql(text, folded):
    assert _sql("SELECT leads_fold(%s)", [text]) == [(folded,)]


def test_the_searched_text_is_made_on_every_write_of_a_prospect(crew):
    company = CompanyFactory(team=crew.team, name="Blåbær AS")
    prospect = ProspectFactory(team=crew.team, first_name="Øystein", last_name="Ødegård",
                               email="oy@blabaer.example", company=company)  # fmt: skip
    assert _search_of(prospect) == " oystein odegard oy@blabaer.example blabaer as"

    prospect.last_name = "Dæhlie"
    prospect.save(update_fields=["last_name"])
    assert _search_of(prospect) == " oystein daehlie oy@blabaer.example blabaer as"

    Prospect.objects.filter(pk=prospect.pk).update(email=None, company=None)
    assert _search_of(prospect) == " oystein daehlie  "

    # A full save() from a stale object writes every column, the text too: it is remade.
    prospect.company = company
    prospect.save()
    assert _search_of(prospect) == " oystein daehlie oy@blabaer.example blabaer as"
    Prospect.objects.filter(pk=prospect.pk).update(search="anything")
    assert _search_of(prospect) == " oystein daehlie oy@blabaer.example blabaer as"


def test_renaming_a_company_remakes_the_text_of_its_prospects_only(crew):
    company = CompanyFactory(team=crew.team, name="Fjordkraft")
    other = CompanyFactory(team=crew.team, name="Solheim")
    kari = ProspectFactory(team=crew.team, first_name="Kari", last_name="", email=None,
                           company=company)  # fmt: skip
    ola = ProspectFactory(team=crew.team, first_name="Ola", last_name="", email=None,
                          company=other)  # fmt: skip

    Company.objects.filter(pk=company.pk).update(name="Fjord Kraft Nord")

    assert _search_of(kari) == " kari   fjord kraft nord"
    assert _search_of(ola) == " ola   solheim"


def test_the_lead_form_the_import_and_an_erasure_keep_the_text_right(crew, client):
    """Three paths that write prospects their own way (a service, COPY, an UPDATE): each
    leaves the text the search finds."""
    from privacy.services import prospect_erase
    from tests.intake.conftest import run_import

    client.force_login(crew.sdr)
    client.post("/leads/new/", {"first_name": "Åse", "last_name": "Kjærstad",
                                "email": "ase@fjord.example", "company_name": "Fjørd AS",
                                "source": "outbound"})  # fmt: skip
    run_import(crew.manager, "first_name,last_name,email,company\nPål,Ærø,pal@x.example,Søråsen\n"
               .encode())  # fmt: skip

    assert _sql("SELECT search FROM leads_prospect ORDER BY id") == [
        (" ase kjaerstad ase@fjord.example fjord as",),
        (" pal aero pal@x.example sorasen",),
    ]
    lead = lead_list(user=crew.manager, filters=LeadFilters(q="ase kjaerstad")).get()
    prospect_erase(actor=crew.manager, lead_id=lead.pk)
    assert _search_of(lead.prospect) == " erased   fjord as"
    assert list(lead_list(user=crew.manager, filters=LeadFilters(q="Kjærstad"))) == []


def test_the_functions_are_immutable():
    """IMMUTABLE: PostgreSQL folds the searched pattern to a constant before planning."""
    assert _sql(
        "SELECT proname, provolatile FROM pg_proc WHERE proname = ANY(%s) ORDER BY 1",
        [["leads_fold", "leads_prospect_search"]],
    ) == [("leads_fold", "i"), ("leads_prospect_search", "i")]


@pytest.mark.parametrize("q", ["Kari Hansen", "Bo"])
def test_the_search_condition_is_the_trigram_indexs(crew, people, q):
    """With sequential and plain index scans off, the only way left to the matching prospects
    is a bitmap scan on an index whose condition the query holds: the trigram index, for a
    long word and for a short one at a word's start alike. The words are constants in the
    plan (PostgreSQL folded them), which is what lets it estimate the matches."""
    qs = Prospect.objects.filter(*all_words("search", search_words(q))).values("id")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "Bitmap Index Scan on prospect_search" in plan
    patterns = {"Kari Hansen": ["'%kari%'", "'%hansen%'"], "Bo": ["'% bo%'"]}[q]
    assert all("Index Cond: " in plan and p in plan for p in patterns), plan
