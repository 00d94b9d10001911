"""Re-record the facts ``docs_templates/segment.yml`` must agree with, from segment-docs.

Usage (from the repository root, with a local clone of segmentio/segment-docs)::

    python tests/reference/record.py /path/to/segment-docs

It reads the committed files of the clone's ``HEAD`` (a work tree or a bare git
directory both work, through ``git show``) and writes ``tests/reference/segment-docs.json``:
facts only (names, types, hosts, numbers), each record with the file it came from, the
commit and the date it was read. ``tests/test_segment_reference.py`` compares
``segment.yml`` with that file offline; after a refresh, run it and fix ``segment.yml``
where Segment changed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).with_name("segment-docs.json")
# Spec family (our key) -> its page in segment-docs.
SPEC_PAGES = {
    "email": "src/connections/spec/email.md",
    "live_chat": "src/connections/spec/live-chat.md",
    "ab_testing": "src/connections/spec/ab-testing.md",
    "b2b_saas": "src/connections/spec/b2b-saas.md",
    "ecommerce": "src/connections/spec/ecommerce/v2.md",
    "video": "src/connections/spec/video.md",
}
CATEGORIES = "src/_data/catalog/source_categories.yml"
SOURCES = "src/_data/catalog/sources.yml"
HTTP_API = "src/connections/sources/catalog/libraries/server/http-api/index.md"
REGIONS = "src/_includes/content/regional-config.md"
PARTNER_SOURCES = "src/partners/sources.md"
UNTYPED = None  # a property the page names without a type


class Docs:
    """The committed files of one segment-docs commit."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.commit = self._git("rev-parse", "HEAD").strip()
        self.read_on = datetime.datetime.now(datetime.UTC).date().isoformat()

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.repo), *args], check=True, capture_output=True, text=True
        ).stdout

    def read(self, path: str) -> str:
        return self._git("show", f"{self.commit}:{path}")

    def record(self, path: str, **facts: Any) -> dict[str, Any]:
        return {"file": path, "commit": self.commit, "read_on": self.read_on, **facts}


def _cells(line: str) -> list[str]:
    # Split a Markdown table row on pipes that are not escaped (`String \| Object`).
    parts = re.split(
        r"(?<!\\)\|", line.strip().strip("|") if line.strip().startswith("|") else line.strip()
    )
    return [p.strip() for p in parts]


def _type(cell: str) -> str:
    text = (
        cell.replace("\\|", "|")
        .replace("\\{", "{")
        .replace("\\}", "}")
        .replace("\\<", "<")
        .replace("`", "")
    )
    return re.sub(r"\s+", " ", text).strip()


def _names(cell: str) -> list[str]:
    return [n.strip().strip("`") for n in cell.split(",") if n.strip().strip("`")]


