from __future__ import annotations

import pytest

from harness.xmlsafe import XmlError, parse_xml


def test_parses_plain_document() -> None:
    assert parse_xml("<domainsnapshot><name>a</name></domainsnapshot>").tag == "domainsnapshot"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("<a>", "not well-formed"),
        ('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "DOCTYPE"),
        ('<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>', "DOCTYPE"),
        ('<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>', "DOCTYPE"),
    ],
)
def test_refuses(text: str, needle: str) -> None:
    with pytest.raises(XmlError, match=needle):
        parse_xml(text)


def test_size_limit() -> None:
    with pytest.raises(XmlError, match="larger than the limit of 10"):
        parse_xml("<a>" + "x" * 20 + "</a>", max_bytes=10)


def test_billion_laughs_is_not_expanded() -> None:
    lol = (
        '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;&c;&c;</l>'
    )
    with pytest.raises(XmlError):
        parse_xml(lol)
