"""Is document B a copy of the same speech as document A?  Pure rules with explainable reasons.

- near-duplicate: simhash Hamming distance ≤ 3 (retitled, re-scripted, re-wrapped or lightly edited copies);
- containment: the shorter body's 5-gram shingles are almost all in the longer one (copies cut at the end or
  in the middle, copies with injected spam lines). The shorter body must be long enough: very short texts never
  merge on containment alone.
Pages that carry several speeches (compilations) link to each speech they contain but never merge them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.dedup.fingerprint import containment, hamming, shingles
from monitor.extract.script import to_simplified

NEAR_DISTANCE = 3  # bits
MIN_SIMHASH_LENGTH = 100  # normalised characters for a near-duplicate link
MIN_CONTAINMENT_LENGTH = 300  # normalised characters of the shorter body for a containment link
CONTAINMENT = 0.7  # share of the shorter body's shingles found in the longer one
DASHES = "—－─-"
_DASH_STARTS = tuple(DASHES)
SECOND_SPEECH = re.compile(rf"^[{DASHES}]{{1,2}}\s*[(（]?\s*在.{{2,60}}?上?的(讲话|致辞|发言|报告)")


def is_compilation(text: str) -> bool:
    """A body that holds another speech's header (``——在…上的讲话``) after its own start carries several."""
    lines = text.splitlines()  # only a line opening with a dash can match (its script converted then)
    return any(line.startswith(_DASH_STARTS) and SECOND_SPEECH.match(to_simplified(line)) for line in lines[3:])


@dataclass
class Copy:
    """What matching needs to know of one document."""

    id: int
    simhash: int
    length: int
    match_text: str
    compilation: bool = False
    _shingles: set[int] | None = field(default=None, repr=False)

    @property
    def shingles(self) -> set[int]:
        if self._shingles is None:
            self._shingles = shingles(self.match_text)
        return self._shingles


@dataclass(frozen=True)
class Link:
    other: int
    reason: str  # "near-duplicate" | "contained" | "contains" | "compilation part"
    distance: int
    containment: float

    def as_dict(self) -> dict:
        return {"anchor": self.other, "reason": self.reason, "distance": self.distance,
                "containment": round(self.containment, 3)}  # fmt: skip


def compare(new: Copy, known: Copy) -> Link | None:
    """How ``new`` relates to ``known``, or None when they are different texts."""
    distance = hamming(new.simhash, known.simhash)
    long_enough = min(new.length, known.length) >= MIN_SIMHASH_LENGTH
    if distance <= NEAR_DISTANCE and long_enough and new.compilation == known.compilation:
        return Link(known.id, "near-duplicate", distance, 1.0)
    shorter, longer = (new, known) if new.length <= known.length else (known, new)
    if shorter.length < MIN_CONTAINMENT_LENGTH:
        return None
    share = containment(shorter.shingles, longer.shingles)
    if share < CONTAINMENT:
        return None
    if longer.compilation and not shorter.compilation:
        return Link(known.id, "compilation part", distance, share)
    return Link(known.id, "contained" if shorter is new else "contains", distance, share)
