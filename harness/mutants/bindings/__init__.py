"""Binding-shaped mutant modules, made on import from :mod:`harness.mutants.binding`.

``import harness.mutants.bindings.<mutant_id>`` (``-`` written ``_``) gives a module that
stands in for the ``libvirt`` binding, wrong in that mutant's rule.
"""

from harness.mutants.binding import install

install()
