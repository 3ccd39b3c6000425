import factory
from django.utils import timezone

from accounts.models import Role, Team, User
from leads.models import Company, Lead, LeadSource, Prospect

__all__ = ["TeamFactory", "UserFactory", "CompanyFactory", "ProspectFactory", "LeadFactory"]


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    # The product's default is "mailbox" (each SDR's own mailbox); the tests that are not
    # about mailboxes send through the site-wide backend (Django's locmem outbox), and those
    # that are set "mailbox" themselves.
    email_via = "site"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Person"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.SDR
    team = factory.SubFactory(TeamFactory)
    password = factory.django.Password("pw-for-tests-1")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    website = factory.LazyAttribute(lambda c: f"https://{c.domain}")
    industry = "Software"
    employee_count = 50
    country = "NO"


class ProspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prospect

    team = factory.SubFactory(TeamFactory)
    company = factory.SubFactory(CompanyFactory, team=factory.SelfAttribute("..team"))
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = "Prospect"
    email = factory.Sequence(lambda n: f"pat{n}@prospect.example")
    title = "CEO"


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead in state ``new``. To get another state, walk it there with the services
    (``tests.fixtures.walk``): the state field is protected."""

    class Meta:
        model = Lead

    team = factory.SubFactory(TeamFactory)
    prospect = factory.SubFactory(ProspectFactory, team=factory.SelfAttribute("..team"))
    source = LeadSource.OUTBOUND
    owner = None
    created_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A team is a workspace: a lead's prospect (and its company) is of the lead's team.
        # For brevity a test may build a prospect with ProspectFactory() and hand it to a lead
        # of some team: a prospect that no lead uses yet joins that team, with its company.
        prospect, team = kwargs["prospect"], kwargs["team"]
        team_id = team.pk if isinstance(team, Team) else team
        if prospect.team_id != team_id:
            if prospect.leads.exclude(team_id=team_id).exists():
                raise ValueError("This prospect belongs to another team's leads.")
            _adopt(prospect, team_id)
        return super()._create(model_class, *args, **kwargs)


def _adopt(prospect: Prospect, team_id: int) -> None:
    prospect.team_id = team_id
    prospect.save(update_fields=["team"])
    company = prospect.company
    if company is not None and company.team_id != team_id:
        if company.prospects.exclude(team_id=team_id).exists():
            raise ValueError("This company belongs to another team's prospects.")
        company.team_id = team_id
        company.save(update_fields=["team"])
