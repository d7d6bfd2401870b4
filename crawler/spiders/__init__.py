"""Spiders: one config-driven spider, ``source``, reads its site from the sources file."""
