"""The reference's schema check (``--validate``): libvirt's installed domainsnapshot.rng when
there is one, else the hand-written stand-in; both refuse what libvirt 9.0.0 refuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.reference import rng
from harness.reference.errors import SnapshotError
from harness.reference.parse import read_document
from tests.needs import require

STARTUP_POLICY = (
    "<domainsnapshot><disks><disk name='vda' snapshot='external'>"
    "<source file='/s/vda.sp' startupPolicy='optional'/></disk></disks></domainsnapshot>"
)
NETWORK_CHILD = (
    "<domainsnapshot><disks><disk name='vda' snapshot='external' type='network'>"
    "<source protocol='nbd' name='x'><host name='h'/><bogus/></source></disk></disks>"
    "</domainsnapshot>"
)
VALID = (
    "<domainsnapshot><disks><disk name='vda' snapshot='external' type='network'>"
    "<source protocol='nbd' name='x'><host name='h' port='10809'/></source></disk>"
    "</disks></domainsnapshot>"
)

installed = pytest.mark.needs("libvirt-schemas")


@pytest.fixture(params=["installed", "stand-in"])
def which(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "installed":
        require("libvirt-schemas")
    else:
        monkeypatch.setattr(rng, "installed_schema", lambda: None)
    yield str(request.param)


@pytest.mark.parametrize("doc", [STARTUP_POLICY, NETWORK_CHILD], ids=["startup", "netchild"])
def test_refused(which: str, doc: str) -> None:
    with pytest.raises(SnapshotError) as err:
        rng.validate(read_document(doc))
    assert err.value.code == "VIR_ERR_XML_INVALID_SCHEMA"
    assert err.value.message.startswith(
        f"XML document failed to validate against schema: Unable to validate doc against "
        f"{rng.SCHEMA_PATH}\n"
    )


def test_valid_passes(which: str) -> None:
    rng.validate(read_document(VALID))


@installed
def test_installed_schema_lists_libxml2s_messages() -> None:
    with pytest.raises(SnapshotError) as err:
        rng.validate(read_document(STARTUP_POLICY))
    assert "Element domainsnapshot failed to validate content" in err.value.message
