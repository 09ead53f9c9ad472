"""Safe parsing of untrusted XML (implementation answers, corpus files, HTTP bodies).

No DTD loading, no entity expansion, no network access, a size limit, and no huge-tree
mode. Every failure is an :class:`XmlError` with a message fit for a report.
"""

from __future__ import annotations

from lxml import etree

#: Largest document the harness accepts (bytes of UTF-8).
MAX_XML_BYTES = 4 * 1024 * 1024


class XmlError(ValueError):
    """A document is malformed, too large, or uses a forbidden construct."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
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
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if len(data) > max_bytes:
        raise XmlError(f"{what} is {len(data)} bytes, larger than the limit of {max_bytes}")
    if not data.strip():
        raise XmlError(f"{what} is empty")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"{what} is not well-formed XML: {exc}") from None
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise XmlError(f"{what} cannot be parsed: {exc}") from None
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", None) or docinfo.internalDTD is not None:
        raise XmlError(f"{what} has a DOCTYPE; DTDs and entities are not accepted")
    return root


def to_string(root: etree._Element, *, pretty: bool = True) -> str:
    """Serialise an element as a UTF-8 string without an XML declaration."""
    return etree.tostring(root, encoding="unicode", pretty_print=pretty)
