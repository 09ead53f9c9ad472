"""Mutants: implementations that are wrong in exactly one rule of the catalogue.

``reference``: the reference implementation with one rule broken (``python:``);
``binding``: the real libvirt binding, wrong in one rule of what it returns
(``python-libvirt:``); ``run``: ``snapconform mutants``. See docs/rules.md.
"""
