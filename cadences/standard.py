"""The standard cadence from the SDR playbook (the domain text): day 1 an email and a
LinkedIn touch; an email two days later; a follow-up a few days after; two days later a call
(a voicemail if unanswered) and an email; two more follow-ups; then the break-up email."""

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
