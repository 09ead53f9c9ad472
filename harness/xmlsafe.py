"""Safe parsing of untrusted XML (implementation answers, corpus files, HTTP bodies).

No DTD loading, no entity expansion, no network access, a size limit, and no huge-tree
mode. Every failure is an :class:`XmlError` with a message fit for a report.
"""

from __future__ import annotations

from lxml import etree

#: Largest document the harness accepts (bytes of UTF-8).
MAX_XML_BYTES = 4 * 1024 * 1024

#: Most elements (and comments, processing instructions) a document may hold: a snapshot
#: with two embedded domains has a few hundred; canonical comparison is linear but slow
#: per element, and this keeps one hostile answer to about a second.
MAX_XML_NODES = 20_000

#: Most attributes one element may carry (C14N sorts them, quadratically in lxml).
MAX_XML_ATTRIBUTES = 256


class XmlError(ValueError):
    """A document is malformed, too large, or uses a forbidden construct."""


def _parser(encoding: str | None = None) -> etree.XMLParser:
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def parse_xml(
    text: str | bytes, *, max_bytes: int = MAX_XML_BYTES, what: str = "document"
) -> etree._Element:
    """Parse ``text`` into an element tree root, refusing anything unsafe.

    A DOCTYPE is refused outright: snapshot XML never needs one, and refusing it closes the
    door on entity tricks (billion laughs, external entities).

    A ``str`` is text already: it is parsed as the UTF-8 it is encoded to, whatever
    encoding its XML declaration names (bytes follow their declaration, as XML says).
    """
    forced = None
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise XmlError(
                f"{what} is not valid Unicode text ({exc.reason} at character {exc.start})"
            ) from None
        forced = "utf-8"
    else:
        data = text
    if len(data) > max_bytes:
        raise XmlError(f"{what} is {len(data)} bytes, larger than the limit of {max_bytes}")
    if not data.strip():
        raise XmlError(f"{what} is empty")
    try:
        root = etree.fromstring(data, _parser(forced))
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"{what} is not well-formed XML: {exc}") from None
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise XmlError(f"{what} cannot be parsed: {exc}") from None
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", None) or docinfo.internalDTD is not None:
        raise XmlError(f"{what} has a DOCTYPE; DTDs and entities are not accepted")
    _check_shape(root, what)
    return root


def _check_shape(root: etree._Element, what: str) -> None:
    for count, node in enumerate(root.iter(), start=1):
        if count > MAX_XML_NODES:
            raise XmlError(f"{what} has more than {MAX_XML_NODES} elements (the limit)")
        if len(node.attrib) > MAX_XML_ATTRIBUTES:
            raise XmlError(
                f"{what}: element <{node.tag}> has {len(node.attrib)} attributes, more than "
                f"the limit of {MAX_XML_ATTRIBUTES}"
            )


def to_string(root: etree._Element, *, pretty: bool = True) -> str:
    """Serialise an element as a UTF-8 string without an XML declaration."""
    return etree.tostring(root, encoding="unicode", pretty_print=pretty)
