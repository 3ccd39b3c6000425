"""The standard cadence from the SDR playbook (the domain text): day 1 an email and a
LinkedIn touch; an email two days later; a follow-up a few days after; two days later a call
(a voicemail if unanswered) and an email; two more follow-ups; then the break-up email.

It ships in English and in bokmål (``STANDARD[language]``). The bokmål one is not a word for
word translation: it is written the way a Norwegian SDR writes, with the same placeholders
(the restricted substitution, ``templating``). So are the product answers (``SNIPPETS``), the
demo's snippet library in both languages.

This is content, not interface text: the templates are data the team edits, in the cadence's
own language, so they are not marked for translation."""

from dataclasses import dataclass

from .models import Channel

STANDARD_NAME = "Standard outbound (9 touches)"
STANDARD_DESCRIPTION = (
    "The playbook cadence: email and LinkedIn on day 1, follow-ups a few business days apart, "
    "a call with a voicemail, and a break-up email that scraps the lead if nothing comes back."
)
SIGNATURE = "\n\nBest regards,\n{{ sdr.full_name }}\n{{ sdr.company }}"

STANDARD_STEPS = [
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 0,
        "subject_template": '{{ company.name or "Your team" }} and your sales pipeline',
        "body_template": (
            "Hi {{ prospect.first_name }},\n\n"
            'I work with sales teams like the one at {{ company.name or "your company" }} '
            "who want more qualified meetings without more admin. As {{ prospect.title or "
            '"a leader there" }}, is that something on your list this quarter?\n\n'
            "Would a 15-minute call next week be useful?" + SIGNATURE
        ),
    },
    {
        "channel": Channel.LINKEDIN_CONNECT,
        "day_offset": 0,
        "instructions": (
            "Send a connection request with a short personal note that mentions "
            "something from their profile or company news."
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 2,
        "subject_template": 'Re: {{ company.name or "Your team" }} and your sales pipeline',
        "body_template": (
            "Hi {{ prospect.first_name }},\n\n"
            'Following up on my note: teams in {{ company.industry or "your industry" }} '
            "usually tell us the hardest part is keeping every lead moving. Happy to show "
            "how others solved it in 15 minutes." + SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "subject_template": 'An idea for {{ company.name or "your team" }}',
        "body_template": (
            "Hi {{ prospect.first_name }},\n\n"
            "One more thought: a short call would tell us both quickly whether there is a fit. "
            "Does Tuesday or Thursday suit you better?" + SIGNATURE
        ),
    },
    {
        "channel": Channel.CALL,
        "day_offset": 2,
        "instructions": (
            "Call the prospect. If there is no answer, leave a short voicemail mentioning "
            "the emails, and log the outcome."
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 0,
        "subject_template": "Tried to reach you, {{ prospect.first_name }}",
        "body_template": (
            "Hi {{ prospect.first_name }},\n\n"
            "I just tried to call you. Is there a better time to talk, or is someone else "
            'at {{ company.name or "your company" }} the right person?' + SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "subject_template": "Worth a conversation?",
        "body_template": (
            "Hi {{ prospect.first_name }},\n\n"
            "I know inboxes are busy. If improving how your team qualifies leads is a "
            "priority this year, I would love 15 minutes with you." + SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "subject_template": "Quick question",
        "body_template": (
            "Hi {{ prospect.first_name }},\n\n"
            "Should I follow up with you about this, or is it not a priority right now?" + SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "is_breakup": True,
        "breakup_wait_days": 5,
        "subject_template": "Closing the loop",
        "body_template": (
            "Hi {{ prospect.first_name }},\n\n"
            "I have not heard back, so I assume the timing is not right and will stop "
            "writing. If that changes, just reply to this email." + SIGNATURE
        ),
    },
]


# --- Bokmål -----------------------------------------------------------------------------------

NB_NAME = "Standardkadens (9 kontaktpunkter)"
NB_DESCRIPTION = (
    "Kadensen fra playbooken: e-post og LinkedIn dag 1, oppfølging med noen virkedagers "
    "mellomrom, en samtale med talebeskjed og en avsluttende e-post som skroter leadet hvis "
    "ingen svarer."
)
NB_SIGNATURE = "\n\nVennlig hilsen\n{{ sdr.full_name }}\n{{ sdr.company }}"

NB_STEPS = [
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 0,
        "subject_template": 'Flere kvalifiserte møter for {{ company.name or "dere" }}?',
        "body_template": (
            "Hei {{ prospect.first_name }},\n\n"
            "Jeg hjelper salgsteam med å få flere gode møter uten mer administrasjon. "
            'Som {{ prospect.title or "leder" }} i {{ company.name or "bedriften" }}: '
            "er det noe dere ser på dette kvartalet?\n\n"
            "Har du et kvarter neste uke?" + NB_SIGNATURE
        ),
    },
    {
        "channel": Channel.LINKEDIN_CONNECT,
        "day_offset": 0,
        "instructions": (
            "Send en kontaktforespørsel med en kort, personlig hilsen. Nevn noe fra profilen "
            "eller en nyhet om bedriften."
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 2,
        "subject_template": 'Re: Flere kvalifiserte møter for {{ company.name or "dere" }}?',
        "body_template": (
            "Hei igjen {{ prospect.first_name }},\n\n"
            'En kjapp oppfølging: mange i {{ company.industry or "bransjen deres" }} '
            "sier at det vanskeligste er å holde trykket på hvert eneste lead. Jeg viser deg "
            "gjerne hvordan andre har løst det, det tar et kvarter." + NB_SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "subject_template": 'En idé til {{ company.name or "dere" }}',
        "body_template": (
            "Hei {{ prospect.first_name }},\n\n"
            "En kort prat vil fort vise oss begge om dette er noe for dere. "
            "Passer tirsdag eller torsdag best?" + NB_SIGNATURE
        ),
    },
    {
        "channel": Channel.CALL,
        "day_offset": 2,
        "instructions": (
            "Ring kontaktpersonen. Svarer ingen, legg igjen en kort talebeskjed der du nevner "
            "e-postene, og logg utfallet."
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 0,
        "subject_template": "Prøvde å ringe deg, {{ prospect.first_name }}",
        "body_template": (
            "Hei {{ prospect.first_name }},\n\n"
            "Jeg prøvde å ringe deg i sted. Når passer det best å ta en prat, eller er det "
            'noen andre i {{ company.name or "bedriften" }} jeg bør snakke med?' + NB_SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "subject_template": "Verdt en prat?",
        "body_template": (
            "Hei {{ prospect.first_name }},\n\n"
            "Jeg vet at innboksen er full. Står bedre kvalifisering av leads på listen deres "
            "i år, tar jeg gjerne et kvarter med deg." + NB_SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "subject_template": "Et kjapt spørsmål",
        "body_template": (
            "Hei {{ prospect.first_name }},\n\n"
            "Skal jeg følge opp dette, eller er det ikke aktuelt akkurat nå?" + NB_SIGNATURE
        ),
    },
    {
        "channel": Channel.AUTO_EMAIL,
        "day_offset": 3,
        "is_breakup": True,
        "breakup_wait_days": 5,
        "subject_template": "Siste e-post fra meg",
        "body_template": (
            "Hei {{ prospect.first_name }},\n\n"
            "Jeg har ikke hørt fra deg, så jeg antar at timingen ikke passer og gir meg her. "
            "Skulle det endre seg, er det bare å svare på denne e-posten." + NB_SIGNATURE
        ),
    },
]


@dataclass(frozen=True)
class Standard:
    name: str
    description: str
    steps: list[dict]


STANDARD = {
    "en": Standard(STANDARD_NAME, STANDARD_DESCRIPTION, STANDARD_STEPS),
    "nb": Standard(NB_NAME, NB_DESCRIPTION, NB_STEPS),
}

# The product answers (title, text) a team starts its snippet library with, in each language.
SNIPPETS = {
    "en": [
        (
            "Pricing",
            "Plans start at NOK 490 per user per month, billed yearly; a 30-day trial is free.",
        ),
        (
            "Integrations",
            "We integrate with Outlook, Gmail, LinkedIn and the common ERP systems; "
            "the API is open and documented.",
        ),
        ("Security", "Data is stored in the EU, encrypted at rest and in transit; we sign a DPA."),
        ("Onboarding", "A typical team is live in two weeks, with a named onboarding manager."),
    ],
    "nb": [
        (
            "Pris",
            "Det starter på 490 kr per bruker i måneden, fakturert årlig. De første 30 dagene "
            "er gratis, så dere kan teste i ro og mak.",
        ),
        (
            "Integrasjoner",
            "Vi snakker med Outlook, Gmail, LinkedIn og de vanlige ERP-systemene, og API-et "
            "er åpent og dokumentert.",
        ),
        (
            "Sikkerhet",
            "Dataene ligger i EU og er kryptert både lagret og underveis. Vi signerer gjerne "
            "en databehandleravtale.",
        ),
        (
            "Oppstart",
            "De fleste team er i gang på to uker, med en fast kontaktperson hos oss som hjelper "
            "dere i gang.",
        ),
    ],
}
