"""Canonical comparison of snapshot XML, with readable differences.

Two documents are compared through a canonical form:

* C14N 2.0 (attribute order and quoting, empty-element spelling, character references,
  CDATA sections and unused namespace declarations stop mattering);
* comments and processing instructions dropped;
* whitespace-only text nodes dropped, wherever they are (indentation between elements, and
  an element holding nothing but whitespace); any other text is kept verbatim, leading and
  trailing whitespace included, since libvirt keeps it;
* in ``semantic`` mode the children of the root element are sorted (libvirt's schema makes
  them an interleave), by tag and then canonical serialisation; order deeper down, such as
  the ``<disk>`` elements inside ``<disks>``, still matters;
* masks (:data:`MASKS`) neutralise values an implementation generates, in both documents,
  before anything is sorted or compared.

Every parse goes through :func:`harness.xmlsafe.parse_xml`; malformed or unsafe input raises
its :class:`~harness.xmlsafe.XmlError`. Unknown modes and masks raise :class:`ValueError`.

:func:`compare` gives a :class:`Comparison` with a unified diff of the pretty-printed
canonical documents (shown first: it always reads right) and an xmldiff edit script
(expected -> actual), omitted where xmldiff would explain the difference by renaming one
element into another.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Literal, get_args

from lxml import etree
from xmldiff.main import diff_trees
from xmldiff.patch import Patcher

from harness.xmlsafe import MAX_XML_BYTES, parse_xml

Mode = Literal["exact", "semantic"]

#: The comparison modes (see ``corpus/README.md``, section "compare").
MODES: frozenset[str] = frozenset(get_args(Mode))

#: The masks a case may ask for.
MASKS: frozenset[str] = frozenset({"creationTime", "name", "parent", "domain", "domain-only"})

#: Text that replaces a masked value (in both documents, so they agree).
MASK_TOKEN = "@MASKED@"

#: Above this many elements in either document the xmldiff edit script is skipped (its
#: matching is roughly quadratic: 500 elements take about 1.5 s on a 2-core machine); the
#: unified diff is always produced.
MAX_EDIT_SCRIPT_ELEMENTS = 500

#: The same bound on elements plus attributes (xmldiff compares attributes one by one).
MAX_EDIT_SCRIPT_NODES = 3 * MAX_EDIT_SCRIPT_ELEMENTS

#: At most this many actions of an edit script are rendered; the rest are counted.
MAX_EDIT_ACTIONS = 200

#: Longest rendering of a node or value inside an edit script line.
_MAX_SHOWN = 160


# --------------------------------------------------------------------------- options


def _check_options(mode: str, masks: Collection[str]) -> frozenset[str]:
    if mode not in MODES:
        raise ValueError(f"unknown comparison mode {mode!r}; known modes: {sorted(MODES)}")
    if isinstance(masks, str):
        raise ValueError(f"masks must be a collection of mask names, not the string {masks!r}")
    chosen = frozenset(masks)
    unknown = sorted(str(m) for m in chosen - MASKS)
    if unknown:
        raise ValueError(f"unknown mask(s) {unknown}; known masks: {sorted(MASKS)}")
    return chosen


# --------------------------------------------------------------------------- tree surgery


def _remove_keeping_tail(node: etree._Element) -> None:
    """Remove ``node`` from its parent; its tail text joins the preceding text."""
    parent = node.getparent()
    if parent is None:  # pragma: no cover - only called on non-root nodes
        return
    tail = node.tail
    if tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


#: XML's whitespace (str.strip() would also eat data such as a no-break space).
_XML_SPACE = " \t\r\n"


def _strip(root: etree._Element) -> None:
    """Drop comments, processing instructions and whitespace-only text, in place."""
    doomed = [
        node
        for node in root.iter()
        if isinstance(node, etree._Comment | etree._ProcessingInstruction)
    ]
    for node in doomed:
        _remove_keeping_tail(node)
    for element in root.iter():
        if element.text is not None and not element.text.strip(_XML_SPACE):
            element.text = None
        if element.tail is not None and not element.tail.strip(_XML_SPACE):
            element.tail = None
    root.tail = None


def _children(root: etree._Element, tag: str) -> list[etree._Element]:
    return [child for child in root if child.tag == tag]


def _apply_masks(root: etree._Element, masks: frozenset[str]) -> None:
    """Neutralise the masked values of the root element, in place.

    Masks apply to direct children of the root (whatever its name: a document with the
    wrong root differs anyway). A mask whose element is absent does nothing, so presence
    against absence is still a difference.
    """
    if "creationTime" in masks:
        for element in _children(root, "creationTime"):
            element.text = MASK_TOKEN
    if "name" in masks:
        for element in _children(root, "name"):
            element.text = MASK_TOKEN
    if "parent" in masks:
        for parent in _children(root, "parent"):
            for element in _children(parent, "name"):
                element.text = MASK_TOKEN
    if "domain" in masks or "domain-only" in masks:
        for element in _children(root, "domain"):
            tail = element.tail
            element.clear()  # attributes, text, children (and tail, restored below)
            element.tail = tail
        dropped = _children(root, "inactiveDomain")
        if "domain" in masks:
            dropped += _children(root, "cookie")
        for element in dropped:
            _remove_keeping_tail(element)


def _c14n(element: etree._Element) -> str:
    """C14N 2.0 serialisation of ``element`` (without its tail).

    A child is serialised from a copy: lxml's C14N 2.0 writer does not see the namespaces its
    ancestors declare (``<d xmlns:xi=...><xi:include/></d>``'s child raised ValueError), and a
    copy carries the declarations it uses."""
    if element.getparent() is not None:
        element = deepcopy(element)
        element.tail = None
    return etree.tostring(element, method="c14n2", with_comments=False).decode("utf-8")


def _sort_root_children(root: etree._Element) -> None:
    """Order the root's children by tag, then canonical form (semantic mode)."""
    children = list(root)
    keyed = sorted(children, key=lambda child: (str(child.tag), _c14n(child), child.tail or ""))
    if keyed != children:
        for child in children:
            root.remove(child)  # lxml keeps the tail with the element
        root.extend(keyed)


def canonical_tree(
    xml: str, *, mode: Mode = "exact", masks: Collection[str] = (), what: str = "document"
) -> etree._Element:
    """The canonical tree of ``xml`` (comments, whitespace-only text and masked values gone;
    the root's children sorted in ``semantic`` mode), for comparisons of other kinds."""
    return _canonical_tree(xml, mode, _check_options(mode, masks), what)


def _canonical_tree(xml: str, mode: str, masks: frozenset[str], what: str) -> etree._Element:
    root = parse_xml(xml, what=what)
    _strip(root)
    _apply_masks(root, masks)
    if mode == "semantic":
        _sort_root_children(root)
    return root


def _reparse(canonical: str, what: str) -> etree._Element:
    """Parse a canonical string of ours (C14N output can outgrow the input a little)."""
    size = len(canonical.encode("utf-8"))
    return parse_xml(canonical, max_bytes=max(MAX_XML_BYTES, size), what=what)


def _pretty_from_canonical(canonical: str, what: str) -> str:
    root = _reparse(canonical, what)
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- public API


def canonicalize(xml: str, *, mode: Mode = "exact", masks: Collection[str] = ()) -> str:
    """The canonical form of ``xml``: one line of C14N 2.0, no insignificant whitespace.

    Idempotent: ``canonicalize(canonicalize(x, ...), ...) == canonicalize(x, ...)``.
    """
    chosen = _check_options(mode, masks)
    return _c14n(_canonical_tree(xml, mode, chosen, "document"))


def pretty(xml: str, *, mode: Mode = "exact", masks: Collection[str] = ()) -> str:
    """The canonical form of ``xml`` indented by two spaces, one element per line."""
    return _pretty_from_canonical(canonicalize(xml, mode=mode, masks=masks), "document")


@dataclass(frozen=True)
class Comparison:
    """The verdict on two documents, with readable differences when they differ."""

    equal: bool
    #: xmldiff's edit script turning expected into actual, one action per line; "" if equal
    edit_script: str
    #: unified diff of the pretty-printed canonical documents; "" if equal
    unified_diff: str

    def report(self) -> str:
        """Both differences, labelled, for pytest output and results records: the unified
        diff first (it always reads right), then the edit script where it is not misleading."""
        if self.equal:
            return "documents are equal\n"
        diff = self.unified_diff or "(no textual difference)\n"
        if not diff.endswith("\n"):
            diff += "\n"
        return (
            f"unified diff (expected -> actual):\n{diff}"
            f"edit script (expected -> actual):\n{_indent(self.edit_script)}\n"
        )


def compare(
    expected: str, actual: str, *, mode: Mode = "exact", masks: Collection[str] = ()
) -> Comparison:
    """Compare two documents in ``mode`` after ``masks``.

    :raises XmlError: either document is malformed or unsafe (the message says which).
    :raises ValueError: unknown mode or mask.
    """
    chosen = _check_options(mode, masks)
    left_c14n = _c14n(_canonical_tree(expected, mode, chosen, "expected document"))
    right_c14n = _c14n(_canonical_tree(actual, mode, chosen, "actual document"))
    if left_c14n == right_c14n:
        return Comparison(equal=True, edit_script="", unified_diff="")
    left = _reparse(left_c14n, "canonical expected document")
    right = _reparse(right_c14n, "canonical actual document")
    unified = "".join(
        difflib.unified_diff(
            _pretty_from_canonical(left_c14n, "canonical expected document").splitlines(True),
            _pretty_from_canonical(right_c14n, "canonical actual document").splitlines(True),
            fromfile="expected",
            tofile="actual",
        )
    )
    return Comparison(equal=False, edit_script=_edit_script(left, right), unified_diff=unified)


# --------------------------------------------------------------------------- edit scripts


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _quote(value: object) -> str:
    return _shorten(json.dumps(value, ensure_ascii=False))


def _namespaces(*roots: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for root in roots:
        for element in root.iter():
            for prefix, uri in element.nsmap.items():
                if prefix is not None:
                    found.setdefault(prefix, uri)
    return found


def _lookup(tree: etree._Element, path: str, nsmap: dict[str, str]) -> etree._Element | None:
    found = tree.xpath(path, namespaces=nsmap)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _old_text(action: Any, replayed: str | None) -> str | None:
    old = getattr(action, "oldtext", None)
    return old if isinstance(old, str) else replayed


def _render(action: Any, node: etree._Element | None) -> str:
    """One readable line for an xmldiff action; ``node`` is its subject before the action."""
    kind = type(action).__name__
    if kind == "UpdateAttrib":
        old = node.get(action.name) if node is not None else None
        was = f"{_quote(old)} -> " if old is not None else ""
        return f"update-attribute {action.node} @{action.name}: {was}{_quote(action.value)}"
    if kind == "InsertAttrib":
        return f"insert-attribute {action.node} @{action.name} = {_quote(action.value)}"
    if kind == "DeleteAttrib":
        old = node.get(action.name) if node is not None else None
        was = f" (was {_quote(old)})" if old is not None else ""
        return f"delete-attribute {action.node} @{action.name}{was}"
    if kind == "RenameAttrib":
        return f"rename-attribute {action.node} @{action.oldname} -> @{action.newname}"
    if kind == "UpdateTextIn":
        old = _old_text(action, node.text if node is not None else None)
        return f"update-text {action.node}: {_quote(old)} -> {_quote(action.text)}"
    if kind == "UpdateTextAfter":
        old = _old_text(action, node.tail if node is not None else None)
        return f"update-text-after {action.node}: {_quote(old)} -> {_quote(action.text)}"
    if kind == "InsertNode":
        return f"insert <{action.tag}> into {action.target} at position {action.position}"
    if kind == "DeleteNode":
        was = f" (was {_shorten(_c14n(node))})" if node is not None else ""
        return f"delete {action.node}{was}"
    if kind == "MoveNode":
        return f"move {action.node} into {action.target} at position {action.position}"
    if kind == "RenameNode":
        return f"rename {action.node} -> <{action.tag}>"
    if kind == "InsertComment":
        return f"insert-comment into {action.target} at position {action.position}"
    if kind == "InsertNamespace":
        return f"insert-namespace {action.prefix}={_quote(action.uri)}"
    if kind == "DeleteNamespace":
        return f"delete-namespace {action.prefix}"
    return f"{kind} {tuple(action)!r}"  # pragma: no cover - a future xmldiff action


def _subject_path(action: Any) -> str | None:
    kind = type(action).__name__
    if kind in {"UpdateAttrib", "DeleteAttrib", "UpdateTextIn", "UpdateTextAfter", "DeleteNode"}:
        path = action.node
        return path if isinstance(path, str) else None
    return None


def _render_actions(actions: Iterable[Any], left: etree._Element, right: etree._Element) -> str:
    """Render actions, replaying them on a copy of ``left`` to show the values they replace.

    Should a replay step fail (xmldiff's paths are positional and namespaced ones can be
    awkward), the remaining lines are rendered without the old values.
    """
    work: etree._Element | None = deepcopy(left)
    patcher = Patcher()
    patcher._nsmap = nsmap = _namespaces(left, right)
    lines = []
    actions = list(actions)
    for action in actions[:MAX_EDIT_ACTIONS]:
        node = None
        path = _subject_path(action)
        if work is not None and path is not None:
            try:
                node = _lookup(work, path, nsmap)
            except Exception:
                node = None
        # rendered before the replay below changes the node: no copy needed (a copy per
        # action made an edit script quadratic in the size of the node)
        lines.append(_render(action, node))
        if work is not None:
            try:
                patcher.handle_action(action, work)
            except Exception:
                work = None
    if len(actions) > MAX_EDIT_ACTIONS:
        lines.append(
            f"(... {len(actions) - MAX_EDIT_ACTIONS} more actions not shown; see the unified diff)"
        )
    return "\n".join(lines)


def _edit_script(left: etree._Element, right: etree._Element) -> str:
    sizes = (sum(1 for _ in left.iter()), sum(1 for _ in right.iter()))
    if max(sizes) > MAX_EDIT_SCRIPT_ELEMENTS:
        return (
            f"(edit script skipped: the documents have {sizes[0]} and {sizes[1]} elements,"
            f" more than {MAX_EDIT_SCRIPT_ELEMENTS}; see the unified diff)"
        )
    nodes = [sum(1 + len(e.attrib) for e in root.iter()) for root in (left, right)]
    if max(nodes) > MAX_EDIT_SCRIPT_NODES:
        return (
            f"(edit script skipped: the documents have {nodes[0]} and {nodes[1]} elements and"
            f" attributes, more than {MAX_EDIT_SCRIPT_NODES}; see the unified diff)"
        )
    try:
        actions = list(diff_trees(left, right))
    except Exception as exc:
        return f"(xmldiff failed: {type(exc).__name__}: {exc}; see the unified diff)"
    if not actions:
        return "(xmldiff found no edit actions; see the unified diff)"
    renamed = [a for a in actions if type(a).__name__ == "RenameNode"]
    if renamed:
        # xmldiff matched two different elements and "renamed" one into the other (e.g.
        # "rename state -> memory" where <state> is missing): true as an edit, misleading
        # as an explanation; the unified diff says it plainly
        return (
            f"(edit script omitted: xmldiff matched differently named elements and would "
            f"show {len(renamed)} rename(s) that mislead; see the unified diff)"
        )
    try:
        return _render_actions(actions, left, right)
    except Exception as exc:
        return "\n".join(
            [f"(rendering the edit script failed: {type(exc).__name__}: {exc})"]
            + [f"{type(a).__name__} {tuple(a)!r}" for a in actions]
        )


__all__ = [
    "MASKS",
    "MASK_TOKEN",
    "MODES",
    "Comparison",
    "Mode",
    "canonical_tree",
    "canonicalize",
    "compare",
    "pretty",
]
