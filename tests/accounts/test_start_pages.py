"""Each role lands on its own start page (issue 20): at "/" and straight after the login, and
the page it lands on answers that role."""

import pytest

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's

START = {
    "sdr": "/today/",
    "bdr": "/today/",
    "ae": "/qualification/queue/",
    "manager": "/dashboards/",
    "marketing": "/imports/",
    "admin": "/leads/",
    "privacy": "/privacy/",
}


@pytest.mark.parametrize("role", sorted(START))
def test_each_role_lands_on_its_start_page_after_the_login(crew, client, role):
    user = getattr(crew, role)

    login = client.post("/login/", {"username": user.username, "password": PASSWORD})
    home = client.get(login["Location"])

    assert (login.status_code, login["Location"]) == (302, "/")
    assert (home.status_code, home["Location"]) == (302, START[role])
    assert client.get(home["Location"]).status_code == 200


def test_the_start_page_is_the_login_redirect_not_a_page_asked_for(crew, client):
    response = client.post(
        "/login/",
        {"username": crew.ae.username, "password": PASSWORD, "next": "/leads/overview/"},
    )
    assert response["Location"] == "/leads/overview/"


def test_anonymous_visitors_of_the_home_page_go_to_the_login(db, client):
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")
