"""The headers of a step sent in the same thread (cadences/mailthread.py, pure)."""

import pytest

from cadences.mailthread import SentEmail, Thread, reply_subject, thread_of


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hi Kari", "Re: Hi Kari"),
        ("Re: Hi Kari", "Re: Hi Kari"),
        ("RE: Hi Kari", "RE: Hi Kari"),
        ("re:Hi", "re:Hi"),
        ("  Hi  ", "Re: Hi"),
        ("Regarding pricing", "Re: Regarding pricing"),
    ],
)
def test_the_subject_of_a_reply(subject, expected):
    assert reply_subject(subject) == expected


def test_no_email_sent_before_means_a_thread_of_its_own():
    assert thread_of([], 2) is None
    assert thread_of([SentEmail(3, "<c@x>", "Later", False)], 2) is None


def test_a_reply_to_the_first_email():
    sent = [SentEmail(1, "<a@x>", "Hi Kari", False)]
    assert thread_of(sent, 3) == Thread("Re: Hi Kari", "<a@x>", ("<a@x>",))


def test_a_reply_to_a_reply_carries_the_whole_chain():
    sent = [
        SentEmail(2, "<b@x>", "Re: Hi Kari", True),
        SentEmail(1, "<a@x>", "Hi Kari", False),
    ]
    assert thread_of(sent, 4) == Thread("Re: Hi Kari", "<b@x>", ("<a@x>", "<b@x>"))


def test_an_email_that_started_a_new_thread_starts_a_new_chain():
    sent = [
        SentEmail(1, "<a@x>", "Hi Kari", False),
        SentEmail(2, "<b@x>", "Re: Hi Kari", True),
        SentEmail(3, "<c@x>", "Something else", False),
    ]
    assert thread_of(sent, 4) == Thread("Re: Something else", "<c@x>", ("<c@x>",))


def test_a_reply_in_thread_whose_parent_was_never_sent_began_the_chain():
    """Step 2 asked to reply but nothing was sent before it, so it went out on its own: step 3
    replies to it, and its chain begins there."""
    sent = [SentEmail(2, "<b@x>", "Checking in", True)]
    assert thread_of(sent, 3) == Thread("Re: Checking in", "<b@x>", ("<b@x>",))
