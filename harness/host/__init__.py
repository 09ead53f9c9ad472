"""Real libvirt hosts: scratch domains, the run journal, cleanup and host safety.

Shared by the ``virsh:`` and ``libvirt:`` adapters (see ``docs/host.md``):

* :mod:`harness.host.errors` - libvirt error messages and codes, in one table;
* :mod:`harness.host.backend` - the few host operations the harness needs, as a protocol;
* :mod:`harness.host.virsh` / :mod:`harness.host.binding` - that protocol over a virsh
  shell session or over the libvirt Python binding;
* :mod:`harness.host.journal` - the per-run directory, its lock and its journal;
* :mod:`harness.host.safety` - options, refusal rules, path checks;
* :mod:`harness.host.domains` - scratch domains (fixtures): provision, reset, recreate;
* :mod:`harness.host.documents` - translating corpus documents onto the scratch domain;
* :mod:`harness.host.runner` - identify() and run() on top of a backend;
* :mod:`harness.host.cleanup` - removing what a run (or a killed run) left behind.
"""
