"""The logo and the mark: SVG files Segment shows in its catalog."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .. import _paths
from .._project import Project
from ..errors import GeneratorError
from ._report import Item, green, red, yellow

# The generated placeholders carry this comment until the partner replaces them.
PLACEHOLDER_MARK = "segment-source:placeholder"

_LENGTH_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


def _length(value: str | None) -> float | None:
    match = _LENGTH_RE.match(value or "")
    return float(match[1]) if match else None


def _size(root: ET.Element) -> tuple[float, float] | None:
    """The drawing's width and height: its width/height attributes, else its viewBox."""
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width is not None and height is not None:
        return width, height
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        try:
            return float(box[2]), float(box[3])
        except ValueError:
            return None
    return None


def _load(project: Project, key: str) -> tuple[Path, ET.Element | str]:
    """The file's path, and its parsed root or the reason it cannot be used."""
    relative = str(project.metadata.get(key) or f"catalog/{key}.svg")
    try:
        path = _paths.inside(project.root, relative, f"{key} in catalog/metadata.yml")
    except GeneratorError as exc:
        return project.root / "catalog" / f"{key}.svg", exc.message
    if path.suffix.lower() != ".svg":
        return path, f"`{relative}` is not an .svg file: Segment takes SVG only"
    try:
        root = ET.fromstring(_paths.read_text(path, f"`{relative}`"))
    except FileNotFoundError:
        return path, f"`{relative}` does not exist"
    except GeneratorError as exc:
        return path, exc.message
    except (ET.ParseError, OSError) as exc:
        return path, f"`{relative}` is not valid SVG ({exc})"
    if root.tag.rsplit("}", 1)[-1] != "svg":
        return path, f"`{relative}` is XML but its root is <{root.tag}>, not <svg>"
    return path, root


def check(project: Project) -> list[Item]:
    """``logos.logo`` (an SVG) and ``logos.mark`` (a square SVG)."""
    items = []
    for key, what in (
        ("logo", "the company name, horizontal lockup preferred"),
        ("mark", "square, without the company name"),
    ):
        path, loaded = _load(project, key)
        item_id = f"logos.{key}"
        shown = (
            path.relative_to(project.root).as_posix() if path.is_relative_to(project.root) else path
        )
        fix = f"give {shown} as an SVG: {what}"
        if isinstance(loaded, str):
            items.append(red(item_id, loaded, fix))
            continue
        size = _size(loaded)
        shown = f"{size[0]:g}x{size[1]:g}" if size else "no size"
        if key == "mark":
            if size is None:
                items.append(
                    red(
                        item_id,
                        "the mark has no width/height or viewBox, so it cannot be told square",
                        fix,
                    )
                )
                continue
            if abs(size[0] - size[1]) > 1e-6:
                items.append(
                    red(
                        item_id,
                        f"the mark is {shown}, not square",
                        "make the mark square (equal width and height, or a square viewBox)",
                    )
                )
                continue
        if PLACEHOLDER_MARK in _paths.read_text(path, path.name):
            items.append(
                yellow(
                    item_id,
                    f"{path.name} is still the generated placeholder ({shown})",
                    f"replace {path.name} with your own SVG: {what}",
                )
            )
            continue
        items.append(green(item_id, f"{path.name}: SVG, {shown}"))
    return items
