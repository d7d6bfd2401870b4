"""Repost clusters: fingerprints, matching and incremental clustering of documents into speeches."""
