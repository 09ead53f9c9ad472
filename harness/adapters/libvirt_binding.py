"""``libvirt:URI`` and ``python-libvirt:MODULE[@URI]``: libvirt through its Python binding.

``libvirt:URI`` imports the real binding (PyPI ``libvirt-python``, the ``libvirt`` extra).
``python-libvirt:MODULE`` drives any module of the same shape instead, so a mock or a
reimplementation of the binding can be checked against the corpus; without ``@URI`` it
opens ``$LIBVIRT_DEFAULT_URI`` or ``test:///default``. Error codes come from
``libvirtError.get_error_code()``, mapped to their ``VIR_ERR_*`` names.
"""

from __future__ import annotations

import importlib
from typing import Any

from harness.adapters.base import AdapterError
from harness.adapters.virsh import default_uri, install_sigterm
from harness.contract import Identity, Outcome, Request
from harness.host.binding import BindingBackend
from harness.host.runner import HostRunner
from harness.host.safety import HostOptions
from harness.ordering import FixtureKey


def load_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        hint = " (pip install 'snapconform[libvirt]')" if name == "libvirt" else ""
        raise AdapterError(f"cannot import {name!r}{hint}: {exc}") from exc


class LibvirtAdapter:
    kind = "libvirt"

    def __init__(
        self, uri: str, *, module: str = "libvirt", options: HostOptions | None = None
    ) -> None:
        uri = uri or default_uri()
        self.options = options or HostOptions.from_env()
        if self.options.dry_run:
            raise AdapterError("--dry-run prints virsh commands: use a virsh: implementation")
        self.connectable = (
            f"libvirt:{uri}" if module == "libvirt" else f"python-libvirt:{module}@{uri}"
        )
        self.backend = BindingBackend(load_module(module), uri, timeout=self.options.timeout)
        name = "libvirt (python binding)" if module == "libvirt" else f"libvirt binding {module}"
        self.runner = HostRunner(self.backend, self.options, name=name)
        self.scratch = self.runner.scratch
        install_sigterm()

    @classmethod
    def from_module_target(cls, target: str, options: HostOptions | None = None) -> LibvirtAdapter:
        """``MODULE[@URI]`` as in ``python-libvirt:MODULE[@URI]``."""
        module, _, uri = target.partition("@")
        if not module:
            raise AdapterError("python-libvirt: needs a module, as in python-libvirt:pkg.mod[@URI]")
        return cls(uri, module=module, options=options)

    def identify(self) -> Identity:
        return self.runner.identify()

    def run(self, request: Request) -> Outcome:
        return self.runner.run(request)

    def fixture_key(self, request: Request) -> FixtureKey:
        return self.runner.fixture_key(request)

    def close(self) -> None:
        self.runner.close()
