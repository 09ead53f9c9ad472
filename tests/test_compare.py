"""Properties of harness.compare: canonical form, modes, masks, diffs, refusals."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from itertools import permutations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from harness import compare as compare_module
from harness.compare import MASK_TOKEN, MASKS, Comparison, canonicalize, compare, pretty
from harness.xmlsafe import XmlError

# --------------------------------------------------------------------------- a tiny XML model


@dataclass(frozen=True)
class Node:
    tag: str
    attrs: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    children: tuple[Node, ...] = field(default=())


@dataclass(frozen=True)
class Style:
    """How a document is spelled: none of this may change its canonical form."""

    indent: str | None = None  # None: all on one line
    quote: str = '"'
    empty_as_pair: bool = False  # <x></x> rather than <x/>
    comments: bool = False  # a comment before every element's children and after the root
    declaration: bool = False
    attr_seed: int = 0  # permutes attribute order


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(value: str, quote: str) -> str:
    value = _escape_text(value)
    return value.replace('"', "&quot;") if quote == '"' else value.replace("'", "&apos;")


def render(node: Node, style: Style = Style(), depth: int = 0) -> str:
    rng = random.Random(f"{style.attr_seed}:{node.tag}:{depth}")
    attrs = list(node.attrs)
    rng.shuffle(attrs)
    q = style.quote
    spelled = "".join(f" {k}={q}{_escape_attr(v, q)}{q}" for k, v in attrs)
    pad = "" if style.indent is None else "\n" + style.indent * depth
    inner_pad = "" if style.indent is None else "\n" + style.indent * (depth + 1)
    if not node.children and node.text is None:
        body = (
            f"<{node.tag}{spelled}></{node.tag}>"
            if style.empty_as_pair
            else f"<{node.tag}{spelled}/>"
        )
    elif not node.children:
        body = f"<{node.tag}{spelled}>{_escape_text(node.text or '')}</{node.tag}>"
    else:
        parts = [f"<{node.tag}{spelled}>"]
        if style.comments:
            parts.append(f"{inner_pad}<!-- {node.tag} -->")
        for child in node.children:
            parts.append(inner_pad + render(child, style, depth + 1))
        parts.append(f"{pad}</{node.tag}>")
        body = "".join(parts)
    if depth == 0:
        prefix = '<?xml version="1.0"?>\n' if style.declaration else ""
        suffix = "\n<!-- trailing -->\n<?pi ignored?>" if style.comments else ""
        return prefix + body + suffix
    return body


# --------------------------------------------------------------------------- strategies

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=8)
# text content: never whitespace-only, may need escaping, may have inner spaces
TEXTS = st.text(alphabet="abcXYZ019 -_<>&'\".é", min_size=1, max_size=10).filter(
    lambda s: s.strip() != ""
)
PATHS = WORDS.map(lambda w: f"/var/lib/{w}.qcow2")
STATES = st.sampled_from(["running", "shutoff", "paused", "disk-snapshot"])
SNAPSHOT_KINDS = st.sampled_from(["no", "internal", "external", "manual"])


@st.composite
def memory(draw: st.DrawFn) -> Node:
    attrs = [("snapshot", draw(SNAPSHOT_KINDS))]
    if draw(st.booleans()):
        attrs.append(("file", draw(PATHS)))
    return Node("memory", tuple(attrs))


@st.composite
def disk(draw: st.DrawFn, name: str) -> Node:
    attrs = [("name", name), ("snapshot", draw(SNAPSHOT_KINDS))]
    if draw(st.booleans()):
        attrs.append(("type", draw(st.sampled_from(["file", "block", "network"]))))
    children = []
    if draw(st.booleans()):
        children.append(Node("driver", (("type", draw(st.sampled_from(["qcow2", "raw"]))),)))
    if draw(st.booleans()):
        children.append(Node("source", (("file", draw(PATHS)),)))
    return Node("disk", tuple(attrs), None, tuple(children))


@st.composite
def disks(draw: st.DrawFn) -> Node:
    count = draw(st.integers(min_value=0, max_value=4))
    names = [f"vd{chr(ord('a') + i)}" for i in range(count)]
    return Node("disks", (), None, tuple(draw(disk(n)) for n in names))


@st.composite
def snapshots(draw: st.DrawFn) -> Node:
    """A <domainsnapshot> of varying shape (every part but <name> optional)."""
    children = [Node("name", (), draw(TEXTS))]
    if draw(st.booleans()):
        children.append(Node("description", (), draw(TEXTS)))
    children.append(Node("state", (), draw(STATES)))
    if draw(st.booleans()):
        children.append(Node("creationTime", (), str(draw(st.integers(0, 2**40)))))
    if draw(st.booleans()):
        children.append(Node("parent", (), None, (Node("name", (), draw(TEXTS)),)))
    if draw(st.booleans()):
        children.append(draw(memory()))
    if draw(st.booleans()):
        children.append(draw(disks()))
    if draw(st.booleans()):
        children.append(
            Node(
                "domain",
                (("type", draw(st.sampled_from(["kvm", "qemu", "test"]))),),
                None,
                (Node("name", (), draw(WORDS)), Node("memory", (("unit", "KiB"),), "1024")),
            )
        )
    return Node("domainsnapshot", (), None, tuple(children))


STYLES = st.builds(
    Style,
    indent=st.sampled_from([None, "  ", "    ", "\t", " \n "]),
    quote=st.sampled_from(['"', "'"]),
    empty_as_pair=st.booleans(),
    comments=st.booleans(),
    declaration=st.booleans(),
    attr_seed=st.integers(0, 1000),
)
MODES = st.sampled_from(["exact", "semantic"])
MASK_SETS = st.sets(st.sampled_from(sorted(MASKS)))


def attribute_sites(node: Node, path: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], str]]:
    """(path of child indexes, attribute name) of every attribute in the tree."""
    sites = [(path, name) for name, _ in node.attrs]
    for i, child in enumerate(node.children):
        sites.extend(attribute_sites(child, (*path, i)))
    return sites


def get(node: Node, path: tuple[int, ...]) -> Node:
    for i in path:
        node = node.children[i]
    return node


def change(node: Node, path: tuple[int, ...], fn: object) -> Node:
    """A copy of ``node`` with the node at ``path`` replaced by ``fn(that node)``."""
    if not path:
        return fn(node)  # type: ignore[operator, no-any-return]
    i, rest = path[0], path[1:]
    children = list(node.children)
    children[i] = change(children[i], rest, fn)
    return replace(node, children=tuple(children))


def set_attr(node: Node, name: str, value: str) -> Node:
    return replace(node, attrs=tuple((k, value if k == name else v) for k, v in node.attrs))


def child_index(node: Node, tag: str) -> int | None:
    return next((i for i, c in enumerate(node.children) if c.tag == tag), None)


# --------------------------------------------------------------------------- properties


@given(snapshots(), STYLES, MODES, MASK_SETS)
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_canonical_form_is_idempotent(doc: Node, style: Style, mode: str, masks: set[str]) -> None:
    once = canonicalize(render(doc, style), mode=mode, masks=masks)  # type: ignore[arg-type]
    assert canonicalize(once, mode=mode, masks=masks) == once  # type: ignore[arg-type]
    assert "\n" not in once and "<!--" not in once


@given(snapshots(), STYLES, MODES, MASK_SETS)
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_a_document_equals_itself(doc: Node, style: Style, mode: str, masks: set[str]) -> None:
    text = render(doc, style)
    result = compare(text, text, mode=mode, masks=masks)  # type: ignore[arg-type]
    assert result == Comparison(equal=True, edit_script="", unified_diff="")


@given(snapshots(), STYLES, STYLES, MODES)
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_spelling_does_not_matter(doc: Node, style_a: Style, style_b: Style, mode: str) -> None:
    """Attribute order, quoting, indentation, comments, empty-element form: all irrelevant."""
    a, b = render(doc, style_a), render(doc, style_b)
    assert compare(a, b, mode=mode).equal  # type: ignore[arg-type]
    assert canonicalize(a) == canonicalize(b)
    assert pretty(a) == pretty(b)


@given(snapshots(), STYLES, STYLES, MODES, st.data())
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_a_changed_attribute_value_is_always_found(
    doc: Node, style_a: Style, style_b: Style, mode: str, data: st.DataObject
) -> None:
    sites = attribute_sites(doc)
    assume(sites)
    path, name = data.draw(st.sampled_from(sites), label="site")
    old = dict(get(doc, path).attrs)[name]
    new = data.draw(WORDS.filter(lambda w: w != old), label="new value")
    changed = change(doc, path, lambda n: set_attr(n, name, new))
    result = compare(render(doc, style_a), render(changed, style_b), mode=mode)  # type: ignore[arg-type]
    assert not result.equal
    assert f'{name}="{new}"' in result.unified_diff
    # The edit script names the new value, unless it was left out as misleading (it then
    # says so and points to the unified diff, which always shows the change).
    assert new in result.edit_script or result.edit_script.startswith("(edit script omitted:")
    assert result.unified_diff.startswith("--- expected\n+++ actual\n")
    report = result.report()
    assert "edit script (expected -> actual):" in report and "unified diff" in report


@given(snapshots(), st.data())
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_semantic_mode_ignores_root_child_order(doc: Node, data: st.DataObject) -> None:
    shuffled = replace(doc, children=tuple(data.draw(st.permutations(doc.children))))
    a, b = render(doc), render(shuffled)
    assert compare(a, b, mode="semantic").equal
    same_order = [c.tag for c in doc.children] == [c.tag for c in shuffled.children]
    assert compare(a, b, mode="exact").equal == same_order


@given(snapshots())
@settings(
    deadline=None,  # xmldiff can be slow on a loaded CI machine
    suppress_health_check=[HealthCheck.filter_too_much],  # most documents have < 2 disks
)
def test_semantic_mode_keeps_disk_order(doc: Node) -> None:
    i = child_index(doc, "disks")
    assume(i is not None and len(doc.children[i].children) >= 2)
    assert i is not None
    disks = doc.children[i].children
    assume([render(d) for d in disks] != [render(d) for d in disks[::-1]])
    reordered = change(doc, (i,), lambda d: replace(d, children=d.children[::-1]))
    result = compare(render(doc), render(reordered), mode="semantic")
    assert not result.equal
    assert result.edit_script and result.unified_diff


TEXT_MASKS = {"creationTime": ("creationTime",), "name": ("name",), "parent": ("parent", "name")}


@given(snapshots(), st.sampled_from(sorted(TEXT_MASKS)), TEXTS, MODES)
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_text_masks_neutralise_exactly_their_element(
    doc: Node, mask: str, new: str, mode: str
) -> None:
    outer, *inner = TEXT_MASKS[mask]
    i = child_index(doc, outer)
    assume(i is not None)
    assert i is not None
    path = (i, 0) if inner else (i,)
    assume(get(doc, path).text != new)
    changed = change(doc, path, lambda n: replace(n, text=new))
    a, b = render(doc), render(changed)
    assert not compare(a, b, mode=mode).equal  # type: ignore[arg-type]
    assert compare(a, b, mode=mode, masks=[mask]).equal  # type: ignore[arg-type]
    assert MASK_TOKEN in canonicalize(a, masks=[mask])
    # every other mask leaves the difference alone
    others = MASKS - {mask}
    assert not compare(a, b, mode=mode, masks=others).equal  # type: ignore[arg-type]
    # ... and the mask hides nothing else: a changed <state> is still found
    j = child_index(doc, "state")
    assert j is not None
    other_change = change(changed, (j,), lambda n: replace(n, text=n.text + "x"))
    assert not compare(a, render(other_change), mode=mode, masks=MASKS).equal  # type: ignore[arg-type]


@given(snapshots(), st.sampled_from([*sorted(TEXT_MASKS), "domain"]), MODES)
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_masks_still_see_presence_against_absence(doc: Node, mask: str, mode: str) -> None:
    outer = "domain" if mask == "domain" else TEXT_MASKS[mask][0]
    i = child_index(doc, outer)
    assume(i is not None)
    without = replace(doc, children=tuple(c for c in doc.children if c.tag != outer))
    assert not compare(render(doc), render(without), mode=mode, masks=MASKS).equal  # type: ignore[arg-type]


@given(snapshots(), WORDS, MODES)
@settings(deadline=None)  # xmldiff can be slow on a loaded CI machine
def test_domain_mask_keeps_only_presence(doc: Node, word: str, mode: str) -> None:
    i = child_index(doc, "domain")
    assume(i is not None)
    assert i is not None
    other = Node(
        "domain",
        (("type", "xen"), ("id", "7")),
        None,
        (Node("name", (), word), Node("devices", (), None, (Node("disk", (("type", "file"),)),))),
    )
    changed = change(doc, (i,), lambda _: other)
    extras = (
        Node("inactiveDomain", (("type", "kvm"),), None, (Node("name", (), word),)),
        Node("cookie", (), None, (Node("cpu", (("mode", "custom"),)),)),
    )
    changed = replace(changed, children=changed.children + extras)
    a, b = render(doc), render(changed)
    assert not compare(a, b, mode=mode).equal  # type: ignore[arg-type]
    assert compare(a, b, mode=mode, masks=["domain"]).equal  # type: ignore[arg-type]
    assert "<domain></domain>" in canonicalize(b, masks=["domain"])


@given(snapshots(), st.data())
@settings(max_examples=50, deadline=None)
def test_malformed_input_raises_xml_error(doc: Node, data: st.DataObject) -> None:
    text = render(doc)
    cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1), label="cut")
    with pytest.raises(XmlError):
        canonicalize(text[:cut])
    with pytest.raises(XmlError, match="actual document"):
        compare(text, text[:cut])
    with pytest.raises(XmlError, match="expected document"):
        compare(text[:cut], text)
    with pytest.raises(XmlError):
        compare(text, text + "<extra/>")


# --------------------------------------------------------------------------- examples

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<domainsnapshot><name>&lol3;</name></domainsnapshot>"""


