"""``segment-source docs`` refreshes every catalog fact ``check`` compares with the page.

After an edit of a compared fact in catalog/metadata.yml, ``check`` goes red on the page;
``segment-source docs`` must put it right, so that ``check`` reports exactly what it
reported for the fresh project.
"""

from __future__ import annotations

import pytest

from generator import Status, check, render_docs
from generator._cli import main

from ._check_projects import PACKAGE, copy, edit, pristine

PAGE = "docs/segment-source.md"
META = "catalog/metadata.yml"
SPEC = f"src/{PACKAGE}/spec.py"
EU = 'us: "https://api.segment.io/v1"\n  eu: "https://events.eu1.segmentapis.com/v1"'


@pytest.fixture
def project(tmp_path, tmp_path_factory):
    return copy(pristine(tmp_path_factory.getbasetemp(), ("us",)), tmp_path / "project")


def statuses(project):
    return {item.id: item.status for item in check(project).items}


def _maintainer(project):
    edit(project / META, 'maintainer: "Acme Mail"', 'maintainer: "Acme Inc."')


def _support_email(project):
    edit(
        project / META,
        'support_email: "support@acme.example"',
        'support_email: "help@acme.example"',
    )


def _regions(project):
    edit(project / META, 'us: "https://api.segment.io/v1"', EU)
    edit(project / SPEC, 'SUPPORTED_REGIONS = ("us",)', 'SUPPORTED_REGIONS = ("us", "eu")')


def _event_families(project):
    edit(project / META, '  - "email"\n', '  - "email"\n  - "live_chat"\n')


def _slug(project):
    edit(project / META, 'slug: "acme-mail"', 'slug: "acme-post"')
    edit(project / SPEC, 'INTEGRATION_SLUG = "acme-mail"', 'INTEGRATION_SLUG = "acme-post"')


# Each fact `check` compares between the catalog and the page -> the item that sees it.
COMPARED = {
    "maintainer": (_maintainer, "docs.sections"),
    "support_email": (_support_email, "docs.sections"),
    "regions": (_regions, "docs.regions"),
    "event_families": (_event_families, "docs.events"),
    "slug": (_slug, "catalog.slug"),
}


@pytest.mark.parametrize("fact", COMPARED)
def test_docs_after_a_catalog_edit_makes_check_green_again(project, fact):
    change, item_id = COMPARED[fact]
    fresh = statuses(project)
    change(project)
    assert check(project).item(item_id).status is Status.RED  # the edit is seen
    assert main(["docs", str(project)]) == 0
    after = statuses(project)
    # docs.getting_started stays yellow: its write-key step is a placeholder only the partner fills.
    docs_items = {
        k: v
        for k, v in after.items()
        if (k.startswith("docs.") or k == item_id) and k != "docs.getting_started"
    }
    assert set(docs_items.values()) == {Status.GREEN}, docs_items
    if fact in ("maintainer", "support_email"):  # nothing else depends on these
        assert after == fresh


def test_a_maintainer_ending_in_a_full_stop_is_not_doubled(project, capsys):
    _maintainer(project)
    fix = check(project).item("docs.sections").fix
    assert "This source is maintained by Acme Inc." in fix and "Inc.." not in fix
    assert main(["docs", str(project)]) == 0
    assert "rewrote the lines naming its maintainer" in capsys.readouterr().out
    page = (project / PAGE).read_text(encoding="utf-8")
    assert "This source is maintained by Acme Inc. For any issues" in page
    assert "[contact the Acme Inc. support team](mailto:support@acme.example)" in page
    assert "Inc.." not in page and "Acme Mail support team" not in page


def test_name_and_website_lines_follow_the_catalog(project):
    """Facts outside the markers that check does not compare are refreshed the same way."""
    edit(project / META, 'name: "Acme Mail"', 'name: "Acme Post"')
    edit(project / META, 'website: "https://acme.example"', 'website: "https://post.acme.example"')
    result = render_docs(project)
    assert result.page.facts == ("integration_name", "website")
    page = (project / PAGE).read_text(encoding="utf-8")
    assert 'title: "Acme Post Source"' in page
    assert "[Acme Post website](https://post.acme.example/?utm_source=segmentio" in page
    assert 'Search for "Acme Post" in the Sources catalog, select Acme Post' in page


def test_a_reworded_sentence_is_kept_and_reported(project, capsys):
    """The partner's own wording is never rewritten; docs says what check will ask for."""
    edit(
        project / PAGE,
        "This source is maintained by Acme Mail.",
        "Acme Mail's team looks after this source.",
    )
    _maintainer(project)
    assert main(["docs", str(project)]) == 0
    out = capsys.readouterr().out
    assert "the intro no longer names the catalog's maintainer" in out
    assert "Acme Mail's team looks after this source." in (project / PAGE).read_text(
        encoding="utf-8"
    )


def test_a_fresh_page_has_no_fact_to_rewrite(project):
    result = render_docs(project)
    assert result.page.facts == () and result.page.unnamed == ()


def test_docs_and_check_read_the_intro_alike(project, capsys):
    """One rule for "the intro names the maintainer": ``docs`` notes what ``check`` flags.

    segment-docs' templates/partners/source.md (commit 033de36049ffd62d065de92fe135866989780ee5)
    puts "This source is maintained by YOURINTEGRATION" and a support mailto in the intro,
    after the front matter and before the first `##`. The maintainer "Acme Mail Source" is
    named in the front matter's title, which is not the intro.
    """
    page = (project / PAGE).read_text(encoding="utf-8")
    sentence = next(line for line in page.splitlines() if line.startswith("This source is"))
    edit(
        project / PAGE, sentence, "Our team looks after it ([write](mailto:support@acme.example))."
    )
    edit(project / META, 'maintainer: "Acme Mail"', 'maintainer: "Acme Mail Source"')
    assert 'title: "Acme Mail Source"' in page
    item = check(project).item("docs.sections")
    assert item.status is Status.RED
    assert item.message == "the intro does not name the maintainer `Acme Mail Source`"
    assert main(["docs", str(project)]) == 0
    assert "the intro no longer names the catalog's maintainer" in capsys.readouterr().out
    assert render_docs(project).page.unnamed == ("maintainer",)
