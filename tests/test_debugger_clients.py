"""Clients nobody here wrote: Segment's own analytics-python, and the command line."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from segment.analytics import Client

from generator._debugger import DebuggerServer, _command, mask

from .debugger_helpers import SLUG, WRITE_KEY, events, good_event, post, running

CONTEXT = {"integration": {"name": SLUG, "version": "1.0.0"}}
ALIAS_IN_BATCH = (
    "alias is not a call /v1/batch lists (identify, group, track, page, screen): "
    "send it to /v1/alias"
)


@pytest.fixture
def client_errors() -> list[Exception]:
    return []


def _client(debugger: DebuggerServer, errors: list[Exception], **kwargs) -> Client:
    return Client(
        WRITE_KEY,
        host=debugger.url,
        on_error=lambda exc, batch: errors.append(exc),
        upload_interval=0.05,
        **kwargs,
    )


def _send_all(client: Client) -> None:
    client.identify("user-1", {"email": "ada@example.com"}, context=CONTEXT)
    client.track("user-1", "Email Opened", {"email_id": "e-1"}, context=CONTEXT)
    client.page("user-1", name="Pricing", properties={"path": "/pricing"}, context=CONTEXT)
    client.screen("user-1", name="Inbox", context=CONTEXT)
    client.group("user-1", "group-1", {"name": "Acme"}, context=CONTEXT)
    client.alias("anon-1", "user-1", context=CONTEXT)
    client.flush()
    client.shutdown()


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_analytics_python_calls_are_accepted_and_shown(client_errors, gzip):
    """Every call of segment-analytics-python is accepted and passes every check."""
    with running(write_keys=[WRITE_KEY], integration=SLUG) as debugger:
        _send_all(_client(debugger, client_errors, gzip=gzip))
        assert client_errors == []
        stored = events(debugger.url)
    assert sorted(e["type"] for e in stored["events"]) == [
        "alias", "group", "identify", "page", "screen", "track"]  # fmt: skip
    assert stored["counts"]["total"] == 6
    for event in stored["events"]:
        if event["type"] == "alias":
            # analytics-python sends alias in /v1/batch, which the batch docs do not list.
            assert event["status"] == "warn", event
            assert [r["message"] for r in event["reasons"]] == [ALIAS_IN_BATCH]
        else:
            assert event["status"] == "pass", event
        assert event["write_key"] == mask(WRITE_KEY)
        assert event["payload"]["context"]["library"]["name"] == "analytics-python"
    assert WRITE_KEY not in json.dumps(stored)


def test_analytics_python_with_a_wrong_key_is_answered_200_and_warned(client_errors):
    """As at Segment, an unknown key gets a 200; the event is marked as sent with it."""
    with running(write_keys=["wk_some_other_key_0"]) as debugger:
        client = _client(debugger, client_errors, max_retries=1)
        client.track("user-1", "Email Opened", context=CONTEXT)
        client.flush()
        client.shutdown()
        assert client_errors == []
        stored = events(debugger.url)
    assert stored["counts"]["requests"] == {"200": 1}
    (event,) = stored["events"]
    assert event["status"] == "warn"
    assert event["key_known"] is False
    assert any("is not one this debugger was told about" in r["message"]
               for r in event["reasons"])  # fmt: skip


def test_analytics_python_with_a_wrong_key_and_strict_keys_gets_401(client_errors):
    """With strict_keys, a client with an unknown key sees the 401 as a non-retryable error."""
    with running(write_keys=["wk_some_other_key_0"], strict_keys=True) as debugger:
        client = _client(debugger, client_errors, max_retries=1)
        client.track("user-1", "Email Opened", context=CONTEXT)
        client.flush()
        client.shutdown()
        assert [getattr(e, "status", None) for e in client_errors] == [401]
        assert events(debugger.url)["counts"]["requests"] == {"401": 1}


def test_analytics_python_retries_through_injected_503s(client_errors):
    """With --fail-rate, the client retries (X-Retry-Count) until each batch gets in."""
    with running(fail_rate=0.5, seed=3) as debugger:
        client = _client(debugger, client_errors, upload_size=1, max_retries=20)
        for i in range(6):
            client.track("user-1", "Email Opened", {"n": i}, context=CONTEXT)
        client.flush()
        client.shutdown()
        stored = events(debugger.url)
    assert client_errors == []
    assert stored["counts"]["total"] == 6
    assert stored["counts"]["requests"]["503"] >= 1
    assert stored["counts"]["requests"]["200"] == 6
    assert any(e["retry"] >= 1 for e in stored["events"])


@pytest.fixture
def cli() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "generator._debugger", "--port", "0", "--write-key", WRITE_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Source Debugger: http://127.0.0.1:"), first
        yield process, first.split(": ", 1)[1].strip().rstrip("/")
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_cli_prints_the_url_serves_and_stops_cleanly_on_ctrl_c(cli):
    """The command prints its URL, accepts events, and exits 0 on Ctrl-C with a summary."""
    process, url = cli
    assert post(url, "/v1/track", good_event()).status == 200
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "received 1 events: 1 pass, 0 warn, 0 fail" in out
    assert WRITE_KEY not in out + err
    assert "Traceback" not in err


def test_add_parser_plugs_into_a_main_cli():
    """add_parser() adds `debugger` and its checked options to a parent parser."""

    parser = argparse.ArgumentParser(prog="segment-source")
    _command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["debugger", "--port", "0", "--keep", "5", "--rate-limit", "9"])
    assert (args.command, args.keep, args.rate_limit, args.fail_rate) == ("debugger", 5, 9, 0.0)
    with pytest.raises(SystemExit):
        parser.parse_args(["debugger", "--fail-rate", "2"])
    assert args.run is _command.run
    assert (args.strict_keys, args.keep_mb, args.read_timeout) == (False, 64, 10.0)
    hardened = parser.parse_args(["debugger", "--strict-keys", "--keep-mb", "8",
                                  "--read-timeout", "2.5"])  # fmt: skip
    assert (hardened.strict_keys, hardened.keep_mb, hardened.read_timeout) == (True, 8, 2.5)
    for bad in (["--read-timeout", "0"], ["--read-timeout", "nan"], ["--keep-mb", "0"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["debugger", *bad])


def test_cli_strict_keys_answers_401_to_another_key():
    """--strict-keys turns the 200-and-warn for an unexpected key into a 401."""
    process = subprocess.Popen(
        [sys.executable, "-m", "generator._debugger", "--port", "0", "--write-key", WRITE_KEY,
         "--strict-keys", "--keep-mb", "1", "--read-timeout", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(": ", 1)[1].strip().rstrip("/")
        announced = process.stdout.readline() + process.stdout.readline()
        assert "only 1 write key(s), 401 for others" in announced
        assert post(url, "/v1/track", good_event(), key="wk_not_this_one").status == 401
        assert post(url, "/v1/track", good_event()).status == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "received 1 events" in out


def test_cli_reports_a_busy_port_as_an_error():
    """A port in use gives `error: cannot listen ...` and exit code 1, no traceback."""
    with running() as debugger:
        result = subprocess.run(
            [sys.executable, "-m", "generator._debugger", "--port", str(debugger.port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{debugger.port}")
    assert "--port 0" in result.stderr


def test_segment_source_cli_has_the_debugger_command(capsys):
    """`segment-source debugger --help` lists the debugger's options."""
    from generator._cli import main

    with pytest.raises(SystemExit) as exc:
        main(["debugger", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--write-key" in out and "--fail-rate" in out and "--keep" in out
