"""``evidence/``: the project's sample scenario, sent to an embedded Source Debugger.

``submit`` starts a :class:`~generator._debugger.DebuggerServer` on a free loopback
port, runs the project's own sample command against it (``python -m <package>
--endpoint URL``) with a throwaway write key (given through the environment, never on a
command line or in a file), and keeps each call's JSON and verdict.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from .._debugger import DebuggerServer
from .._markdown import markdown_text
from .._project import Project
from ..errors import GeneratorError

SAMPLE_TIMEOUT = 120.0  # seconds for the whole sample run
_MAX_OUTPUT = 16 * 1024  # characters of the sample command's output kept in the report


@dataclass
class Evidence:
    """What the sample run showed."""

    events: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int = 0
    output: str = ""

    @property
    def ok(self) -> bool:
        """True when the command succeeded and every event passed."""
        return (
            self.exit_code == 0
            and bool(self.events)
            and all(e["status"] == "pass" for e in self.events)
        )


def _package(project: Project) -> str:
    if project.package_dir is None:
        raise GeneratorError(
            f"`{project.root}` has no package under src/ (no src/<package>/spec.py)",
            "restore the package from git, then run again",
        )
    return project.package_dir.name


def run(project: Project, timeout: float = SAMPLE_TIMEOUT) -> Evidence:
    """Send the sample scenario to a debugger started and stopped here; return the verdicts."""
    package = _package(project)
    key = "submit" + secrets.token_hex(16)  # throwaway: the debugger expects only this one
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENT_")}
    env["SEGMENT_WRITE_KEY"] = key
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(project.root / "src"), os.environ.get("PYTHONPATH")])
    )
    with DebuggerServer(port=0, write_keys=[key], integration=project.slug) as debugger:
        try:
            done = subprocess.run(
                [sys.executable, "-m", package, "--endpoint", debugger.url],
                cwd=project.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            code, output = 124, f"the sample command did not finish within {timeout:g} s"
        events = list(reversed(debugger.store.events()))
    # Belt and braces: the key never leaves this function, whatever printed it.
    output = output.replace(key, "[write key]")[-_MAX_OUTPUT:]
    kept = [
        {k: e.get(k) for k in ("type", "name", "status", "reasons", "path", "payload")}
        for e in events
    ]
    text = json.dumps(kept)
    if key in text:
        raise GeneratorError("the evidence holds the write key", "report this as a bug")
    return Evidence(kept, code, output)


def _file_name(number: int, event: dict[str, Any]) -> str:
    label = re.sub(
        r"[^a-z0-9]+", "-", str(event.get("name") or event.get("type") or "call").lower()
    )
    return f"{number:02d}-{label.strip('-')[:60] or 'call'}.json"


def files(evidence: Evidence, title: str) -> dict[str, str]:
    """The evidence folder's files: relative path -> text."""
    out: dict[str, str] = {}
    rows = []
    for number, event in enumerate(evidence.events, 1):
        name = _file_name(number, event)
        out[f"events/{name}"] = json.dumps(event, indent=2, ensure_ascii=False) + "\n"
        reasons = "; ".join(str(r.get("message")) for r in event.get("reasons") or [])
        rows.append((number, event.get("type"), event.get("name"), event["status"], reasons, name))
    out["report.md"] = _markdown(evidence, title, rows)
    out["report.html"] = _html(evidence, title, rows)
    return out


def _verdict(evidence: Evidence) -> str:
    if evidence.ok:
        return (
            f"Every one of the {len(evidence.events)} sample events "
            "passed the Source Debugger's checks."
        )
    if not evidence.events:
        return f"No event arrived (the sample command exited {evidence.exit_code})."
    bad = [e for e in evidence.events if e["status"] != "pass"]
    return (
        f"{len(bad)} of {len(evidence.events)} sample events did not pass"
        + (f", and the sample command exited {evidence.exit_code}" if evidence.exit_code else "")
        + "."
    )


def _md(value: object) -> str:
    return markdown_text("" if value is None else str(value))


def _markdown(evidence: Evidence, title: str, rows: list[tuple[Any, ...]]) -> str:
    lines = [
        f"# Source Debugger evidence: {_md(title)}",
        "",
        _verdict(evidence),
        "",
        (
            "The sample scenario (`python -m <package> --endpoint ...`) was sent to "
            "`segment-source debugger`, which checks each call the way Segment's Source "
            "Debugger shows it: identity, required fields, `context.integration`, Spec names "
            "and properties, timestamps, batch limits."
        ),
        "",
        "| # | Call | Event | Verdict | Reasons | JSON |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for number, kind, name, status, reasons, file in rows:
        lines.append(
            f"| {number} | {_md(kind)} | {_md(name)} | **{status}** "
            f"| {_md(reasons) or '-'} | [{file}](events/{file}) |"
        )
    if evidence.exit_code:
        lines += [
            "",
            "Output of the sample command:",
            "",
            "```text",
            evidence.output.replace("```", "` ` `"),
            "```",
        ]
    return "\n".join(lines) + "\n"


def _html(evidence: Evidence, title: str, rows: list[tuple[Any, ...]]) -> str:
    e = html.escape
    body = "".join(
        f"<tr><td>{number}</td><td>{e(str(kind))}</td><td>{e(str(name))}</td>"
        f'<td class="{e(status)}">{e(status)}</td><td>{e(reasons) or "-"}</td>'
        f'<td><a href="events/{e(file)}">{e(file)}</a></td></tr>\n'
        for number, kind, name, status, reasons, file in rows
    )
    output = (
        f"<h2>Output of the sample command</h2><pre>{e(evidence.output)}</pre>"
        if evidence.exit_code
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Source Debugger evidence: {e(title)}</title>
<style>body{{font:15px/1.4 system-ui,sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
.pass{{color:#080}}.warn{{color:#a60}}.fail{{color:#c00}}</style>
</head><body>
<h1>Source Debugger evidence: {e(title)}</h1>
<p>{e(_verdict(evidence))}</p>
<table><thead><tr><th>#</th><th>Call</th><th>Event</th><th>Verdict</th><th>Reasons</th><th>JSON</th></tr></thead>
<tbody>
{body}</tbody></table>
{output}
</body></html>
"""
