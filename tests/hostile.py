"""Hostile input for the fuzz tests: strategies, the time budget, and the network guards.

The fuzz tests (``tests/test_fuzz_*.py``) run in ``tox -e py`` under :data:`FUZZ`, a bounded
hypothesis budget (examples per test and a deadline per example), set from the environment
variable ``SNAPCONFORM_FUZZ_EXAMPLES`` (default 60) for a longer session by hand.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("SNAPCONFORM_FUZZ_EXAMPLES", "60"))

#: the budget of every fuzz test: a bounded number of examples, each within 5 s (a bound on
#: time per input: the slowest hostile input measured takes under 2 s), no example database
#: (the regression examples are written out as @example instead)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=5000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- XML strategies

TAGS = ("domainsnapshot", "name", "memory", "disks", "disk", "source", "driver", "state", "a")
ATTRS = ("snapshot", "file", "name", "type", "x")
NAMESPACES = ("http://libvirt.org/schemas/domainsnapshot", "urn:x", "")

#: characters that are trouble somewhere: XML-forbidden controls, NUL, surrogates,
#: non-characters, a BOM, line separators, markup characters
TRICKY = "\x00\x01\x08\x0b\x0c\x1f\x7f\x85\xa0\u2028\ufeff\ufffe\uffff\ud800\udfff<>&'\"]]>\r\n\t "

text = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=40)
plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


@st.composite
def element(draw: st.DrawFn, depth: int = 0) -> str:
    """A well-formed-ish element: random tags, attributes, text, namespaces, children."""
    tag = draw(st.sampled_from(TAGS))
    prefix = draw(st.sampled_from(("", "", "", "p:", "xml:", "xmlns:")))
    attrs = []
    for name in draw(st.lists(st.sampled_from(ATTRS), max_size=4)):
        value = draw(st.one_of(plain_text, text, st.just("x" * draw(st.integers(0, 70_000)))))
        attrs.append(f' {draw(st.sampled_from(("", "p:", "q:")))}{name}="{_escape(value)}"')
    if draw(st.booleans()):
        attrs.append(f' xmlns:p="{draw(st.sampled_from(NAMESPACES))}"')
    if draw(st.booleans()):
        attrs.append(f' xmlns="{draw(st.sampled_from(NAMESPACES))}"')
    body = draw(
        st.one_of(
            plain_text.map(_escape),
            text,
            st.just("<![CDATA[" + draw(plain_text).replace("]]>", "") + "]]>"),
            st.just("<!-- " + draw(plain_text).replace("--", "") + " -->"),
            st.just("<?pi " + draw(plain_text).replace("?>", "") + "?>"),
            st.sampled_from(("&amp;", "&lt;", "&#0;", "&#xD800;", "&#x10FFFF;", "&e;", "&#65;")),
        )
    )
    children = ""
    if depth < 4:
        children = "".join(draw(st.lists(element(depth + 1), max_size=3)))
    return f"<{prefix}{tag}{''.join(attrs)}>{body}{children}</{prefix}{tag}>"


#: where documents point to fetch something; the tests serve a canary at this address
CANARY = "http://127.0.0.1:{port}/canary"

PROLOGS = (
    "",
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<?xml version="1.0" encoding="ISO-8859-1"?>',
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<?xml version="1.0" encoding="bogus"?>',
    '<?xml version="1.1"?>',
    '<?xml version="2.0"?>',
    "\ufeff",
    '<!DOCTYPE domainsnapshot [<!ENTITY e "x">]>',
    # billion laughs
    '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY e "&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    # quadratic blowup
    '<!DOCTYPE q [<!ENTITY e "' + "x" * 10_000 + '">]>',
    # external entities and DTDs, to the canary and to a local file
    '<!DOCTYPE d [<!ENTITY e SYSTEM "{canary}">]>',
    '<!DOCTYPE d SYSTEM "{canary}">',
    '<!DOCTYPE d [<!ENTITY % p SYSTEM "{canary}"> %p;]>',
    '<!DOCTYPE d [<!ENTITY e SYSTEM "file://{secret}">]>',
    '<?xml-stylesheet type="text/xsl" href="{canary}"?>',
)


@st.composite
def hostile_document(draw: st.DrawFn) -> str:
    """A whole document: a prologue (encodings, DTDs, entity tricks), then a root element,
    deep nesting, an entity reference or XInclude pointing at the canary, maybe trailing junk."""
    prolog = draw(st.sampled_from(PROLOGS))
    root = draw(element())
    kind = draw(st.integers(0, 6))
    if kind == 1:  # deep nesting, around libxml2's limit and far past it
        depth = draw(st.sampled_from((100, 255, 256, 257, 5000)))
        root = "<a>" * depth + root + "</a>" * depth
    elif kind == 2:  # an entity reference in the body
        root = f"<domainsnapshot>&e;{root}</domainsnapshot>"
    elif kind == 3:
        root = (
            '<domainsnapshot xmlns:xi="http://www.w3.org/2001/XInclude">'
            '<xi:include href="{canary}" parse="text"/><xi:include href="file://{secret}"/>'
            f"{root}</domainsnapshot>"
        )
    elif kind == 4:  # many attributes on one element
        count = draw(st.sampled_from((10, 256, 257, 5000)))
        root = "<a " + " ".join(f'x{i}="{i}"' for i in range(count)) + f">{root}</a>"
    elif kind == 5:  # many elements
        count = draw(st.sampled_from((1000, 20_001)))
        root = "<a>" + "<b/>" * count + f"{root}</a>"
    tail = draw(st.sampled_from(("", "", "junk", "<second/>", "\x00", "<!-- c -->")))
    return prolog + root + tail


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    """A document as bytes: encoded in some encoding (maybe not the declared one), then
    maybe cut, or with a byte changed: the NUL bytes and broken UTF-8 of a broken answer."""
    doc = draw(hostile_document())
    encoding = draw(st.sampled_from(("utf-8", "utf-16", "utf-16-le", "latin-1", "utf-32")))
    data = doc.encode(encoding, errors="surrogatepass" if "utf" in encoding else "replace")
    edit = draw(st.integers(0, 3))
    if edit == 1 and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif edit == 2 and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif edit == 3:
        data = draw(st.binary(max_size=200))
    return data


def fill(doc: str, port: int, secret: str) -> str:
    return doc.replace("{canary}", CANARY.format(port=port)).replace("{secret}", secret)


# --------------------------------------------------------------------------- JSON strategies

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text, plain_text
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(plain_text, inner, max_size=4),
    max_leaves=20,
)


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


# --------------------------------------------------------------------------- network guards


class Canary:
    """A loopback HTTP server that counts the connections it gets: a parser that fetched
    an external DTD, entity or XInclude would show up here, even from inside C code."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'<!ENTITY e "FETCHED">')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class NetworkUsed(AssertionError):
    pass


@contextlib.contextmanager
def no_network() -> Iterator[list[str]]:
    """Inside, any Python-level connect or name lookup fails the test (and is recorded)."""
    attempts: list[str] = []
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[1:] if args else kwargs)[:200])
        raise NetworkUsed(f"network access during parsing: {attempts[-1]}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.getaddrinfo = refuse
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = saved  # type: ignore[method-assign]
