"""snapconform: conformance harness for libvirt's domain snapshot XML."""

from importlib import metadata

try:
    __version__ = metadata.version("snapconform")
except metadata.PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"
