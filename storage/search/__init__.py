"""Full-text search over speeches and commitments: the folded text form, the index and its queries."""

from storage.search.fold import fold
from storage.search.index import (
    index_commitments,
    index_speeches,
    rebuild,
    refresh_commitment_index,
    refresh_speech_index,
)

__all__ = ["fold", "index_commitments", "index_speeches", "rebuild", "refresh_commitment_index", "refresh_speech_index"]
