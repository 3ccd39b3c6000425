"""The product's own unsubscribe footer, quoted back in a reply, is never read as the
person's words, in every language the product writes it in (inbox.classify.reply's
PRODUCT_FOOTER must follow the footer's translations)."""

import pytest
from django.conf import settings
from django.utils import translation

from inbox.classify import is_opt_out
from inbox.classify.reply import PRODUCT_FOOTER, reply_text

URL = "https://crm.nordlys.example/u/8Jk2Lq9ZxT4"


def _footer(language: str) -> str:
    with translation.override(language):
        return translation.gettext("Not interested? Unsubscribe with one click: %(url)s") % {
            "url": URL
        }


def test_the_footer_is_translated():
    assert _footer("nb") == f"Ikke interessert? Meld deg av med ett klikk: {URL}"
    assert _footer("en") == f"Not interested? Unsubscribe with one click: {URL}"


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_the_footer_quoted_back_is_not_the_persons_words(language):
    footer = _footer(language)
    assert PRODUCT_FOOTER.match(footer)
    assert PRODUCT_FOOTER.match(f"> {footer}")
    assert reply_text(f"Takk, det høres bra ut!\n\n{footer}") == "Takk, det høres bra ut!"
    assert is_opt_out(footer) is False
    assert is_opt_out(f"Send meg mer info.\n\n{footer}") is False
