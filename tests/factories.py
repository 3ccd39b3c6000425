import factory
from django.utils import timezone

from accounts.models import Role, Team, User
from leads.models import Company, Lead, LeadSource, Prospect

__all__ = ["TeamFactory", "UserFactory", "CompanyFactory", "ProspectFactory", "LeadFactory"]


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


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

    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    website = factory.LazyAttribute(lambda c: f"https://{c.domain}")
    industry = "Software"
    employee_count = 50
    country = "NO"


class ProspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prospect

    company = factory.SubFactory(CompanyFactory)
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
    prospect = factory.SubFactory(ProspectFactory)
    source = LeadSource.OUTBOUND
    owner = None
    created_at = factory.LazyFunction(timezone.now)