@pytest.mark.parametrize(
    "text",
    [
        BILLION_LAUGHS,
        '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><domainsnapshot>&x;</domainsnapshot>',
        '<!DOCTYPE domainsnapshot SYSTEM "http://example.invalid/x.dtd"><domainsnapshot/>',
        "<!DOCTYPE domainsnapshot><domainsnapshot/>",
        "<domainsnapshot>&undefined;</domainsnapshot>",
    ],
)
def test_entities_and_doctypes_are_refused(text: str) -> None:
    with pytest.raises(XmlError):
        canonicalize(text)
    with pytest.raises(XmlError):
        pretty(text)
    with pytest.raises(XmlError):
        compare("<domainsnapshot/>", text)


@pytest.mark.parametrize("text", ["", "   ", "not xml", "<a><b></a>", "<a/><b/>"])
def test_garbage_raises_xml_error(text: str) -> None:
    with pytest.raises(XmlError):
        canonicalize(text)


def test_unknown_mode_or_mask_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="mode"):
        canonicalize("<a/>", mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mask"):
        compare("<a/>", "<a/>", masks=["uuid"])
    with pytest.raises(ValueError, match="not the string"):
        compare("<a/>", "<a/>", masks="name")
    # options are checked before the documents are even parsed
    with pytest.raises(ValueError, match="mode"):
        compare("<<<", "<<<", mode="nope")  # type: ignore[arg-type]


def test_text_is_kept_verbatim_but_whitespace_only_nodes_go() -> None:
    assert not compare("<s><name> s1 </name></s>", "<s><name>s1</name></s>").equal
    assert compare("<s>\n  <d>\n  </d>\n</s>", "<s><d/></s>").equal
    assert not compare("<s><d>\u00a0</d></s>", "<s><d/></s>").equal  # a no-break space is data
    assert canonicalize("<s><n>a<!-- x -->b<?pi?>c</n></s>") == "<s><n>abc</n></s>"
    assert canonicalize("<s><n><![CDATA[<&>]]></n></s>") == "<s><n>&lt;&amp;&gt;</n></s>"
    assert canonicalize("<s b='1'\n a=\"2\"/>") == '<s a="2" b="1"></s>'


def test_pretty_is_indented_canonical_form() -> None:
    text = (
        "<domainsnapshot><disks><disk name='vda' snapshot='no'/></disks>"
        "<name>x</name></domainsnapshot>"
    )
    assert pretty(text, mode="semantic") == (
        "<domainsnapshot>\n"
        "  <disks>\n"
        '    <disk name="vda" snapshot="no"/>\n'
        "  </disks>\n"
        "  <name>x</name>\n"
        "</domainsnapshot>\n"
    )
    assert pretty(pretty(text)) == pretty(text)


def test_semantic_order_is_stable_for_repeated_tags() -> None:
    docs = [
        "<domainsnapshot>" + "".join(p) + "</domainsnapshot>"
        for p in permutations(["<x a='2'/>", "<x a='1'/>", "<name>n</name>", "<x a='1'>t</x>"])
    ]
    forms = {canonicalize(d, mode="semantic") for d in docs}
    assert len(forms) == 1
    assert len({canonicalize(d) for d in docs}) == len(docs)


def test_masks_are_neutral_when_their_element_is_absent() -> None:
    doc = "<domainsnapshot><state>running</state></domainsnapshot>"
    assert canonicalize(doc, masks=MASKS) == canonicalize(doc)


def test_parent_mask_touches_only_the_parent_name() -> None:
    a = "<domainsnapshot><name>a</name><parent><name>p1</name></parent></domainsnapshot>"
    b = "<domainsnapshot><name>a</name><parent><name>p2</name></parent></domainsnapshot>"
    c = "<domainsnapshot><name>b</name><parent><name>p2</name></parent></domainsnapshot>"
    assert compare(a, b, masks=["parent"]).equal
    assert not compare(a, c, masks=["parent"]).equal
    assert compare(a, c, masks=["parent", "name"]).equal


def test_edit_script_shows_old_and_new_values() -> None:
    a = (
        "<domainsnapshot><name>s1</name><memory snapshot='internal'/>"
        "<description>gone</description></domainsnapshot>"
    )
    b = "<domainsnapshot><name>s2</name><memory snapshot='external' file='/m'/></domainsnapshot>"
    script = compare(a, b).edit_script
    assert 'update-text /domainsnapshot/name[1]: "s1" -> "s2"' in script
    assert (
        'update-attribute /domainsnapshot/memory[1] @snapshot: "internal" -> "external"' in script
    )
    assert 'insert-attribute /domainsnapshot/memory[1] @file = "/m"' in script
    assert "delete /domainsnapshot/description[1] (was <description>gone</description>)" in script
    assert len(script.splitlines()) == 4


def test_namespaced_content_is_compared_and_diffed() -> None:
    a = (
        "<domainsnapshot><domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        "<qemu:commandline><qemu:arg value='-a'/></qemu:commandline></domain></domainsnapshot>"
    )
    b = a.replace("'-a'", "'-b'")
    result = compare(a, b)
    assert not result.equal
    assert '"-b"' in result.edit_script
    assert 'value="-b"' in result.unified_diff
    assert compare(a, b, masks=["domain"]).equal
    # C14N 2.0 keeps prefixes: another prefix for the same namespace is a difference (libvirt
    # always writes its own), which xmldiff cannot express; the unified diff shows it
    renamed = compare(a, a.replace("qemu:", "q:").replace("xmlns:qemu", "xmlns:q"))
    assert not renamed.equal
    assert "no edit actions" in renamed.edit_script
    assert "+    <q:commandline xmlns:q=" in renamed.unified_diff


def test_xmldiff_failure_falls_back_to_the_unified_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(compare_module, "diff_trees", boom)
    result = compare("<a x='1'/>", "<a x='2'/>")
    assert not result.equal
    assert "xmldiff failed" in result.edit_script and "kaboom" in result.edit_script
    assert '+<a x="2"/>' in result.unified_diff


def test_edit_script_skipped_for_huge_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare_module, "MAX_EDIT_SCRIPT_ELEMENTS", 3)
    result = compare("<a><b/><c/><d/></a>", "<a><b/><c/><e/></a>")
    assert "edit script skipped" in result.edit_script
    assert "-  <d/>" in result.unified_diff


