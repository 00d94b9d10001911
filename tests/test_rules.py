"""Each answer rule accepts good values and names the field, value and fix for bad ones."""

from __future__ import annotations

import pytest

from generator import AnswerError
from generator._rules import RULES, suggest_slug


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("integration_name", "  Acme Mail ", "Acme Mail"),
        ("integration_name", "Ацме 邮件", "Ацме 邮件"),
        ("slug", "acme-mail", "acme-mail"),
        ("slug", "1password", "1password"),
        ("regions", ["us"], ["us"]),
        ("regions", "us,eu", ["us", "eu"]),
        ("regions", ["eu", "us"], ["us", "eu"]),
        ("description", "x" * 500, "x" * 500),
        ("description", "two\nlines", "two\nlines"),
        ("website", "https://acme.example/path?q=1", "https://acme.example/path?q=1"),
        ("categories", ["CRM"], ["CRM"]),
        ("categories", "Email Marketing,Analytics", ["Email Marketing", "Analytics"]),
        ("support_email", "help+seg@acme.co.uk", "help+seg@acme.co.uk"),
        ("maintainer", "Acme, Inc.", "Acme, Inc."),
        ("event_families", ["video", "email"], ["email", "video"]),
    ],
)
def test_good_values_pass_normalised(field, value, expected):
    assert RULES[field](value) == expected


@pytest.mark.parametrize(
    ("field", "value", "fix"),
    [
        ("integration_name", "   ", "give the integration's name"),
        ("integration_name", "x" * 61, "at most 60"),
        ("integration_name", "tab\there", "printable"),
        ("slug", "Bad Slug", "`bad-slug`"),
        ("slug", "../x", "e.g."),
        ("slug", "a", "e.g."),
        ("slug", "-acme", "e.g."),
        ("slug", "acme--mail", "e.g."),
        ("slug", "x" * 51, "e.g."),
        ("regions", ["eu"], "[us, eu]"),
        ("regions", ["us", "apac"], "[us, eu]"),
        ("description", "", "describe"),
        ("description", "x" * 501, "at most 500"),
        ("website", "http://acme.example", "`https://acme.example`"),
        ("website", "acme.example", "`https://acme.example`"),
        ("website", "https://", "https://acme.example"),
        ("website", "https://no spaces.example", "https://acme.example"),
        ("categories", ["Nope"], "choose from"),
        ("categories", ["crm"], "use `CRM`"),
        # The destination list's spellings that older projects carry: Segment's own is named.
        ("categories", ["Live chat"], "use `Livechat`, as Segment spells it"),
        ("categories", ["A/B testing"], "use `A/B Testing`, as Segment spells it"),
        ("categories", ["Tag Managers"], "choose from"),  # a destination category only
        ("categories", ["CRM", "CRM"], "one or two"),
        ("categories", ["CRM", "Analytics", "Video"], "one or two"),
        ("support_email", "not-an-email", "support@acme.example"),
        ("support_email", "a@b", "support@acme.example"),
        ("event_families", [], "at least one"),
        ("event_families", ["email", "sms"], "at least one"),
    ],
)
def test_bad_values_name_field_value_and_fix(field, value, fix):
    with pytest.raises(AnswerError) as caught:
        RULES[field](value)
    error = caught.value
    assert error.field == field
    assert str(error).startswith(field)
    assert fix in error.hint


def test_slug_suggestion_follows_python_slugify():
    assert suggest_slug("Acme Mail") == "acme-mail"
    assert suggest_slug("Ацме Мейл") == "atsme-meil"
    assert RULES["slug"](suggest_slug("Über  Tool!!")) == "uber-tool"
