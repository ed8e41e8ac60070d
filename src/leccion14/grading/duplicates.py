"""Informe de entregas cuyos pesos entrenados o pronósticos son idénticos byte a byte a los de otra."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_text_atomic

REPORT_COLUMNS = ("artefacto", "sha256", "entregas")


@dataclass(frozen=True)
class DuplicateGroup:
    """Submissions that share one artefact fingerprint."""

    artefact: str
    sha256: str
    submissions: tuple[str, ...]


def find_duplicates(fingerprints: dict[str, dict[str, str]]) -> list[DuplicateGroup]:
    """Group submissions by (artefact, fingerprint); return the groups with two or more members."""
    groups: dict[tuple[str, str], list[str]] = {}
    for submission, artefacts in sorted(fingerprints.items()):
        for artefact, sha256 in artefacts.items():
            groups.setdefault((artefact, sha256), []).append(submission)
    return [
        DuplicateGroup(artefact, sha256, tuple(members))
        for (artefact, sha256), members in sorted(groups.items())
        if len(members) > 1
    ]


def write_duplicate_report(groups: list[DuplicateGroup], path: Path) -> None:
    """Write one CSV row per group; ``entregas`` lists its submissions separated by ``;``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for group in groups:
        writer.writerow([group.artefact, group.sha256, ";".join(group.submissions)])
    write_text_atomic(path, buffer.getvalue())
