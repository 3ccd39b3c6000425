import pytest

from intake.rows import (
    RowError,
    mapping_problems,
    normalise_row,
    parse_int,
    parse_money,
    propose_mapping,
)


def test_usual_export_headers_in_english_and_norwegian_are_recognised():
    headers = [
        "First Name",
        "Etternavn",
        "E-post",
        "Firma",
        "Job Title",
        "Antall ansatte",
        "Bransje",
        "Website",
        "LinkedIn URL",
        "Land",
        "Telefon",
        "Notes",
    ]
    assert propose_mapping(headers) == {
        "0": "first_name",
        "1": "last_name",
        "2": "email",
        "3": "company_name",
        "4": "title",
        "5": "employee_count",
        "6": "industry",
        "7": "website",
        "8": "linkedin_url",
        "9": "country",
        "10": "phone",
    }


def test_a_field_is_proposed_for_its_first_column_only():
    assert propose_mapping(["Email", "E-mail", "Name"]) == {"0": "email", "2": "full_name"}


@pytest.mark.parametrize(
    ("mapping", "problems"),
    [
        ({"0": "first_name"}, ["Map a column to Email: it identifies each prospect."]),
        ({"0": "email"}, ["Map a column to First name or Full name."]),
        ({"0": "email", "1": "full_name"}, []),
        (
            {"0": "email", "1": "first_name", "2": "email"},
            ["Each field can be mapped from one column only: Email."],
        ),
        ({"0": "email", "1": "first_name", "2": "password"}, ["Unknown field(s): password."]),
    ],
)
def test_mapping_needs_an_email_and_a_name_column(mapping, problems):
    assert mapping_problems(mapping) == problems


M = {
    0: "first_name",
    1: "last_name",
    2: "email",
    3: "company_name",
    4: "website",
    5: "employee_count",
    6: "country",
    7: "title",
}


def test_a_row_is_trimmed_lower_cased_and_its_company_matched_by_domain():
    row = normalise_row(
        5,
        [
            "  Kari ",
            " Nord  mann",
            " KARI@Fjordkraft.NO ",
            "Fjordkraft AS",
            "https://www.Fjordkraft.no/om",
            "1 200",
            "Norge",
            "CEO",
        ],
        M,
    )
    assert (row.line, row.first_name, row.last_name, row.email) == (
        5,
        "Kari",
        "Nord mann",
        "kari@fjordkraft.no",
    )
    assert (row.company_name, row.website, row.domain) == (
        "Fjordkraft AS",
        "https://www.fjordkraft.no/om",  # scheme and host lower-cased
        "fjordkraft.no",
    )
    assert (row.employee_count, row.country, row.title) == (1200, "NO", "CEO")


def test_without_a_website_the_email_domain_names_the_company_unless_it_is_free_mail():
    assert normalise_row(2, ["A", "", "a@acme.no"], M).domain == "acme.no"
    assert normalise_row(2, ["A", "", "a@gmail.com"], M).domain is None


def test_full_name_is_split_both_ways():
    m = {0: "full_name", 1: "email"}
    assert (
        normalise_row(2, ["Kari Nordmann Berg", "k@x.no"], m).first_name,
        normalise_row(2, ["Kari Nordmann Berg", "k@x.no"], m).last_name,
    ) == ("Kari", "Nordmann Berg")
    row = normalise_row(2, ["Nordmann, Kari", "k@x.no"], m)
    assert (row.first_name, row.last_name) == ("Kari", "Nordmann")


def test_formula_cells_are_kept_as_text():
    row = normalise_row(2, ['=HYPERLINK("x")', "+1", "f@x.no", "@SUM(A1)", "", "", "", "-CEO"], M)
    assert (row.first_name, row.last_name, row.company_name, row.title) == (
        '=HYPERLINK("x")',
        "+1",
        "@SUM(A1)",
        "-CEO",
    )


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (["A", "", ""], "The email is empty."),
        (["A", "", "a(at)x.no"], "Email 'a(at)x.no' is not a valid address."),
        (["A", "", "a@x"], "Email 'a@x' is not a valid address."),
        (["", "", "a@x.no"], "The first name is empty."),
        (["A", "", "a@x.no", "", "not a site"], "Website 'not a site' is not a web address."),
        (["A", "", "a@x.no", "", "", "many"], "Number of employees 'many' is not a whole number."),
        (
            ["A", "", "a@x.no", "", "", "", "Atlantis"],
            "Country 'Atlantis' is not recognised: use a two-letter code such as NO.",
        ),
        (
            ["A", "", "a@x.no", "", "", "", "", "x" * 151],
            "Job title is longer than 150 characters.",
        ),
    ],
)
def test_invalid_rows_say_why(cells, reason):
    with pytest.raises(RowError) as exc:
        normalise_row(2, cells, M)
    assert str(exc.value) == reason


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("1,200", 1200), ("1 200", 1200), ("51-200", 126), ("10,000+", 10000), ("", None)],
)
def test_employee_counts(text, value):
    assert parse_int(text, "n") == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("NOK 5 000 000", 5_000_000),
        ("1.2M", 1_200_000),
        ("2,5 mill", 2_500_000),
        ("1,200,000", 1_200_000),
        ("€300k", 300_000),
        ("", None),
    ],
)
def test_amounts(text, value):
    assert parse_money(text, "n") == value
