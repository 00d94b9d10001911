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


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.example:8443/a/b?q=a:b&r=1#frag",
        "https://xn--80aa0ab.example/path%20with%20spaces",
        "https://acme.example/~user/",
    ],
)
def test_website_accepts_plain_urls(url):
    assert RULES["website"](url) == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://acme.example/a)<script>alert(1)</script>", "U+0029 RIGHT PARENTHESIS"),
        ('https://acme.example/"onmouseover="x', "U+0022 QUOTATION MARK"),
        ("https://acme.example/'x", "U+0027 APOSTROPHE"),
        ("https://acme.example/a b", "U+0020 SPACE"),
        ("https://acme.example/\tb", "U+0009"),
        ("https://acme.example\\@evil.example", "U+005C REVERSE SOLIDUS"),
        ("https://acme.example/[x](javascript:x)", "U+005B LEFT SQUARE BRACKET"),
        ("https://acme.example/ü", "U+00FC"),
        ("https://user:secret@acme.example", "is not a valid URL"),
        ("https://acme.example:port", "is not a valid URL"),
        ("javascript://acme.example/%0aalert(1)", "is not an https:// URL"),
        ("https://[::1", "U+005B LEFT SQUARE BRACKET"),
        ("HTTPS://acme.example", "is not an https:// URL"),
    ],
)
def test_website_refuses_what_could_break_out_of_a_link(url, says):
    with pytest.raises(AnswerError) as caught:
        RULES["website"](url)
    assert says in caught.value.message
    assert all(ch.isprintable() for ch in str(caught.value).replace("\n", ""))


@pytest.mark.parametrize("field", ["slug", "support_email"])
def test_a_trailing_newline_does_not_slip_past_an_anchored_rule(field):
    value = {"slug": "acme-mail\n", "support_email": "a@acme.example\nBcc: x@evil.example"}[field]
    with pytest.raises(AnswerError):
        RULES[field](value)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("a\x1b[2Jb", "U+001B"),
        ("a\rb", "a line break"),
        ("a\u202eb", "U+202E"),
        ("a\x00b", "U+0000"),
    ],
)
def test_description_keeps_paragraphs_but_refuses_control_characters(value, says):
    with pytest.raises(AnswerError) as caught:
        RULES["description"](value)
    assert says in caught.value.message
