"""Finding a lead by what a person types in the lead list's search box.

What is searched: the person's first and last name, their email and their company's name,
folded: lower case, the letters with accents and the Nordic letters written the way an ASCII
keyboard writes them (``ø`` → ``o``, ``å`` → ``a``, ``æ`` → ``ae``, ``é`` → ``e``, ``ß`` →
``ss``…), so "oystein odegard" finds Øystein Ødegård and "Ødegård" finds Odegard. Email
addresses are written that way already, so a name typed and the name in an address meet.

How words match: the search is split into words at spaces, commas and semicolons, so "Kari
Hansen", "Hansen Kari" and "Hansen, Kari" are the same search, and a lead matches when every
word is in that text: a word of three letters or more anywhere (``ari`` finds Kari, ``@fjord``
an address), a shorter one at the start of a word (``bo`` finds Bo Li and Bodil, not Jacobo).

Where the text is: ``Prospect.search``, written by the database (migration leads 0002): a
trigger makes it whenever a prospect's name, email or company changes, and another when a
company is renamed, so every path that writes a prospect (the form, the API, the import's COPY,
an erasure, the admin) keeps it right without knowing it. One column of one table, so the lead
list's search is a condition on the prospect it joins anyway: PostgreSQL can find the few
matches of a name through the trigram GIN index ``prospect_search`` (``pg_trgm``), or walk the
newest leads and test each when the words are common, whichever its statistics of the column
say is cheaper (docs/performance.md). A short word at a word's start is an index condition too:
pg_trgm pads the start of a word.

The folding is one SQL function, ``leads_fold`` (its letters: the migration), used for the
stored text and for the words searched.
"""

from __future__ import annotations

import re

from django.db.models import BooleanField, F, Func, TextField, Value

FOLD_FUNCTION = "leads_fold"

# At most this many words are searched (each is a condition of the query); the page says when
# more were typed.
MAX_WORDS = 6
# Shorter words match at the start of a word only: a trigram index needs three characters, or
# the start of a word (pg_trgm pads it), to narrow the rows down.
SHORT_WORD = 3

# A search's results are counted up to this many ("More than 100 leads"): past that, another
# word finds the lead sooner than paging does, and counting a common name's thousands of
# matches is what would cost (docs/performance.md).
SEARCH_COUNT_CAP = 100
# Up to this many matching prospects of a team, a search looks their leads up by id
# (leads.selectors.lead_search); more, and the words are common enough that the newest leads
# have a page of matches within a few thousand rows.
SEARCH_ID_LIMIT = 2000

_SPLIT = re.compile(r"[\s,;]+")


def search_words(text: str, limit: int | None = MAX_WORDS) -> list[str]:
    """The words of a search, in order, each once: split at spaces, commas and semicolons;
    the first ``limit`` (None: all)."""
    words: list[str] = []
    for word in _SPLIT.split(text or ""):
        if word and word not in words:
            words.append(word)
    return words[:limit]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Like(Func):
    """``text LIKE pattern`` as a condition (``filter(_Like(...))``)."""

    template = "%(expressions)s"
    arg_joiner = " LIKE "
    output_field = BooleanField()


def word_condition(field: str, word: str) -> _Like:
    """The folded text in ``field`` (``"prospect__search"``) holds ``word``, folded by the same
    database function; a short word starts one of its words. PostgreSQL folds the pattern to
    a constant before planning, so it can use the trigram index and its statistics."""
    start = "%" if len(word) >= SHORT_WORD else "% "
    pattern = Func(
        Value(start),
        Func(Value(_escape_like(word)), function=FOLD_FUNCTION, output_field=TextField()),
        Value("%"),
        template="(%(expressions)s)",
        arg_joiner=" || ",
        output_field=TextField(),
    )
    return _Like(F(field), pattern)


def all_words(field: str, words: list[str]) -> list[_Like]:
    """One condition per word: pass them all to ``filter()`` (AND)."""
    return [word_condition(field, word) for word in words]
