"""HTML to text: blocks make lines, blockquotes are quoted with '>', script and style go."""

import pytest

from inbox.classify.html_text import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hei</p><p>Ja &amp; nei</p>", "Hei\n\nJa & nei"),
        ("Ja<br>nei<br><br>kanskje", "Ja\nnei\n\nkanskje"),
        ("<div>One</div><div>Two</div>", "One\nTwo"),
        ("<style>p{color:red}</style><script>alert(1)</script><p>Text</p>", "Text"),
        ("<head><title>T</title></head><body>Body</body>", "Body"),
        ("<html><head><body>Left open</body>", "Left open"),
        (
            "Hi<blockquote>quoted<br>twice<blockquote>deeper</blockquote></blockquote>Me",
            "Hi\n> quoted\n> twice\n> > deeper\n>\nMe",
        ),
        ("<!-- hidden --><p>Shown</p><!-- never closed", "Shown"),
        ("2 < 3 and 5 > 4", "2 < 3 and 5 > 4"),
        ('<img src="x.png" alt="Logo"> Acme', "Logo Acme"),
        ("<pre>a\n  b</pre>", "a\n  b"),
        ("<p>Caf&eacute; &#8217;s &nbsp;x</p>", "Café ’s x"),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text
