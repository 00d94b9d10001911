"""The Segment page promises only what the generated code does: each promise is read in
the rendered page and exercised in the generated client (or checked by `check`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import check, generate, render_docs
from generator._docs import generated_regions, render_page
from generator._project import Project

from ._check_projects import ANSWERS, PACKAGE, copy, edit
from .debugger_helpers import running

PAGE = "docs/segment-source.md"
REFERENCE = json.loads((Path(__file__).parent / "reference" / "page-promises.json").read_text())
SEND = """
import json, sys
from {package} import Client, EventRejected
client = Client(endpoint=sys.argv[1], requests_per_second=None)
customer = client.customer("wk_promise_test")
outcomes = []
for kwargs in (
    {{"user_id": "u1"}},
    {{"context": {{"traits": {{"email": "ann@example.com"}}}}}},
    {{"anonymous_id": "a1"}},
):
    try:
        customer.track(event="Email Opened", properties={{"email_id": "e1"}}, **kwargs)
        outcomes.append("sent")
    except EventRejected as exc:
        outcomes.append("refused: " + str(exc))
client.close()
print(json.dumps(outcomes))
"""


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """One project per anonymous_fallback / lifecycle answer pair used below."""
    base = tmp_path_factory.mktemp("promises")
    made = {}
    for fallback, lifecycle in (("none", "beta"), ("email", "ga")):
        dst = base / f"{fallback}-{lifecycle}"
        generate(dst, {**ANSWERS, "anonymous_fallback": fallback, "lifecycle": lifecycle})
        made[fallback] = dst
    return made


def send_without_user_id(project: Path) -> tuple[list[str], list[dict]]:
    """Run the generated client (default options) against the debugger: outcomes, arrivals."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENT_")}
    env["PYTHONPATH"] = str(project / "src")
    with running(integration="acme-mail") as debugger:
        done = subprocess.run(
            [sys.executable, "-c", SEND.format(package=PACKAGE), debugger.url],
            env=env, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        arrived = list(reversed(debugger.store.events()))
    return json.loads(done.stdout), arrived


def test_by_default_the_page_and_the_client_refuse_a_call_without_user_id(projects):
    """anonymous_fallback none: the page says no event without a userId; the client refuses one."""
    page = (projects["none"] / PAGE).read_text()
    identity = generated_regions(page)["identity"]
    assert "sends no event about a person it has no `userId` for" in identity
    assert "anonymousId" not in identity
    outcomes, arrived = send_without_user_id(projects["none"])
    assert outcomes[0] == "sent"
    assert outcomes[1].startswith("refused: track needs user_id")
    assert outcomes[2].startswith("refused: track needs user_id")  # an anonymous_id alone too
    assert [(e["payload"].get("userId"), e["payload"].get("anonymousId")) for e in arrived] == [
        ("u1", None)
    ]


def test_with_the_email_fallback_the_page_and_the_client_send_the_email_as_anonymous_id(projects):
    """anonymous_fallback email: the page says so, as Customer.io's page does; the client
    does it."""
    page = (projects["email"] / PAGE).read_text()
    identity = generated_regions(page)["identity"]
    assert "passes the person's email address as the `anonymousId`" in identity
    assert REFERENCE["customer_io"]["says"] in REFERENCE["customer_io"]["quote"]
    outcomes, arrived = send_without_user_id(projects["email"])
    assert outcomes[:2] == ["sent", "sent"]
    assert "context.traits.email" in outcomes[2]  # no email: nothing to fall back on
    assert [(e["payload"].get("userId"), e["payload"].get("anonymousId")) for e in arrived] == [
        ("u1", None),
        (None, "ann@example.com"),
    ]
    assert {e["status"] for e in arrived} == {"pass"}


def test_check_reds_a_page_whose_identity_sentence_the_client_contradicts(projects, tmp_path):
    """Switch the client to the email fallback under a page that says otherwise: red;
    `docs` fixes it."""
    project = copy(projects["none"], tmp_path / "p")
    edit(
        project / f"src/{PACKAGE}/spec.py",
        'ANONYMOUS_FALLBACK = "none"',
        'ANONYMOUS_FALLBACK = "email"',
    )
    item = check(project).item("docs.identity")
    assert item.status.value == "red" and "`email`" in item.message
    render_docs(project)
    assert "email address as the `anonymousId`" in (project / PAGE).read_text()
    assert check(project).item("docs.identity").status.value == "green"


def test_getting_started_names_the_settings_pages_labels(projects):
    """The template ships the [service] settings page: step 6 quotes its labels, check green."""
    page = (projects["none"] / PAGE).read_text()
    connect = generated_regions(page)["connect"]
    for label in ("Segment write key", "Save", "Send test event", "Disconnect"):
        assert f"**{label}**" in connect
    assert "CHANGE-ME" not in page
    item = check(projects["none"]).item("docs.getting_started")
    assert item.status.value == "green", item.message


def test_getting_started_is_a_flagged_placeholder_without_a_settings_page(projects, tmp_path):
    """A project without the settings page (the partner removed service/): the page's step
    is a CHANGE-ME sentence, and check is yellow."""
    project = copy(projects["none"], tmp_path / "p")
    shutil.rmtree(project / f"src/{PACKAGE}/service")
    (project / PAGE).write_text(render_page(Project.load(project)))
    step = next(
        line for line in (project / PAGE).read_text().splitlines() if line.startswith("6. ")
    )
    assert step.startswith("6. CHANGE-ME: say where in Acme Mail a customer pastes the write key")
    assert check(project).item("docs.getting_started").status.value == "yellow"


SETTINGS_HTML = """<!doctype html><form method="post">
<label for="k">Segment write key</label><input id="k" name="write_key" type="password">
<label for="r">Region</label><select id="r" name="region"><option>US</option></select>
<button type="submit">{save}</button></form>
<form method="post"><button name="test">Send test event</button></form>
<form method="post"><button name="disconnect">Disconnect</button>
{{% if x %}}{{{{ csrf }}}}{{% endif %}}</form>
"""


def test_a_label_the_page_quotes_but_the_settings_page_lacks_is_red(projects, tmp_path):
    """Renaming a label in the service's LABELS, or in a hand-written template, turns check red."""
    project = copy(projects["none"], tmp_path / "p")
    pages = project / f"src/{PACKAGE}/service/pages.py"
    pages.write_text(pages.read_text().replace('"save": "Save",', '"save": "Save key",'))
    item = check(project).item("docs.getting_started")
    assert item.status.value == "red" and "**Save**" in item.message
    template = project / f"src/{PACKAGE}/service/templates/settings.html"
    template.write_text(SETTINGS_HTML.format(save="Save"))
    assert check(project).item("docs.getting_started").status.value == "green"
    template.write_text(SETTINGS_HTML.format(save="Save key"))
    item = check(project).item("docs.getting_started")
    assert item.status.value == "red" and "**Save**" in item.message


def test_beta_sources_carry_segment_docs_beta_note_and_ga_ones_do_not(projects, tmp_path):
    """lifecycle beta: `beta: true` and the beta-note include; ga: neither; a stale note is
    flagged."""
    beta = (projects["none"] / PAGE).read_text()
    assert beta.startswith('---\ntitle: "Acme Mail Source"\nbeta: true\n---\n')
    assert REFERENCE["beta_note"]["include"] in beta
    ga = (projects["email"] / PAGE).read_text()
    assert "beta: true" not in ga and "beta-note" not in ga
    for project in projects.values():
        assert check(project).item("docs.lifecycle").status.value == "green"
    went_ga = copy(projects["none"], tmp_path / "ga")
    edit(went_ga / ".copier-answers.yml", "lifecycle: beta", "lifecycle: ga")
    assert check(went_ga).item("docs.lifecycle").status.value == "yellow"
    render_docs(went_ga)
    edit(went_ga / PAGE, "beta: true\n", "")
    assert "beta-note" not in (went_ga / PAGE).read_text()
    assert check(went_ga).item("docs.lifecycle").status.value == "green"
