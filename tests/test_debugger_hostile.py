"""A flooded or hostile client cannot exhaust the debugger's memory, threads or handlers.

Real HTTP on 127.0.0.1. Load tests are bounded in count and in time (client timeouts);
memory and speed figures are in benchmarks/debugger_bench.py, not asserted here.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest

from generator import _segment
from generator._debugger._ingest import MAX_DEPTH

from .debugger_helpers import (
    basic,
    events,
    good_event,
    messages,
    post,
    request,
    running,
)

EVENT_LIMIT = _segment.limits()["max_event_bytes"]


def nested(depth: int) -> bytes:
    """A track call whose JSON nests ``depth`` levels (written by hand: json.dumps cannot)."""
    event = json.dumps(good_event(properties="HERE"))
    inner = '{"n":' * (depth - 1) + '"leaf"' + "}" * (depth - 1)  # under the body
    return event.replace('"HERE"', inner).encode()


def read_all(sock: socket.socket) -> bytes:
    """Read until the server closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def raw_connection(url: str, timeout: float = 10) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    return sock


def test_an_event_over_32_kb_inside_a_batch_refuses_the_batch_with_400():
    """Segment answers 400 when one batched event is over 32 KB; nothing is stored.

    Source: segmentio/segment-docs@747b35d8f5f1889b041f2101185d562d7c4c016e,
    src/connections/sources/catalog/libraries/server/http-api/index.md, "Max request
    size": 32KB per event in a batch, "400 Bad Request if these limits are exceeded".
    """
    with running() as debugger:
        big = good_event(type="track", properties={"note": "x" * EVENT_LIMIT})
        small = good_event(type="track")
        answer = post(debugger.url, "/v1/batch", {"batch": [small, big]})
        assert answer.status == 400
        assert answer.json["code"] == "request_too_large"
        assert "batch[1]" in answer.json["message"]
        assert f"over {EVENT_LIMIT} per event" in answer.json["message"]
        counts = events(debugger.url)["counts"]
        assert counts["total"] == 0
        assert counts["requests"] == {"400": 1}
        at_limit = good_event(type="track", properties={"note": ""})
        at_limit["properties"]["note"] = "x" * (
            EVENT_LIMIT - len(json.dumps(at_limit, separators=(",", ":")))
        )
        assert post(debugger.url, "/v1/batch", {"batch": [at_limit]}).status == 200


