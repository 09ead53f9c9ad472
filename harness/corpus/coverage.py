"""Which elements and attributes of libvirt's snapshot schema the corpus exercises.

The schema is libvirt's installed ``domainsnapshot.rng`` (read at run time, never copied).
Its grammar is walked from ``<start>``, following ``<ref>`` into every included file
(domaincommon.rng, storagecommon.rng, basictypes.rng, ...), and each ``<element>`` and
``<attribute>`` reached becomes an *item*, named by its path from the root:
``domainsnapshot/disks/disk/source/@file``. Nested ``<grammar>`` blocks (the embedded
``<domain>`` and ``<inactiveDomain>``, the whole domain schema) are items themselves, not
walked into. ``<notAllowed/>`` patterns yield nothing; ``anyName`` is ``*``.

An item is exercised by a case when the case's input or one of its ``existing-*.xml``
documents (what is sent to the implementation) has an element or attribute at that path.
Items no case exercises must be listed, each with its reason, in
``corpus/coverage-exceptions.json``; ``snapconform check`` fails otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..xmlsafe import XmlError, parse_xml
from .model import Corpus, CorpusError, read_text, substitute

RNG = "{http://relaxng.org/ns/structure/1.0}"
SCHEMA = Path("/usr/share/libvirt/schemas/domainsnapshot.rng")
EXCEPTIONS = "coverage-exceptions.json"
_MAX_DEPTH = 12
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


@dataclass
class _Grammar:
    defines: dict[str, list[etree._Element]] = field(default_factory=dict)
    start: list[etree._Element] = field(default_factory=list)


def _load(path: Path, grammar: _Grammar, seen: set[Path]) -> None:
    """Collect the defines and start of ``path`` and of the files it includes."""
    path = path.resolve()
    if path in seen:
        return
    seen.add(path)
    root = etree.parse(str(path), _PARSER).getroot()
    for child in root:
        if child.tag == f"{RNG}include":
            sub = _Grammar()
            _load(path.parent / str(child.get("href")), sub, seen)
            overrides = [d for d in child if d.tag == f"{RNG}define"]
            for d in overrides:  # a define inside <include> replaces the included one
                sub.defines.pop(str(d.get("name")), None)
            for name, defs in sub.defines.items():
                grammar.defines.setdefault(name, []).extend(defs)
            for d in overrides:
                grammar.defines.setdefault(str(d.get("name")), []).append(d)
            grammar.start.extend(sub.start)
        elif child.tag == f"{RNG}define":  # plain or combine="choice|interleave": merged
            grammar.defines.setdefault(str(child.get("name")), []).append(child)
        elif child.tag == f"{RNG}start":
            grammar.start.append(child)


def _name_of(node: etree._Element) -> str:
    if node.get("name") is not None:
        return str(node.get("name")).strip()
    for child in node:
        if child.tag == f"{RNG}name":
            return (child.text or "").strip()
    return "*"


class _Walker:
    def __init__(self, base: Path, grammar: _Grammar) -> None:
        self.base = base
        self.grammar = grammar
        self.items: dict[str, str] = {}  # path -> "element" | "attribute" | "grammar"
        self._seen: set[tuple[str, str]] = set()

    def walk(self, nodes: Iterable[etree._Element], path: str, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            return
        for node in nodes:
            tag = node.tag
            if not isinstance(tag, str):
                continue
            if tag == f"{RNG}element":
                name = _name_of(node)
                if name == "*" and path.endswith("/*"):
                    continue  # any element inside any element: the outer item covers it
                here = f"{path}/{name}" if path else name
                key = (f"{node.base}:{node.sourceline}", here)
                if key in self._seen:
                    continue
                self._seen.add(key)
                self.items.setdefault(here, "element")
                self.walk(node, here, depth + 1)
            elif tag == f"{RNG}attribute":
                self.items.setdefault(f"{path}/@{_name_of(node)}", "attribute")
            elif tag == f"{RNG}ref":
                name = str(node.get("name"))
                if (name, path) in self._seen:
                    continue
                self._seen.add((name, path))
                for define in self.grammar.defines.get(name, []):
                    self.walk(define, path, depth + 1)
            elif tag == f"{RNG}grammar":
                for element in self._nested_roots(node):
                    self.items.setdefault(f"{path}/{element}", "grammar")
            elif tag in (f"{RNG}notAllowed", f"{RNG}name", f"{RNG}anyName", f"{RNG}nsName"):
                continue
            else:
                self.walk(node, path, depth)

    def _nested_roots(self, grammar_node: etree._Element) -> list[str]:
        nested = _Grammar()
        seen: set[Path] = set()
        for inc in grammar_node:
            if inc.tag == f"{RNG}include":
                _load(self.base.parent / str(inc.get("href")), nested, seen)
        names: list[str] = []

        def first_elements(nodes: Iterable[etree._Element], depth: int) -> None:
            for node in nodes:
                if not isinstance(node.tag, str) or depth > _MAX_DEPTH:
                    continue
                if node.tag == f"{RNG}element":
                    names.append(_name_of(node))
                elif node.tag == f"{RNG}ref":
                    for define in nested.defines.get(str(node.get("name")), []):
                        first_elements(define, depth + 1)
                else:
                    first_elements(node, depth)

        for start in nested.start:
            first_elements(start, 0)
        return sorted(set(names))


def schema_items(schema: Path = SCHEMA) -> dict[str, str]:
    """Every element and attribute path of the snapshot schema, with its kind."""
    grammar = _Grammar()
    _load(schema, grammar, set())
    walker = _Walker(schema.resolve(), grammar)
    for start in grammar.start:
        walker.walk(start, "")
    return dict(sorted(walker.items.items()))


def _document_paths(root: etree._Element) -> set[str]:
    paths: set[str] = set()

    def visit(node: etree._Element, prefix: str) -> None:
        qname = etree.QName(node)
        name = qname.localname if qname.namespace is None else "*"
        here = f"{prefix}/{name}" if prefix else name
        paths.add(here)
        for attr in node.attrib:
            aq = etree.QName(attr)
            paths.add(f"{here}/@{aq.localname if aq.namespace is None else '*'}")
        for child in node:
            if isinstance(child.tag, str):
                visit(child, here)

    visit(root, "")
    return paths


def _matches(item: str, path: str) -> bool:
    a, b = item.split("/"), path.split("/")
    if len(a) != len(b):
        return False
    return all(x == y or x in ("*", "@*") for x, y in zip(a, b, strict=True))


def case_paths(corpus: Corpus, tokens: dict[str, str]) -> dict[str, set[str]]:
    """For each case id: the element and attribute paths of the documents it sends."""
    out: dict[str, set[str]] = {}
    for case in corpus.cases:
        names = [case.input, *(case.context_data or {}).get("existing", [])]
        paths: set[str] = set()
        for name in names:
            try:
                root = parse_xml(substitute(read_text(case.path / name), tokens))
            except (XmlError, CorpusError, OSError, UnicodeDecodeError):
                continue
            paths |= _document_paths(root)
        out[case.id] = paths
    return out


@dataclass(frozen=True)
class Coverage:
    items: dict[str, str]
    cases: dict[str, list[str]]  # item -> case ids
    exceptions: dict[str, str]  # item -> reason

    @property
    def uncovered(self) -> list[str]:
        return [i for i in self.items if not self.cases[i] and i not in self.exceptions]

    @property
    def stale_exceptions(self) -> list[str]:
        return [i for i in self.exceptions if i not in self.items or self.cases.get(i)]

    def percent(self) -> float:
        covered = sum(1 for i in self.items if self.cases[i])
        return 100.0 * covered / len(self.items) if self.items else 100.0


def read_exceptions(root: Path) -> dict[str, str]:
    path = root / EXCEPTIONS
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.get("items", {}).items()}


def coverage(corpus: Corpus, root: Path, tokens: dict[str, str], schema: Path = SCHEMA) -> Coverage:
    items = schema_items(schema)
    per_case = case_paths(corpus, tokens)
    cases = {
        item: sorted(
            cid for cid, paths in per_case.items() if any(_matches(item, p) for p in paths)
        )
        for item in items
    }
    return Coverage(items, cases, read_exceptions(root))


def problems(cov: Coverage) -> list[str]:
    out = [
        f"{EXCEPTIONS}: {item}: no case exercises it and no exception explains why"
        for item in cov.uncovered
    ]
    out += [
        f"{EXCEPTIONS}: {item}: listed as an exception but "
        + ("a case exercises it" if item in cov.items else f"not in {SCHEMA.name}")
        for item in cov.stale_exceptions
    ]
    return out
