"""What a qcow2 image's header says: its internal snapshots and whether it has a backing file.

On a remote host the harness cannot run ``qemu-img`` on the images; it reads their first
bytes through libvirt instead (``vol-download --offset --length``) and parses them here. The
layout is QEMU's documented qcow2 format (docs/interop/qcow2.txt, versions 2 and 3): a
big-endian header, with ``backing_file_offset`` at byte 8, ``nb_snapshots`` at byte 60 and
``snapshots_offset`` at byte 64; each snapshot table entry holds a fixed 40-byte part, extra
data, then the id and the name, padded to a multiple of 8 bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"QFI\xfb"
#: bytes of the header the fields below need (version 2's fixed header is 72 bytes)
HEADER_BYTES = 72
_ENTRY = struct.Struct(">QIHHIIQII")  # the fixed part of a snapshot table entry (40 bytes)


class Qcow2Error(ValueError):
    """The bytes are not a qcow2 image this module can read."""


@dataclass(frozen=True)
class Header:
    version: int
    backing: bool
    snapshots: int
    snapshots_offset: int


def parse_header(data: bytes) -> Header:
    if len(data) < HEADER_BYTES or data[:4] != MAGIC:
        raise Qcow2Error("not a qcow2 header")
    (version,) = struct.unpack_from(">I", data, 4)
    (backing_offset,) = struct.unpack_from(">Q", data, 8)
    count, offset = struct.unpack_from(">IQ", data, 60)
    if version not in (2, 3):
        raise Qcow2Error(f"qcow2 version {version}")
    return Header(version, backing_offset != 0, count, offset)


def snapshot_names(table: bytes, count: int) -> list[str]:
    """Names of the ``count`` entries at the start of ``table`` (the snapshot table)."""
    names: list[str] = []
    pos = 0
    for _ in range(count):
        if pos + _ENTRY.size > len(table):
            raise Qcow2Error("snapshot table truncated")
        fields = _ENTRY.unpack_from(table, pos)
        id_size, name_size, extra_size = fields[2], fields[3], fields[8]
        start = pos + _ENTRY.size + extra_size + id_size
        end = start + name_size
        if end > len(table):
            raise Qcow2Error("snapshot table truncated")
        names.append(table[start:end].decode("utf-8", "replace"))
        pos = end + (-(end - pos) % 8)
    return names
