"""Extraction of clean text and speech metadata from stored pages: pure functions."""