def _tables(lines: list[str]) -> list[list[list[str]]]:
    """Every Markdown table with a first header cell `Property`, as rows of cells."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in lines:
        is_row = "|" in line and not line.lstrip().startswith(("{", '"', "`" * 3))
        cells = _cells(line) if is_row else []
        if current is None:
            if cells and cells[0].lower() == "property":
                current = []
            continue
        if not cells:
            tables.append(current)
            current = None
        elif not all(re.fullmatch(r":?-+:?", c) for c in cells if c):
            current.append(cells)
    if current is not None:
        tables.append(current)
    return tables


def _event(rows: list[list[str]]) -> dict[str, Any]:
    """Split table rows into properties, context fields and array items."""
    event: dict[str, Any] = {"properties": {}, "context": {}, "items": {}}
    for cells in rows:
        for name in _names(cells[0]):
            kind = _type(cells[1]) if len(cells) > 1 and cells[1] else UNTYPED
            if name.startswith("context."):
                event["context"][name] = kind
            elif ".$." in name:
                array, item = name.split(".$.", 1)
                event["items"].setdefault(array, {})[item] = kind
            else:
                event["properties"][name] = kind
    return {key: value for key, value in event.items() if value or key == "properties"}


def spec_by_headings(text: str) -> dict[str, Any]:
    """Events are `### Name` headings followed by property (and context) tables."""
    events: dict[str, Any] = {}
    sections = re.split(r"^### +(.+?)\s*$", text, flags=re.MULTILINE)
    for title, body in zip(sections[1::2], sections[2::2], strict=True):
        tables = _tables(body.splitlines())
        if tables:
            events[title] = _event([row for table in tables for row in table])
    return events


def spec_video(text: str) -> dict[str, Any]:
    """Video: each `### X event object` table applies to the `#### ...` events after it.

    A row whose description says "For <event> events only" belongs to that event; a row
    naming a singular and a plural form (`content_asset_id`, `content_asset_ids`) gives
    the plural to that event and the singular to the others. A property the event's
    own text asks for in prose ("Pass in the `seek_position`") is added without a type.
    """
    events: dict[str, Any] = {}
    groups = re.split(r"^### +(.+) event object\s*$", text, flags=re.MULTILINE)
    for body in groups[2::2]:
        head, _, rest = body.partition("\n### ")
        [rows] = _tables(head.splitlines())
        for chunk in re.split(r"^#### ", rest, flags=re.MULTILINE)[1:]:
            found = re.search(r'"event":\s*"([^"]+)"', chunk)
            if not found:
                continue
            name = found.group(1)
            props: dict[str, Any] = {}
            for cells in rows:
                names, kinds = (
                    _names(cells[0]),
                    [_type(k) for k in cells[1].split(", ")]
                    if "," in cells[0]
                    else [_type(cells[1])],
                )
                only = re.search(r"For \[?([A-Za-z ]+?)\]?(?:\([^)]*\))? events only", cells[2])
                if only and len(names) == 2:  # plural for that event, singular for the rest
                    pick = 1 if only.group(1).lower() == name.lower() else 0
                    props[names[pick]] = kinds[pick]
                elif only and len(kinds) == 1 and ", " in kinds[0]:
                    # One name, two types (`ad_asset_id`: "String, Array[string]"): "For
                    # <event> events only, send an Array ... For all other playback events,
                    # send a string": every event has it, the others as the first type.
                    props[names[0]] = (
                        kinds[0]
                        if only.group(1).lower() == name.lower()
                        else kinds[0].split(", ")[0]
                    )
                elif only and only.group(1).lower() != name.lower():
                    continue
                else:
                    for item in names:
                        props[item] = kinds[0]
            intro = chunk.split("{%", 1)[0]
            for extra in re.findall(r"[Pp]ass in the `([a-z_]+)`", intro):
                props.setdefault(extra, UNTYPED)
            events[name] = {"properties": props}
    # Events the page describes outside the groups, with their properties (no types given).
    for name, table in re.findall(
        r"track a `([A-Z][A-Za-z ]+)` event[^\n]*\n\s*(<table>.*?</table>)", text, flags=re.DOTALL
    ):
        events[name] = {
            "properties": {p: UNTYPED for p in re.findall(r"<td>`([^`]+)`</td>", table)}
        }
    return events


def categories(docs: Docs) -> dict[str, Any]:
    names = [item["display_name"] for item in yaml.safe_load(docs.read(CATEGORIES))["items"]]
    sources = yaml.safe_load(docs.read(SOURCES))["items"]
    used = Counter(
        c for s in sources if s.get("source_type") == "cloud-app" for c in s.get("categories") or []
    )
    return {
        "source_categories": docs.record(CATEGORIES, names=names),
        "cloud_app_categories": docs.record(SOURCES, counts=dict(sorted(used.items()))),
    }


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    if not found:
        raise SystemExit(
            f"record.py: pattern {pattern!r} no longer matches; read the page and update the "
            "pattern"
        )
    return int(found.group(1).replace(",", ""))


def api(docs: Docs) -> dict[str, Any]:
    http = docs.read(HTTP_API)
    regions = docs.read(REGIONS)
    us = re.search(r"https://(api\.segment\.io)/v1/", http)
    eu = re.search(r"Dublin[^`]*`([a-z0-9.]+)/`", regions)
    oregon = re.search(r"Oregon[^`]*`([a-z0-9.]+)/`", regions)
    if not (us and eu and oregon):
        raise SystemExit(
            "record.py: a host pattern no longer matches; read the pages and update the patterns"
        )
    return {
        "hosts": docs.record(
            REGIONS,
            us=oregon.group(1),
            eu=eu.group(1),
            http_api_us=us.group(1),
            http_api_file=HTTP_API,
        ),
        "limits": docs.record(
            HTTP_API,
            max_event_kb=_number(r"maximum of `?(\d+)KB`? per normal API request", http),
            max_batch_kb=_number(r"accepts a maximum of `?(\d+)KB`? per request", http),
            max_batch_events=_number(r"can only have up to (\d+) events", http),
            workspace_requests_per_second=_number(r"not exceed ([\d,]+) requests per second", http),
        ),
        "partner_rate": docs.record(
            PARTNER_SOURCES,
            requests_per_second=_number(
                r"maximum rate of (\d+) requests per second", docs.read(PARTNER_SOURCES)
            ),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "repo", type=Path, help="a local clone (or bare git dir) of segmentio/segment-docs"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    docs = Docs(args.repo)
    spec = {
        key: docs.record(
            path, events=(spec_video if key == "video" else spec_by_headings)(docs.read(path))
        )
        for key, path in SPEC_PAGES.items()
    }
    data = {
        "repository": "https://github.com/segmentio/segment-docs",
        **categories(docs),
        **api(docs),
        "spec": spec,
    }
    args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} from segment-docs {docs.commit[:12]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
