"""Spec conformance of the events the package defines (``events.py`` and literal tracks)."""

from __future__ import annotations

from .. import _code, _segment
from .._project import Project
from ._report import Item, Status, red, worst


def _names(project: Project, definitions: list[_code.EventDefinition]) -> Item:
    naming = _segment.naming()
    problems: list[tuple[Status, str, str]] = []
    for definition in definitions:
        lookalike = _segment.spec_lookalike(definition.name)
        similar = naming.similar_spec_name(definition.name, _segment.similar_names())
        advice = naming.naming_advice(definition.name, _segment.similar_names())
        for problem in _segment.naming_problems(definition.name):
            if lookalike is not None:
                # Segment rejects a source that sends a look-alike of a Spec event.
                problems.append(
                    (
                        Status.RED,
                        f"{definition.where}: {problem}",
                        f"name it exactly {lookalike!r}, as the Spec does",
                    )
                )
            elif problem in advice:
                # It may be another action; only the partner knows, so it is a question.
                problems.append(
                    (
                        Status.YELLOW,
                        f"{definition.where}: {problem}",
                        f"if it is the same action, name it exactly {similar!r}; otherwise keep it",
                    )
                )
            else:
                # Other casing is allowed when the platform needs it; the reviewers ask why.
                problems.append(
                    (Status.YELLOW, f"{definition.where}: {problem}", "use Proper Case event names")
                )
        problems += [
            (Status.YELLOW, f"{definition.where}: {problem}", "use snake_case property names")
            for problem in _segment.naming_problems(None, definition.properties)
        ]
    count = len({d.name for d in definitions})
    # camelCase the Spec itself writes (startupTime): named, so nobody "fixes" it.
    spelled = sorted({p for d in definitions for p in d.properties} & _segment.spec_spellings())
    note = f"{', '.join(spelled)}: the Spec's own camelCase spelling, kept" if spelled else ""
    return worst(
        "spec.names",
        problems,
        f"{count} event names are the Spec's own or Proper Case; properties are snake_case"
        + (f" ({note})" if note else ""),
        [note] if note else [],
    )


def _coverage(project: Project, definitions: list[_code.EventDefinition]) -> Item:
    """The catalog's families against the builders: the page promises what the catalog says."""
    declared = _segment.spec_events(project.event_families)
    built = {d.name for d in definitions if d.where.startswith("events.py:")}
    problems: list[tuple[Status, str, str]] = []
    missing = [e.name for e in declared if e.name not in built]
    if missing:
        problems.append(
            (
                Status.YELLOW,
                "no builder in events.py for " + ", ".join(missing) + " (the docs page lists them)",
                (
                    "add the builders (regenerate with copier update), or drop the family from "
                    "event_families"
                ),
            )
        )
    others = {
        e.name: e.family for e in _segment.spec_events() if e.family not in project.event_families
    }
    undeclared = sorted({others[name] for name in built if name in others})
    if undeclared:
        problems.append(
            (
                Status.YELLOW,
                "events.py builds events of families the catalog does not declare: "
                + ", ".join(undeclared),
                (
                    "add them to event_families in catalog/metadata.yml, then run "
                    "`segment-source docs`"
                ),
            )
        )
    return worst(
        "spec.coverage",
        problems,
        f"events.py builds every event of {', '.join(project.event_families) or 'no family'}",
    )


def check(project: Project) -> list[Item]:
    """``spec.names`` and ``spec.coverage``."""
    if project.package_dir is None or not (project.package_dir / "events.py").is_file():
        return [
            red(
                "spec.names",
                "src/<package>/events.py is missing, so no event can be checked",
                "restore events.py (copier update, or git checkout)",
            )
        ]
    definitions = _code.event_definitions(project)
    return [_names(project, definitions), _coverage(project, definitions)]
