"""A generated project's sample command against the debugger: a tool's exit codes and messages."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys

import pytest

from generator import _segment

from .debugger_helpers import request, running

KEY = "wk_sample_5b0e1c7d"


def _package(result):
    return next(f.split("/")[1] for f in result.files if f.endswith("/cli.py"))


def _env(result):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENT_")}
    return {**env, "PYTHONPATH": str(result.path / "src")}


def _sample(result, *args, key=KEY, timeout=60):
    """Run ``python -m <package> ARGS`` in the project; return the finished process."""
    command = [sys.executable, "-m", _package(result), "--write-key", key, *args]
    return subprocess.run(
        command,
        cwd=result.path,
        env=_env(result),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("name", ["us-email", "eu-all-families"])
def test_sample_scenario_arrives_checked_and_passing(rendered, name):
    """Every sample event reaches the debugger through the endpoint override and passes."""
    result = rendered(name)
    with running(write_keys=[KEY], integration=result.answers["slug"]) as debugger:
        done = _sample(result, "--endpoint", debugger.url)
        assert done.returncode == 0, done.stderr
        answer = request(debugger.url, "GET", "/api/events?limit=1000")
    events = answer.json["events"]
    expected = [
        name
        for family in result.answers["event_families"]
        for name in _segment.families()[family]["sample"]
    ]
    assert sorted(e["name"] for e in events) == sorted(expected)
    assert {e["status"] for e in events} == {"pass"}, [
        e["reasons"] for e in events if e["status"] != "pass"
    ]
    assert "wk_sample_5b0e1c7d" not in str(answer.json)
    assert f"sent {len(expected)} events" in done.stdout


def test_a_key_the_debugger_refuses_exits_1_with_a_message(rendered):
    """With --strict-keys the debugger answers 401 to another key.

    The sample exits 1 and names the fix; the key is never shown.
    """
    result = rendered("us-email")
    with running(write_keys=["wk_the_only_accepted_key"], strict_keys=True,
                 integration=result.answers["slug"]) as debugger:  # fmt: skip
        done = _sample(result, "--endpoint", debugger.url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{debugger.url} refused the write key (HTTP 401)" in done.stderr
    assert "--write-key or SEGMENT_WRITE_KEY" in done.stderr
    assert KEY not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_an_unexpected_key_is_delivered_as_at_segment_and_marked(rendered):
    """Without --strict-keys, as at Segment, another key gets 200s: exit 0, each event a warn."""
    result = rendered("us-email")
    with running(
        write_keys=["wk_the_only_accepted_key"], integration=result.answers["slug"]
    ) as debugger:
        done = _sample(result, "--endpoint", debugger.url)
        answer = request(debugger.url, "GET", "/api/events?limit=1000")
    assert done.returncode == 0, done.stdout + done.stderr
    events = answer.json["events"]
    assert events and {(e["status"], e["key_known"]) for e in events} == {("warn", False)}
    assert KEY not in str(answer.json)


def test_nothing_listening_exits_1_within_the_timeout(rendered):
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = _sample(rendered("us-email"), "--endpoint", f"http://127.0.0.1:{port}", "--timeout", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"http://127.0.0.1:{port} did not answer" in done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_while_waiting_exits_130_without_a_traceback(rendered):
    """The endpoint accepts connections but never answers; Ctrl-C ends the wait at once."""
    result = rendered("us-email")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # never accepted: connects succeed, no answer ever comes
        command = [
            sys.executable,
            "-m",
            _package(result),
            "--write-key",
            KEY,
            "--endpoint",
            f"http://127.0.0.1:{silent.getsockname()[1]}",
        ]
        proc = subprocess.Popen(
            command,
            cwd=result.path,
            env=_env(result),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().startswith("sending 4 events")
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err


@pytest.mark.parametrize("doc", ["README.md", "docs/index.md"])
def test_the_documented_command_works_when_copied(rendered, doc):
    """The sample command as the project's docs print it (key variable included) runs as is."""
    result = rendered("us-email")
    package = _package(result)
    text = (result.path / doc).read_text(encoding="utf-8")
    lines = [line.split(" #")[0] for line in text.splitlines() if f"python -m {package} " in line]
    assert lines, f"{doc} shows no sample command"
    words = shlex.split(lines[0])
    env = _env(result)
    while "=" in words[0]:  # leading VAR=value assignments, as a shell reads them
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert "SEGMENT_WRITE_KEY" in env or "--write-key" in words
    assert words[:3] == ["python", "-m", package] and "http://127.0.0.1:8765" in words
    with running(integration=result.answers["slug"]) as debugger:
        words = [debugger.url if w == "http://127.0.0.1:8765" else w for w in words]
        done = subprocess.run(
            [sys.executable, *words[1:]],
            cwd=result.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
