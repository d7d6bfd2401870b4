"""Load the sample speeches (one TOML file each) with their ground truth."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SPEECHES_DIR = Path(__file__).parent / "speeches"


@dataclass(frozen=True)
class Speech:
    id: str
    doc_type: str
    topic: str
    title: str
    subtitle: str
    speaker: str
    speaker_post: str
    organization: str
    region: str
    region_code: str
    occasion: str
    speech_date: str
    date_line: str
    publish_date: str
    body: str
    commitments: tuple[str, ...] = field(default=())
    not_commitments: tuple[str, ...] = field(default=())

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.strip().split("\n\n") if p.strip()]

    @property
    def header_lines(self) -> list[str]:
        """Title block as a government page prints it above the body."""
        lines = []
        if self.subtitle:
            lines.append(self.subtitle)
        if self.speaker:
            lines.append(f"{self.speaker_post}　{self.speaker}".strip())
        if self.date_line:
            lines.append(self.date_line)
        return lines


@cache
def load_speeches(directory: Path = SPEECHES_DIR) -> dict[str, Speech]:
    speeches = {}
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data["commitments"] = tuple(data.get("commitments", ()))
        data["not_commitments"] = tuple(data.get("not_commitments", ()))
        speech = Speech(**data)
        speeches[speech.id] = speech
    return speeches
