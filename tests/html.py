"""HTML as a tree of elements, for tests that check a page's markup by element, text and
attribute rather than by exact characters (Python's html.parser; entities decoded).

    doc = parse(response.content.decode())
    row = doc.find("tr")
    row.find("a")["href"], row.find("a").text, row.find_all("td", class_="hide-sm")

Attribute names in keyword arguments use ``_`` for ``-`` (``data_outcome="voicemail"``);
``class_`` matches one class among the element's. An attribute written without a value
(``required``) has the value ''."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    @property
    def raw_text(self) -> str:
        """The text of the element and its descendants as written (whitespace kept)."""
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    @property
    def text(self) -> str:
        """The text with each run of whitespace made one space, stripped."""
        return " ".join(self.raw_text.split())

    @property
    def elements(self) -> list[Element]:
        """The child elements (no text)."""
        return [c for c in self.children if isinstance(c, Element)]

    def iter(self):
        """Every descendant element, in document order."""
        for child in self.elements:
            yield child
            yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs) -> list:
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
        return [
            el
            for el in self.iter()
            if (tag is None or el.tag == tag)
            and (class_ is None or class_ in el.classes)
            and all(el.attrs.get(name) == value for name, value in wanted.items())
        ]

    def find(self, tag: str | None = None, class_: str | None = None, **attrs) -> Element:
        """The first match; AssertionError when there is none."""
        found = self.find_all(tag, class_, **attrs)
        assert found, f"no <{tag or '*'}> with class {class_!r} and {attrs} in {self!r}"
        return found[0]

    def one(self, tag: str | None = None, class_: str | None = None, **attrs) -> Element:
        """The only match; AssertionError when there are none or several."""
        found = self.find_all(tag, class_, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag or '*'}> with {class_!r}, {attrs}"
        return found[0]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {})

    def handle_starttag(self, tag, attrs):
        el = Element(tag, {name: "" if value is None else value for name, value in attrs},
                     self.current)  # fmt: skip
        self.current.children.append(el)
        if tag not in VOID:
            self.current = el

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.current = self.current.parent

    def handle_endtag(self, tag):
        el = self.current
        while el is not None and el.tag != tag:
            el = el.parent
        if el is not None and el.parent is not None:  # a stray end tag is ignored
            self.current = el.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Element:
    """The document (or fragment) as a tree under an element named '#document'."""
    parser = _Parser()
    parser.feed(str(html))
    parser.close()
    return parser.root


def shape(html: str):
    """What a browser would build from ``html``, comparable across renderers: each element as
    (tag, attributes, children), text with its runs of whitespace made one space (kept as
    written in <textarea> and <pre>), whitespace between elements dropped."""

    def walk(el: Element, keep: bool):
        out = []
        for child in el.children:
            if isinstance(child, Element):
                out.append((child.tag, child.attrs, walk(child, child.tag in ("textarea", "pre"))))
            elif keep:
                out.append(child)
            elif text := " ".join(child.split()):
                out.append(text)
        return tuple(out)

    return walk(parse(html), False)
