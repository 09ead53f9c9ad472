"""A stand-in for ``virsh`` in shell mode: canned answers, readline-style echo.

Run as ``python fake_virsh.py -q -c URI``; it echoes each command line after a ``virsh # ``
prompt (as readline does when standard input is not a terminal), then answers:

* ``echo [--err] WORDS`` - like virsh (stdout without a newline; ``--err`` as an error);
* ``uri`` / ``version [--daemon]`` - canned identity of a QEMU host: a 9.0.0 client
  against a daemon of version ``$FAKE_VIRSH_DAEMON`` (default 9.0.0), QEMU
  ``$FAKE_VIRSH_QEMU`` (default 7.2.22);
* ``xml-error``, ``schema-error``, ``detail-error`` - typical libvirt errors, preceded by
  virsh's own "Failed to ..." line;
* ``big N`` - N lines of output;
* ``die`` - exit at once (a session that dies); ``hang`` - never answer;
* ``count`` - how many commands this process has answered (restarts start again at 1).
"""

from __future__ import annotations

import os
import shlex
import sys
import time


def main() -> int:
    uri = sys.argv[sys.argv.index("-c") + 1] if "-c" in sys.argv else "test:///default"
    out, err = sys.stdout, sys.stderr
    answered = 0
    for raw in sys.stdin:
        line = raw.rstrip("\n")
        out.write(f"virsh # {line}\n")
        out.flush()
        words = shlex.split(line)
        if not words:
            continue
        answered += 1
        cmd, args = words[0], words[1:]
        if cmd == "echo":
            if args and args[0] == "--err":
                err.write("error: " + " ".join(args[1:]) + "\n")
            else:
                out.write(" ".join(args))
        elif cmd == "uri":
            out.write(uri + "\n")
        elif cmd == "version":
            daemon = os.environ.get("FAKE_VIRSH_DAEMON", "9.0.0")
            qemu = os.environ.get("FAKE_VIRSH_QEMU", "7.2.22")
            out.write(
                "Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\n"
                f"Using API: QEMU 9.0.0\nRunning hypervisor: QEMU {qemu}\n"
            )
            if "--daemon" in args:
                out.write(f"Running against daemon: {daemon}\n")
        elif cmd == "xml-error":
            err.write("error: Failed to create snapshot from x.xml\n")
            err.write("error: XML error: external memory snapshots require a filename\n")
        elif cmd == "schema-error":
            err.write(
                "error: XML document failed to validate against schema: Unable to validate "
                "doc against /usr/share/libvirt/schemas/domainsnapshot.rng\n"
                "Extra element memory in interleave\n"
            )
        elif cmd == "detail-error":
            err.write("error: (domain_snapshot):6: Opening and ending tag mismatch: disks\n")
        elif cmd == "big":
            for i in range(int(args[0])):
                out.write(f"line {i} " + "x" * 60 + "\n")
        elif cmd == "count":
            out.write(f"{answered}\n")
        elif cmd == "die":
            return 3
        elif cmd == "hang":
            time.sleep(3600)
        elif cmd == "quit":
            return 0
        else:
            err.write(f"error: unknown command: '{cmd}'\n")
        out.flush()
        err.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