def test_report_is_labelled() -> None:
    assert compare("<a/>", "<a/>").report() == "documents are equal\n"
    report = compare("<a x='1'/>", "<a x='2'/>").report()
    assert report.startswith("unified diff (expected -> actual):\n--- expected\n+++ actual\n")
    assert "\nedit script (expected -> actual):\n  update-attribute /a[1] @x" in report
    assert report.endswith("\n")


def test_misleading_rename_is_left_out_of_the_edit_script() -> None:
    # <state> missing, <memory> present: xmldiff "renames" one into the other
    expected = "<domainsnapshot><name>s</name><state>running</state></domainsnapshot>"
    actual = "<domainsnapshot><name>s</name><memory snapshot='no'/></domainsnapshot>"
    result = compare(expected, actual)
    assert "rename" not in result.edit_script.replace("rename(s)", "")
    assert "edit script omitted" in result.edit_script
    assert "-  <state>running</state>" in result.unified_diff
    assert '+  <memory snapshot="no"/>' in result.unified_diff


def test_domain_only_mask_keeps_the_cookie() -> None:
    a = "<domainsnapshot><domain type='qemu'><name>a</name></domain><cookie><x/></cookie>"
    a += "</domainsnapshot>"
    b = "<domainsnapshot><domain type='test'/><inactiveDomain/><cookie><x/></cookie>"
    b += "</domainsnapshot>"
    c = "<domainsnapshot><domain/><cookie><y/></cookie></domainsnapshot>"
    assert compare(a, b, masks=["domain-only"]).equal
    assert not compare(a, c, masks=["domain-only"]).equal
    assert compare(a, c, masks=["domain"]).equal


def test_root_children_in_a_namespace_the_root_declares() -> None:
    """The semantic sort and the edit script serialise a root child on its own: the
    declaration it uses comes from the root (lxml alone raised "not declared in scope")."""
    ns = "xmlns:x='urn:snapconform:test'"
    a = f"<domainsnapshot {ns}><x:b/><x:a/><name>s</name></domainsnapshot>"
    b = f"<domainsnapshot {ns}><x:a/><name>s</name><x:b/></domainsnapshot>"
    assert compare(a, b, mode="semantic").equal
    assert not compare(a, b).equal
    once = canonicalize(a, mode="semantic")
    assert canonicalize(once, mode="semantic") == once
    kept = f"<domainsnapshot {ns}><name>s</name><description>d</description>"
    gone = compare(kept + "<x:c a='1'/></domainsnapshot>", kept + "</domainsnapshot>")
    assert '(was <x:c xmlns:x="urn:snapconform:test" a="1"></x:c>)' in gone.edit_script
