"""Commitments: find, normalise and track what officials promise."""
