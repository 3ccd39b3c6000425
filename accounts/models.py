from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64,
        default="Europe/Oslo",
        help_text="The team's local day: dashboards count figures per day in this zone",
    )
    # Where the team's cadence emails leave from (issue 19): each SDR's own mailbox, or the
    # site-wide email backend (e.g. inbound follow-ups through a provider).
    email_via = models.CharField(
        max_length=10,
        choices=[("mailbox", "The SDR's own mailbox"), ("site", "The site-wide email backend")],
        default="mailbox",
    )
    # The team's language (docs/i18n.md): its members' pages unless they chose their own, and
    # what its prospects read (emails, the unsubscribe page, the web form's answer). Empty:
    # each member's browser decides, and prospects get the site's LANGUAGE_CODE. Existing
    # teams in Norway's time zone start in bokmål (migration 0003).
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, blank=True, default="", db_default=""
    )
    # The currency its budgets, prices and deal values are in (ISO 4217).
    currency = models.CharField(max_length=3, default="NOK", db_default="NOK")
    # The team's calendar (accounts.calendar): this country's public holidays and the team's
    # own closed days are not working days. Blank: the site's country (SDRCRM_COUNTRY).
    country = models.CharField(
        max_length=2,
        blank=True,
        default="",
        db_default="",
        help_text="ISO code (NO, SE…) whose public holidays the team does not work; "
        "blank: the site's country",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def calendar_country(self) -> str:
        return (self.country or settings.SDRCRM_COUNTRY or "").upper()


class ClosedDay(models.Model):
    """A day the team does not work besides weekends and its country's public holidays: one
    date, or (``yearly``) that day and month every year, such as 24 December."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="closed_days")
    # A yearly day is stored in YEARLY_YEAR (a leap year, so 29 February can be one): only its
    # month and day count, and the unique constraint sees one row per day of the year.
    on = models.DateField()
    yearly = models.BooleanField(default=False, db_default=False)
    label = models.CharField(max_length=80, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["on"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "on", "yearly"], name="closed_day_one_per_team_day"
            )
        ]

    YEARLY_YEAR = 2000

    def __str__(self) -> str:
        return f"{self.team}: {self.on:%d %b}" + (
            " (yearly)" if self.yearly else f" {self.on.year}"
        )


class Role(models.TextChoices):
    SDR = "sdr", "SDR"
    BDR = "bdr", "BDR"
    AE = "ae", _("Account executive")
    MANAGER = "manager", _("Sales manager")
    MARKETING = "marketing", _("Marketing")
    ADMIN = "admin", _("Administrator")
    # Exercises data subjects' rights across every team (privacy pages only): sees no lead,
    # no figure, nothing of the sales work. Like an admin, belongs to no team.
    PRIVACY = "privacy", _("Privacy officer")


# The roles that work with leads; every other role sees none.
LEAD_ROLES = (Role.SDR, Role.BDR, Role.AE, Role.MANAGER)
# The roles of the sales work (leads, lists, figures, the API); a privacy officer is not one.
SALES_ROLES = (*LEAD_ROLES, Role.MARKETING)


class User(AbstractUser):
    """A person using the CRM. Every user but an admin or a privacy officer belongs to one
    team."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SDR)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/Oslo")
    daily_email_cap = models.PositiveIntegerField(
        default=200, help_text="Most automatic emails sent in this user's name per day"
    )
    daily_touch_target = models.PositiveIntegerField(
        default=40, help_text="Touches (emails, calls, LinkedIn) to do per day: the pace"
    )
    # The user's own language for their pages; empty follows the team's (sdrcrm/i18n.py).
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    # Role vocabulary, used by selectors and templates. Cheap: no queries.
    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_prospector(self) -> bool:
        """SDRs and BDRs share one workspace."""
        return self.role in (Role.SDR, Role.BDR)

    @property
    def is_ae(self) -> bool:
        return self.role == Role.AE

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_marketing(self) -> bool:
        return self.role == Role.MARKETING

    @property
    def is_privacy_officer(self) -> bool:
        return self.role == Role.PRIVACY and not self.is_superuser

    @property
    def sees_leads(self) -> bool:
        """Listed, not excluded: a role added later sees no lead until it is named here."""
        return self.is_admin_role or self.role in LEAD_ROLES

    @property
    def does_sales_work(self) -> bool:
        """Dashboards, the API and its tokens: every role of the sales work, and admins."""
        return self.is_admin_role or self.role in SALES_ROLES
