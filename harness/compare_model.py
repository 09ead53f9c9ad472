"""The ``model`` class's comparison: is the content of a document preserved?

An XML model of ``<domainsnapshot>`` (a library that parses the document into objects and
formats them again) is not libvirt's formatter. It is judged on content, not on libvirt's
bytes:

* every document is reduced to *facts*: each element, each attribute value and each text,
  at a path that numbers an element only among the siblings of the same name
  (``/domainsnapshot/disks[1]/disk[2]/source[1] @file``). So the order of differently named
  siblings never matters (libvirt's schema makes the children of ``<domainsnapshot>`` and of
  a ``<disk>`` an interleave), while the order of ``<disk>`` elements inside ``<disks>``,
  which libvirt keeps, still does;
* **required**: each fact of libvirt's output whose place (path, and attribute name) the
  input already filled: what the document said, in libvirt's normalised spelling;
* **allowed**: the facts of libvirt's output and of the input. A fact libvirt's formatter
  adds where the input said nothing (``<memory snapshot='internal'/>`` for a running
  snapshot without ``<memory>``, ``snapshot='external'`` beside a ``file``) is a *formatter
  default*: the model may write it, with libvirt's value, or leave it out;
* the answer passes when it holds every required fact and nothing outside the allowed ones.

Masks apply as in :mod:`harness.compare`, to all three documents.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass

from lxml import etree

from harness.compare import canonical_tree

#: (path, what) -> value; ``what`` is ``element``, ``text`` or ``@name``.
Facts = dict[tuple[str, str], str]


def _local(text: str | bytes) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text


def facts(root: etree._Element) -> Facts:
    """The facts of a canonical tree (see the module's docstring)."""
    out: Facts = {}

    def walk(element: etree._Element, path: str) -> None:
        out[(path, "element")] = ""
        for name, value in element.attrib.items():
            out[(path, "@" + _local(name))] = _local(value)
        if element.text:
            out[(path, "text")] = element.text
        seen: dict[str, int] = {}
        for child in element:
            tag = _local(child.tag)
            seen[tag] = seen.get(tag, 0) + 1
            walk(child, f"{path}/{tag}[{seen[tag]}]")

    walk(root, f"/{_local(root.tag)}")
    return out


def _show(key: tuple[str, str], value: str | None = None) -> str:
    path, what = key
    if what == "element":
        return f"<{path}>"
    shown = "" if value is None else f" = {value!r}"
    return f"{path} {what}{shown}"


@dataclass(frozen=True)
class ModelComparison:
    """The verdict of the model comparison, with what a person needs to see why."""

    equal: bool
    #: one line per missing, changed or unexpected fact; empty when equal
    problems: tuple[str, ...]
    #: unified diff of the canonical documents (root children sorted), expected -> actual
    unified_diff: str

    def report(self) -> str:
        if self.equal:
            return "content is preserved\n"
        diff = self.unified_diff or "(no textual difference)\n"
        return (
            f"unified diff of the canonical documents (libvirt's output -> actual):\n{diff}"
            "content (model class: formatter defaults optional, order of differently named "
            "elements ignored):\n" + "".join(f"  {line}\n" for line in self.problems)
        )


def _pretty(root: etree._Element) -> list[str]:
    etree.indent(root, space="  ")
    return (etree.tostring(root, encoding="unicode") + "\n").splitlines(True)


def compare_model(
    source: str, expected: str, actual: str, *, masks: Collection[str] = ()
) -> ModelComparison:
    """Judge ``actual`` (a model's output for the input ``source``) against ``expected``
    (libvirt's output for it).

    :raises XmlError: a document is malformed or unsafe.
    """
    trees = [
        canonical_tree(text, mode="semantic", masks=masks, what=what)
        for text, what in (
            (source, "input document"),
            (expected, "expected document"),
            (actual, "actual document"),
        )
    ]
    given, wanted, got = (facts(t) for t in trees)
    required = {k: v for k, v in wanted.items() if k in given}
    allowed = set(wanted.items()) | set(given.items())
    problems: list[str] = []
    lost = {path for (path, what) in required if what == "element" and (path, what) not in got}
    extra = {
        path
        for (path, what) in got
        if what == "element" and (path, what) not in wanted and (path, what) not in given
    }

    def under(path: str, roots: set[str]) -> bool:
        return any(path == r or path.startswith(r + "/") for r in roots)

    for key, value in sorted(required.items()):
        if key[1] == "element" and key[0] in lost:
            if not under(key[0].rpartition("/")[0], lost):
                problems.append(f"missing: element {key[0]} (and all it holds)")
        elif under(key[0], lost):
            continue
        elif key not in got:
            problems.append(f"missing: {_show(key, value)}")
        elif got[key] != value:
            problems.append(f"changed: {_show(key)}: expected {value!r}, got {got[key]!r}")
    for key, value in sorted(got.items()):
        if (key, value) in allowed or key in required:  # required: judged above
            continue
        if key[1] == "element" and key[0] in extra:
            if not under(key[0].rpartition("/")[0], extra):
                problems.append(f"unexpected: element {key[0]} (and all it holds)")
        elif under(key[0], extra):
            continue
        elif key in wanted:
            problems.append(f"changed: {_show(key)}: expected {wanted[key]!r}, got {value!r}")
        else:
            problems.append(f"unexpected: {_show(key, value)}")
    if not problems:
        return ModelComparison(True, (), "")
    unified = "".join(
        difflib.unified_diff(
            _pretty(trees[1]), _pretty(trees[2]), fromfile="expected", tofile="actual"
        )
    )
    return ModelComparison(False, tuple(problems), unified)


__all__ = ["Facts", "ModelComparison", "compare_model", "facts"]
