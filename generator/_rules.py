"""The rules every answer must follow: one place, serving the prompts, the flags and ``check``.

Each rule takes the raw value and returns it normalised, or raises :class:`AnswerError`
naming the field, the value and the fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from slugify import slugify

from . import _segment
from .errors import AnswerError, printable

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH = (2, 50)
NAME_MAX = 60
MAINTAINER_MAX = 100
# Deliberately plain: a local part, an @, and a dotted domain with a 2+ letter TLD.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)
HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
# RFC 3986's unreserved and delimiter characters, minus those that can end a Markdown link
# or an HTML attribute: ' ( ) * and [ ]; plus % for percent-encoding.
URL_CHAR_RE = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&+,;=%]")
URL_RE = re.compile(
    r"https://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9\-._~:/?#@!$&+,;=%]*)?"
)


def suggest_slug(name: str) -> str:
    """Return the slug a name suggests (python-slugify, trimmed to the slug rule)."""
    return slugify(name, max_length=SLUG_LENGTH[1], word_boundary=True)


# Characters that draw nothing: Hangul fillers, the Braille blank, invisible marks. Letters
# or marks by category, so only a list catches them; a name of them looks empty, and one
# among letters makes two different names look the same.
INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0")
# Categories refused everywhere: controls (NUL, ESC, CR...), format characters (bidi
# overrides such as U+202E, zero-width ones), line and paragraph separators, surrogates,
# private-use and unassigned code points.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def _code_point(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()


def safe_text(field: str, value: str, *, newlines: bool = False) -> None:
    """Refuse characters that hide, reorder or control what a reader sees.

    Args:
        field: the answer's key, for the error.
        value: the text.
        newlines: allow ``\\n`` (a description may have paragraphs).

    Raises:
        AnswerError: naming the first offending character by code point.
    """
    for ch in value:
        if newlines and ch == "\n":
            continue
        category = unicodedata.category(ch)
        if category == "Cf" and unicodedata.bidirectional(ch) in {
            "LRE",
            "RLE",
            "LRO",
            "RLO",
            "PDF",
            "LRI",
            "RLI",
            "FSI",
            "PDI",
        }:
            raise AnswerError(
                field,
                value,
                f"contains a bidirectional control ({_code_point(ch)})"
                " that reorders the text shown",
                "type the text without it; plain right-to-left text needs no control characters",
            )
        if category in _REFUSED_CATEGORIES:
            what = (
                "a line break"
                if ch in "\n\r\u2028\u2029\x85"
                else "an invisible or control character"
            )
            raise AnswerError(
                field,
                value,
                f"contains {what} ({_code_point(ch)})",
                "use printable characters" + ("" if newlines else " on one line"),
            )
        if ch in INVISIBLE or (category == "Zs" and ch != " "):
            raise AnswerError(
                field,
                value,
                f"contains a character that shows as blank ({_code_point(ch)})",
                "use plain spaces between visible characters",
            )


def _text(field: str, value: Any, max_len: int, what: str) -> str:
    if not isinstance(value, str):
        raise AnswerError(field, value, "is not text", f"give {what} as a string")
    text = value.strip()
    if not text:
        raise AnswerError(field, value, "is blank", f"give {what}")
    if len(text) > max_len:
        raise AnswerError(
            field, value, f"is {len(text)} characters long", f"shorten it to at most {max_len}"
        )
    safe_text(field, text)
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise AnswerError(
            field, value, "has no letter or digit, so it shows as nothing readable", f"give {what}"
        )
    return text


def integration_name(value: Any) -> str:
    return _text("integration_name", value, NAME_MAX, "the integration's name, e.g. `Acme Mail`")


def maintainer(value: Any) -> str:
    return _text("maintainer", value, MAINTAINER_MAX, "the maintaining company, e.g. `Acme Inc.`")


def slug(value: Any) -> str:
    if not isinstance(value, str):
        raise AnswerError("slug", value, "is not text", "give a slug such as `acme-mail`")
    low, high = SLUG_LENGTH
    if not SLUG_RE.fullmatch(value) or not low <= len(value) <= high:
        example = suggest_slug(value) if isinstance(value, str) else ""
        example = (
            example if SLUG_RE.fullmatch(example or "-") and len(example) >= low else "acme-mail"
        )
        raise AnswerError(
            "slug",
            value,
            f"must be lowercase-kebab ({low} to {high} of a-z, 0-9 and single hyphens, no hyphen "
            "at either end)",
            f"use e.g. `{example}`",
        )
    return value


def description(value: Any) -> str:
    limit = _segment.limits()["max_description_chars"]
    if not isinstance(value, str) or not value.strip():
        raise AnswerError(
            "description", value, "is blank", "describe the integration in one to a few sentences"
        )
    text = value.strip()
    if len(text) > limit:
        raise AnswerError(
            "description",
            f"{text[:40]}…",
            f"is {len(text)} characters long",
            f"shorten it to at most {limit} (Segment's guidance)",
        )
    safe_text("description", text, newlines=True)
    return text


def website(value: Any) -> str:
    """A plain ``https://host[:port][/path][?query][#fragment]`` URL, ASCII, nothing else.

    The URL is written into Markdown links and HTML attributes: whitespace, quotes, angle
    brackets, parentheses and backslashes could close them, so none is allowed (a path
    needing one percent-encodes it), and neither is a user:password@ part.
    """
    if not isinstance(value, str):
        raise AnswerError(
            "website", value, "is not text", "give an https:// URL such as `https://acme.example`"
        )
    url = value.strip()
    if not url.startswith("https://"):
        fix = "https://" + url.split("://", 1)[-1] if "://" in url else "https://" + url
        raise AnswerError(
            "website", value, "is not an https:// URL", f"use e.g. `{printable(fix)[:80]}`"
        )
    bad = next((ch for ch in url if not URL_CHAR_RE.fullmatch(ch)), None)
    if bad is not None:
        raise AnswerError(
            "website",
            value,
            f"contains {_code_point(bad)}, which a plain URL may not hold",
            "use a plain URL such as `https://acme.example/path`; percent-encode the character "
            "(`%20` for a space) or leave it out",
        )
    parts = urlsplit(url)  # no [ or ] left, so no "Invalid IPv6 URL" ValueError
    host = parts.hostname or ""
    labels = host.split(".")
    if (
        "@" in parts.netloc
        or not URL_RE.fullmatch(url)
        or len(labels) < 2
        or not all(HOST_LABEL_RE.fullmatch(label) for label in labels)
    ):
        raise AnswerError("website", value, "is not a valid URL", "use e.g. `https://acme.example`")
    return url


def support_email(value: Any) -> str:
    if not isinstance(value, str) or not EMAIL_RE.fullmatch(value.strip()):
        raise AnswerError(
            "support_email",
            value,
            "is not a valid email address",
            "use e.g. `support@acme.example`",
        )
    return value.strip()


def _as_list(field: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value]
    raise AnswerError(
        field, value, "is not a list", "give a list, e.g. `[a, b]` in YAML or `a,b` with --data"
    )


def regions(value: Any) -> list[str]:
    chosen = _as_list("regions", value)
    allowed = list(_segment.regions())
    if chosen not in (["us"], ["us", "eu"], ["eu", "us"]):
        raise AnswerError(
            "regions",
            value,
            f"is not a supported region set (known regions: {', '.join(allowed)})",
            "use `[us]` (US only) or `[us, eu]` (US and EU)",
        )
    return ["us", "eu"] if "eu" in chosen else ["us"]


def categories(value: Any) -> list[str]:
    chosen = _as_list("categories", value)
    known = _segment.categories()
    if not 1 <= len(chosen) <= 2 or len(set(chosen)) != len(chosen):
        raise AnswerError(
            "categories",
            value,
            "must be a primary and an optional different secondary category",
            "give one or two, e.g. `[Email Marketing, Analytics]`",
        )
    for item in chosen:
        if item not in known:
            # Spelled another way ("Live chat", "A/B testing"): name Segment's spelling.
            close = [
                c
                for c in known
                if re.sub(r"[^a-z0-9]", "", c.lower()) == re.sub(r"[^a-z0-9]", "", item.lower())
            ]
            fix = (
                f"use `{close[0]}`, as Segment spells it"
                if close
                else "choose from: " + ", ".join(known)
            )
            raise AnswerError("categories", item, "is not one of Segment's source categories", fix)
    return chosen


def event_families(value: Any) -> list[str]:
    chosen = _as_list("event_families", value)
    known = list(_segment.families())
    unknown = [item for item in chosen if item not in known]
    if not chosen or unknown:
        shown = unknown[0] if unknown else value
        raise AnswerError(
            "event_families",
            shown,
            "is not a Spec event family",
            "choose at least one of: " + ", ".join(known),
        )
    return [key for key in known if key in chosen]  # the data file's order, no repeats


def _choice(field: str, value: Any, known: Mapping[str, str]) -> str:
    if value not in known:
        raise AnswerError(
            field,
            value,
            "is not a known choice",
            "choose one of: " + ", ".join(f"`{k}`" for k in known),
        )
    return str(value)


def anonymous_fallback(value: Any) -> str:
    return _choice("anonymous_fallback", value, _segment.data()["anonymous_fallbacks"])


def lifecycle(value: Any) -> str:
    return _choice("lifecycle", value, _segment.data()["lifecycles"])


# Answer key -> its rule, in the order the questions are asked.
RULES: Mapping[str, Callable[[Any], Any]] = {
    "integration_name": integration_name,
    "slug": slug,
    "regions": regions,
    "description": description,
    "website": website,
    "categories": categories,
    "support_email": support_email,
    "maintainer": maintainer,
    "event_families": event_families,
    "anonymous_fallback": anonymous_fallback,
    "lifecycle": lifecycle,
}
