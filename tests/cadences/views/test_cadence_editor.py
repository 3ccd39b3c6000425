"""The cadence editor: steps reordered, removed and added in one POST (what the page's script
posts: ORDER, DELETE, more forms), errors that keep what was typed and its order, and the live
preview of a step rendered by the sending substitution."""

import pytest

from cadences import context, templating
from cadences.models import Cadence
from tests.cadences.helpers import email, make_cadence
from tests.cadences.views.test_cadence_pages import CALL_STEP, EMAIL_STEP, editor_post
from tests.factories import CompanyFactory, ProspectFactory

pytestmark = pytest.mark.django_db


def test_the_editor_saves_the_order_removals_and_additions_of_one_post(crew, client):
    cadence = make_cadence(
        crew.manager,
        [email(subject="First"), email(subject="Second", day_offset=1), email(subject="Third")],
    )
    first, second, third = cadence.steps.order_by("position")
    client.force_login(crew.manager)
    steps = [
        {**EMAIL_STEP, "id": str(first.pk), "subject_template": "First", "ORDER": "3"},
        {**EMAIL_STEP, "id": str(second.pk), "subject_template": "Second", "DELETE": "on",
         "ORDER": ""},
        {**EMAIL_STEP, "id": str(third.pk), "subject_template": "Third", "ORDER": "1"},
        {**CALL_STEP, "ORDER": "2"},  # added on the page
    ]  # fmt: skip
    data = editor_post("Reordered", steps)
    data["steps-INITIAL_FORMS"] = "3"

    response = client.post(f"/cadences/{cadence.pk}/edit/", data)

    assert response.status_code == 302
    assert list(cadence.steps.order_by("position").values_list("position", "pk", "channel")) == [
        (1, third.pk, "auto_email"),
        (2, cadence.steps.get(channel="call").pk, "call"),
        (3, first.pk, "auto_email"),
    ]


def test_an_error_keeps_what_was_typed_in_the_order_shown(crew, client):
    client.force_login(crew.manager)
    bad = {**EMAIL_STEP, "subject_template": "Typed subject", "body_template": "", "ORDER": "1"}
    steps = [{**CALL_STEP, "instructions": "Typed call", "ORDER": "2"}, bad]

    response = client.post("/cadences/new/", editor_post("Typed name", steps))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Typed name"' in html
    assert html.index('value="Typed subject"') < html.index("Typed call</textarea>")
    assert '<p class="field-error" id="id_steps-1-body_template_error">' in html
    assert Cadence.objects.count() == 0


def test_the_editor_page_has_the_empty_step_and_the_preview_pane(crew, client):
    cadence = make_cadence(crew.manager, [email(), email(day_offset=2)])
    client.force_login(crew.manager)
    html = client.get(f"/cadences/{cadence.pk}/edit/").content.decode()
    assert 'name="steps-__prefix__-channel"' in html  # in <template data-empty-step>
    assert 'data-preview-url="/cadences/steps/preview/"' in html
    assert html.count('name="steps-0-ORDER" value="1"') == 1
    assert html.count('name="steps-1-ORDER" value="2"') == 1
    assert "/static/js/cadence_editor.js" in html


def test_the_editor_page_query_count_does_not_grow_with_steps(
    crew, client, django_assert_max_num_queries
):
    few = make_cadence(crew.manager, [email()], name="Few")
    many = make_cadence(crew.manager, [email(day_offset=i) for i in range(12)], name="Many")
    client.force_login(crew.manager)
    client.get(f"/cadences/{few.pk}/edit/")
    with django_assert_max_num_queries(12) as few_queries:
        client.get(f"/cadences/{few.pk}/edit/")
    with django_assert_max_num_queries(len(few_queries)):
        client.get(f"/cadences/{many.pk}/edit/")


# --- The live preview ---------------------------------------------------------------------


def preview(client, subject, body):
    return client.post(
        "/cadences/steps/preview/", {"subject_template": subject, "body_template": body}
    )


def test_the_preview_fills_the_placeholders_for_the_users_latest_lead(crew, client):
    company = CompanyFactory(team=crew.team, name="Nordlys AS")
    crew.lead(prospect=ProspectFactory(team=crew.team, first_name="Ola", company=company))
    client.force_login(crew.sdr)

    response = preview(
        client,
        "Hi {{ prospect.first_name }}\nat {{ company.name }}",
        "Dear {{ prospect.first_name }},\n<b>hi</b> from {{ sdr.first_name }}\n"
        "{{ unsubscribe_url }}",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<dd data-preview-subject>Hi Ola at Nordlys AS</dd>" in html  # one header line
    assert (
        f"Dear Ola,<br>&lt;b&gt;hi&lt;/b&gt; from {crew.sdr.first_name}<br>"
        "[the prospect&#x27;s unsubscribe link]</dd>"
    ) in html
    assert "data-preview-missing" not in html


def test_the_preview_uses_a_sample_prospect_and_names_what_is_missing(crew, client):
    crew.sdr.phone = ""
    crew.sdr.save(update_fields=["phone"])
    client.force_login(crew.sdr)  # sees no lead yet
    response = preview(client, "{{ prospect.first_name }} at {{ company.name }}", "{{ sdr.phone }}")
    html = response.content.decode()
    assert "As sent to a sample prospect:" in html
    assert "<dd data-preview-subject>Kari at Fjordtech AS</dd>" in html
    assert "No value for: sdr.phone." in html


def test_the_preview_is_the_restricted_substitution_not_the_template_engine(crew, client):
    client.force_login(crew.sdr)
    body = "{% if 1 %}x{% endif %} {{ prospect.first_name|upper }} {{ settings.SECRET_KEY }}"
    html = preview(client, "Hi", body).content.decode()
    values = context.render_context(
        prospect=ProspectFactory.build(first_name="Kari"), company=None, sdr=crew.sdr,
        touch_id=None,
    )  # fmt: skip
    assert templating.render(body, values).text == body  # nothing in it is a placeholder
    assert "{% if 1 %}x{% endif %}" in html
    assert "{{ prospect.first_name|upper }} is not a placeholder" in html
    assert "{{ settings.SECRET_KEY }} is not a placeholder" in html


@pytest.mark.parametrize(("role", "status"), [("ae", 403), ("marketing", 403), ("manager", 200)])
def test_who_may_preview(crew, client, role, status):
    client.force_login(getattr(crew, role))
    assert preview(client, "Hi", "Body").status_code == status


def test_the_preview_takes_only_posts_and_refuses_a_huge_subject(crew, client):
    client.force_login(crew.sdr)
    assert client.get("/cadences/steps/preview/").status_code == 405
    assert preview(client, "x" * 2001, "Body").status_code == 400
