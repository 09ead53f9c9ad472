"""One third-party implementation's manifest, ``implementations/<name>/implementation.json``.

Adding an implementation is adding a folder with this file (README.md beside it)::

    {
      "name": "libvirt-gconfig",
      "impl": "python:snapconform_gconfig",
      "pythonpath": ["."],
      "classes": ["model"],
      "known_failures": "known-failures.json",
      "probe": "import gi; gi.require_version('LibvirtGConfig', '1.0')",
      "install": {"apt": ["gir1.2-libvirt-glib-1.0", "python3-gi"]}
    }

``impl`` is the connectable ``snapconform run --impl`` is given; ``pythonpath`` (folders
relative to the manifest) goes before ``PYTHONPATH`` for the run; ``classes`` are the
conformance classes the adapter's ``identify()`` claims (checked by the tests);
``known_failures`` is the implementation's known-failures file (``--expectations``; every
entry a triaged defect of the library); ``probe`` is Python code that succeeds exactly when
the library is installed for this interpreter; ``install`` names the packages that install
it, by installer (``apt``, ``pip``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = "implementation.json"
INSTALLERS = ("apt", "pip")
CLASSES = ("model", "libvirt-format", "semantics", "host")


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class Implementation:
    name: str
    folder: Path
    impl: str
    classes: tuple[str, ...]
    known_failures: Path
    probe: str
    pythonpath: tuple[Path, ...] = ()
    install: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _strings(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ManifestError(f"{path}: {key!r} must be a list of non-empty strings")
    return tuple(value)


def load(path: Path) -> Implementation:
    """The manifest at ``path``, checked for shape."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: expected a JSON object")
    for key in ("name", "impl", "known_failures", "probe"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ManifestError(f"{path}: needs {key!r} (a non-empty string)")
    folder = path.parent
    if data["name"] != folder.name:
        raise ManifestError(f"{path}: name {data['name']!r} is not the folder's {folder.name!r}")
    classes = _strings(path, "classes", data.get("classes"))
    unknown = set(classes) - set(CLASSES)
    if unknown or not classes:
        raise ManifestError(f"{path}: 'classes' must name some of {', '.join(CLASSES)}")
    install = data.get("install", {})
    if not isinstance(install, dict) or set(install) - set(INSTALLERS):
        raise ManifestError(f"{path}: 'install' maps {' or '.join(INSTALLERS)} to packages")
    known = folder / data["known_failures"]
    if not known.is_file():
        raise ManifestError(f"{path}: known-failures file {known} is missing")
    return Implementation(
        name=data["name"],
        folder=folder,
        impl=data["impl"],
        classes=classes,
        known_failures=known,
        probe=data["probe"],
        pythonpath=tuple(
            (folder / p).resolve() for p in _strings(path, "pythonpath", data.get("pythonpath", []))
        ),
        install={k: _strings(path, f"install.{k}", v) for k, v in install.items()},
    )


def discover(root: Path = HERE) -> list[Implementation]:
    """Every implementation under ``root``, by name."""
    return [load(p) for p in sorted(root.glob(f"*/{MANIFEST}"))]
