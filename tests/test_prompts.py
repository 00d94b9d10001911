"""The interactive prompts, driven through a real pseudo-terminal of 80 columns."""

from __future__ import annotations

import os
import re
import sys

import pexpect
import pyte
from ruamel.yaml import YAML

from generator import _rules
from generator.errors import AnswerError

DOWN, ENTER, SPACE, BACKSPACE = "\x1b[B", "\r", " ", "\x7f"
COLUMNS, LINES = 80, 24


class Terminal:
    """What an 80-column terminal shows: pexpect's output fed to a VT100 emulator (pyte)."""

    def __init__(self) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.Stream(self.screen)

    def write(self, data: str) -> None:
        self.stream.feed(data)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        """The screen's rows run together (a wrapped line reads on), spaces collapsed."""
        return re.sub(r"\s+", " ", "".join(row.ljust(COLUMNS) for row in self.screen.display))


def _rule_message(rule, value) -> str:
    try:
        rule(value)
    except AnswerError as exc:
        return f"{exc.message} ({exc.hint})"
    raise AssertionError(f"{value!r} passes the rule")


def test_prompts_ask_validate_live_and_generate(tmp_path):
    """Bad answers are refused in place with the rule's whole message, never cut at 80 columns."""
    dest = tmp_path / "acme"
    env = {**os.environ, "TERM": "xterm", "COLUMNS": str(COLUMNS), "LINES": str(LINES)}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "generator", "new", str(dest)],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(LINES, COLUMNS),
    )
    terminal = Terminal()
    child.logfile_read = terminal
    try:
        child.expect("Integration name")
        child.send("Acme Mail" + ENTER)
        child.expect("Slug")
        child.send(BACKSPACE * len("acme-mail") + "Acme Mail" + ENTER)
        child.expect("lowercase-kebab")
        child.expect(pexpect.TIMEOUT, timeout=1)  # let the prompt finish drawing
        shown = terminal.text()
        assert (
            len(_rule_message(_rules.slug, "Acme Mail")) > COLUMNS
        )  # the case that used to be cut
        assert _rule_message(_rules.slug, "Acme Mail") in shown
        assert "suggested from the name" in shown and "segment-source new suggests one" not in shown
        child.send(BACKSPACE * len("Acme Mail") + "acme-mail" + ENTER)
        child.expect("Region support")
        child.send(DOWN + ENTER)  # US and EU
        child.expect("Catalog description")
        child.send("Email for product teams." + ENTER)
        child.expect("Website")
        child.send("http://acme.example")
        child.send(ENTER)
        child.expect("is not an https:// URL")  # live validation: the prompt stays open
        child.expect(pexpect.TIMEOUT, timeout=1)
        assert _rule_message(_rules.website, "http://acme.example") in terminal.text()
        child.send("\x7f" * len("http://acme.example") + "https://acme.example" + ENTER)
        child.expect("Primary catalog category")
        child.send(DOWN + ENTER)  # the second category in Segment's list
        child.expect("Secondary catalog category")
        child.send(ENTER)  # none
        child.expect("Customer support email")
        child.send("support@acme.example" + ENTER)
        child.expect("Maintainer")
        child.send(ENTER)  # defaults to the name
        child.expect("event families")
        child.send(DOWN + SPACE + ENTER)  # Email (checked by default) plus Live Chat
        child.expect("When an event has no userId")
        child.send(DOWN + ENTER)  # the email address as the anonymousId
        child.expect("Release stage")
        child.send(ENTER)  # beta, the default
        child.expect("Next steps", timeout=60)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    answers = YAML(typ="safe").load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["slug"] == "acme-mail"
    assert answers["regions"] == ["us", "eu"]
    assert answers["website"] == "https://acme.example"
    assert answers["categories"] == ["Advertising"]
    assert answers["maintainer"] == "Acme Mail"
    assert answers["event_families"] == ["email", "live_chat"]
    assert answers["anonymous_fallback"] == "email" and answers["lifecycle"] == "beta"


def test_family_default_follows_the_primary_category(tmp_path):
    """Choosing Livechat as the primary category pre-checks the Live Chat family."""
    from generator import _segment

    dest = tmp_path / "talk"
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "200", "LINES": "50"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "generator", "new", str(dest)],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )
    try:
        for prompt, keys in [
            ("Integration name", "Talkbox" + ENTER),
            ("Slug", ENTER),
            ("Region support", ENTER),
            ("Catalog description", "Chat for teams." + ENTER),
            ("Website", "https://talk.example" + ENTER),
        ]:
            child.expect(prompt)
            child.send(keys)
        child.expect("Primary catalog category")
        child.send(DOWN * _segment.categories().index("Livechat") + ENTER)
        child.expect("Secondary catalog category")
        child.send(ENTER)
        child.expect("Customer support email")
        child.send("help@talk.example" + ENTER)
        child.expect("Maintainer")
        child.send(ENTER)
        child.expect("event families")
        child.send(ENTER)  # accept the default
        for prompt in ("When an event has no userId", "Release stage"):
            child.expect(prompt)
            child.send(ENTER)  # the defaults
        child.expect("Next steps", timeout=60)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    answers = YAML(typ="safe").load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["categories"] == ["Livechat"]
    assert answers["event_families"] == ["live_chat"]