def test_a_flood_of_490_kb_events_stores_nothing():
    """Batches of one ~490 KB event (the memory flood) are each refused; none is kept."""
    rows = [{"i": i, "v": "x"} for i in range(20_000)]
    body = json.dumps({"batch": [good_event(type="track", properties={"rows": rows})]})
    assert 400_000 < len(body) < _segment.limits()["max_batch_bytes"]
    with running() as debugger:
        parts = urlsplit(debugger.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            statuses = {post(debugger.url, "/v1/batch", raw=body.encode(), conn=conn).status
                        for _ in range(20)}  # fmt: skip
        finally:
            conn.close()
        assert statuses == {400}
        counts = events(debugger.url)["counts"]
        assert (counts["stored"], counts["stored_bytes"]) == (0, 0)


def test_the_store_is_bounded_in_bytes_and_keeps_the_newest():
    """With keep_bytes, the oldest events go once their JSON is over the budget."""
    budget = 256 * 1024
    with running(keep=1000, keep_bytes=budget) as debugger:
        for i in range(40):  # 40 events of ~20 KB: about three times the budget
            payload = good_event(messageId=f"m-{i}", properties={"note": "x" * 20_000})
            assert post(debugger.url, "/v1/track", payload).status == 200
        stored = events(debugger.url)
        counts = stored["counts"]
        assert counts["total"] == 40
        assert counts["max_bytes"] == budget
        assert 0 < counts["stored_bytes"] <= budget
        assert 5 < counts["stored"] < 40
        kept = [e["payload"]["messageId"] for e in stored["events"]]
        assert kept == [f"m-{i}" for i in range(39, 39 - counts["stored"], -1)]


def test_events_endpoint_answers_a_full_store_with_the_exact_length():
    """/api/events, written piece by piece, is one valid JSON document of every event."""
    with running(keep=200) as debugger:
        batch = [good_event(type="track", messageId=f"m-{i}", properties={"note": "é" * 500})
                 for i in range(100)]  # fmt: skip
        for _ in range(3):
            assert post(debugger.url, "/v1/batch", {"batch": batch}).status == 200
        answer = request(debugger.url, "GET", "/api/events")
        assert answer.status == 200
        assert int(answer.headers["Content-Length"]) > 200 * 3000
        assert len(answer.json["events"]) == 200
        assert answer.json["counts"]["total"] == 300
        assert answer.json["events"][0]["payload"]["properties"]["note"] == "é" * 500
        assert [e["id"] for e in answer.json["events"]] == list(range(300, 100, -1))
        limited = events(debugger.url, limit=3, status="pass")
        assert [e["id"] for e in limited["events"]] == [300, 299, 298]
        assert request(debugger.url, "GET", "/api/events?limit=9" + "9" * 4400).status == 400


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 980, 5000], ids=["limit+1", "980", "5000"])
def test_deeply_nested_json_is_refused_with_400_and_the_page_keeps_working(depth):
    """JSON nested past the limit gets a clear 400; /api/events stays valid JSON."""
    with running() as debugger:
        answer = post(debugger.url, "/v1/track", raw=nested(depth))
        assert answer.status == 400
        assert answer.json["code"] == "invalid_request"
        assert f"nested over {MAX_DEPTH} levels" in answer.json["message"]
        assert post(debugger.url, "/v1/track", raw=nested(MAX_DEPTH)).status == 200
        stored = events(debugger.url)
        assert stored["counts"]["total"] == 1
        assert stored["counts"]["requests"] == {"200": 1, "400": 1}


def test_depth_is_read_outside_strings_and_in_any_json_encoding():
    """Brackets and escaped quotes inside strings do not count; UTF-16 bodies are read too."""
    tricky = {"note": '\\"' + "[{" * 200, "key\\": "}]" * 200}
    with running() as debugger:
        body = nested(MAX_DEPTH).replace(b'"leaf"', json.dumps(tricky["note"]).encode())
        assert post(debugger.url, "/v1/track", raw=body).status == 200
        assert post(debugger.url, "/v1/track", good_event(properties=tricky)).status == 200
        deep16 = nested(MAX_DEPTH + 1).decode().encode("utf-16")
        answer = post(debugger.url, "/v1/track", raw=deep16)
        assert answer.status == 400
        assert f"nested over {MAX_DEPTH} levels" in answer.json["message"]
        assert (
            post(debugger.url, "/v1/track", raw=nested(8).decode().encode("utf-16")).status == 200
        )
        assert events(debugger.url)["counts"]["total"] == 3


