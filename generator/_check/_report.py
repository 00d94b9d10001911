"""The launch-readiness report: items with a status, rendered as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Status(StrEnum):
    """How Segment's review would see an item."""

    GREEN = "green"  # ready
    YELLOW = "yellow"  # works, but the reviewers will ask
    RED = "red"  # will be rejected

    @property
    def rank(self) -> int:
        return [Status.GREEN, Status.YELLOW, Status.RED].index(self)


@dataclass(frozen=True)
class Item:
    """One reviewed item: ``id`` like ``catalog.slug``, what was found, and what to do."""

    id: str
    status: Status
    message: str
    fix: str = ""
    details: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "message": self.message,
            "fix": self.fix,
            "details": list(self.details),
        }


def green(item_id: str, message: str) -> Item:
    return Item(item_id, Status.GREEN, message)


def yellow(item_id: str, message: str, fix: str, details: Iterable[str] = ()) -> Item:
    return Item(item_id, Status.YELLOW, message, fix, tuple(details))


def red(item_id: str, message: str, fix: str, details: Iterable[str] = ()) -> Item:
    return Item(item_id, Status.RED, message, fix, tuple(details))


def worst(
    item_id: str, found: list[tuple[Status, str, str]], ok_message: str, details: Iterable[str] = ()
) -> Item:
    """Fold several findings of one item into one line: the worst status, every message."""
    if not found:
        return green(item_id, ok_message)
    status = max((s for s, _, _ in found), key=lambda s: s.rank)
    message = "; ".join(m for _, m, _ in found)
    fixes = list(dict.fromkeys(f for _, _, f in found if f))
    return Item(item_id, status, message, "; ".join(fixes), tuple(details))


@dataclass
class Report:
    """Every item of one project, in the order they were checked."""

    project: Path
    items: list[Item] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is red."""
        return all(item.status is not Status.RED for item in self.items)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def counts(self) -> dict[str, int]:
        return {s.value: sum(item.status is s for item in self.items) for s in Status}

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError when there is none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": str(self.project),
            "ok": self.ok,
            "counts": self.counts(),
            "items": [i.as_dict() for i in self.items],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        width = max((len(item.id) for item in self.items), default=0)
        lines = [f"Launch readiness of {self.project}"]
        for item in self.items:
            lines.append(f"{item.status.value:<6}  {item.id:<{width}}  {item.message}")
            pad = " " * (8 + width + 2)
            if item.fix:
                lines.append(f"{pad}fix: {item.fix}")
            lines.extend(f"{pad}{detail}" for detail in item.details)
        counts = self.counts()
        verdict = (
            "nothing red: ready to submit"
            if self.ok
            else "red items: Segment's review would reject this"
        )
        if self.ok and counts["yellow"]:
            verdict += " (the reviewers will ask about the yellow ones)"
        lines.append(
            f"{len(self.items)} items: {counts['green']} green, {counts['yellow']} yellow, "
            f"{counts['red']} red; {verdict}"
        )
        return "\n".join(lines)