def test_a_huge_x_retry_count_does_not_kill_the_handler():
    """A 4,300-digit (or non-ASCII digit) X-Retry-Count reads as 0 with a warning."""
    with running() as debugger:
        parts = urlsplit(debugger.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            huge = post(debugger.url, "/v1/track", good_event(),
                        headers={"X-Retry-Count": "9" * 4300}, conn=conn)  # fmt: skip
            assert huge.status == 200
            # The same keep-alive connection still answers.
            assert post(debugger.url, "/v1/track", good_event(),
                        headers={"X-Retry-Count": "3"}, conn=conn).status == 200  # fmt: skip
        finally:
            conn.close()
        digit = post(debugger.url, "/v1/track", good_event(),
                     headers={"X-Retry-Count": "\u00b2"})  # latin-1 superscript two  # fmt: skip
        assert digit.status == 200
        newest, retried, first = events(debugger.url)["events"]
        assert (first["retry"], retried["retry"], newest["retry"]) == (0, 3, 0)
        assert first["status"] == "warn"
        assert any("X-Retry-Count '99999999" in m for m in messages(first, "warn"))
        assert retried["status"] == "pass"


def test_listen_backlog_is_large():
    """The port listens with a backlog of 1,024 (ss shows it as Send-Q), not 5."""
    with running() as debugger:
        port = urlsplit(debugger.url).port
        out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
        assert out[0] == "LISTEN", out
        assert int(out[2]) >= 1024, out


async def _concurrent_posts(port: int, n: int, timeout: float) -> list[int]:
    body = json.dumps(good_event()).encode()
    request_bytes = (
        f"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: {basic('wk_load')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    async def one() -> int:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request_bytes)
                await writer.drain()
                status = (await reader.readline()).split()
                writer.close()
                return int(status[1])
        except (TimeoutError, OSError, IndexError):
            return 0

    return await asyncio.gather(*(one() for _ in range(n)))


def test_1000_concurrent_connections_are_all_answered():
    """1,000 connections opened at once each get their 200 (client timeout 20 s)."""
    with running() as debugger:
        port = urlsplit(debugger.url).port
        assert port is not None
        statuses = asyncio.run(_concurrent_posts(port, 1000, timeout=20))
        assert statuses.count(200) == 1000, {s: statuses.count(s) for s in set(statuses)}
        assert events(debugger.url)["counts"]["total"] == 1000


def test_a_body_shorter_than_its_content_length_gets_408_after_the_read_timeout():
    """Content-Length 1000 with 10 bytes sent: a 408 once read_timeout passes, then close."""
    with running(read_timeout=0.5) as debugger:
        sock = raw_connection(debugger.url, timeout=10)
        try:
            sock.sendall(b"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                         b'{"userId":')  # fmt: skip
            answer = read_all(sock)  # socket.timeout here means the thread is still held
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert b"Connection: close" in answer
            assert b"did not arrive within 0.5 s" in answer
        finally:
            sock.close()
        assert events(debugger.url)["counts"]["requests"] == {"408": 1}


def test_a_drip_fed_request_is_cut_off_at_the_read_timeout():
    """A client that sends a header byte every 0.1 s is hung up on after read_timeout."""
    with running(read_timeout=0.5) as debugger:
        sock = raw_connection(debugger.url, timeout=10)
        try:
            sock.sendall(b"POST /v1/track HTTP/1.1\r\nX-Slow: ")
            closed = False
            for _ in range(100):  # at most 10 s, far past the 0.5 s deadline
                try:
                    sock.sendall(b"a")
                    time.sleep(0.1)
                    sock.setblocking(False)
                    try:
                        closed = sock.recv(1) == b""
                    except BlockingIOError:
                        pass
                    finally:
                        sock.setblocking(True)
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                if closed:
                    break
            assert closed, "the server still reads a request that started 10 s ago"
        finally:
            sock.close()
        # Still serving others.
        assert post(debugger.url, "/v1/track", good_event()).status == 200


def test_a_short_body_from_a_client_that_hangs_up_is_400():
    """Content-Length 1000 with 10 bytes then end-of-stream: no event, a 400."""
    with running() as debugger:
        sock = raw_connection(debugger.url)
        try:
            sock.sendall(b"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                         b'{"userId":')  # fmt: skip
            sock.shutdown(socket.SHUT_WR)
            answer = read_all(sock)
            assert answer.startswith(b"HTTP/1.1 400 "), answer
            assert b"ended after 10 of 1000 bytes" in answer
        finally:
            sock.close()
        assert events(debugger.url)["counts"]["total"] == 0


def test_idle_keep_alive_connections_still_work_after_the_read_timeout():
    """The deadline counts from a request's first byte: an idle pooled connection is kept."""
    with running(read_timeout=0.3) as debugger:
        parts = urlsplit(debugger.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            assert post(debugger.url, "/v1/track", good_event(), conn=conn).status == 200
            time.sleep(0.8)  # idle for longer than the read timeout
            assert post(debugger.url, "/v1/track", good_event(), conn=conn).status == 200
        finally:
            conn.close()
        assert events(debugger.url)["counts"]["total"] == 2
