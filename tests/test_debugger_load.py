"""100,000 events from concurrent senders: every one counted, memory bounded by --keep."""

from __future__ import annotations

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from .debugger_helpers import events, good_event, post, running

SENDERS = 8
BATCHES_PER_SENDER = 25
BATCH_SIZE = 500
TOTAL = SENDERS * BATCHES_PER_SENDER * BATCH_SIZE
KEEP = 1000


def test_100k_events_from_8_concurrent_senders_are_all_counted():
    """Concurrent /v1/batch posts: counts show every event; only --keep events are kept."""
    assert TOTAL == 100_000
    with running(keep=KEEP, integration="acme-mail") as debugger:
        parts = urlsplit(debugger.url)

        def sender(n: int) -> list[int]:
            statuses = []
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            try:
                for b in range(BATCHES_PER_SENDER):
                    batch = [
                        good_event(type="track", messageId=f"s{n}-b{b}-e{i}")
                        for i in range(BATCH_SIZE)
                    ]
                    body = json.dumps({"batch": batch}).encode()
                    statuses.append(post(debugger.url, "/v1/batch", raw=body, conn=conn).status)
            finally:
                conn.close()
            return statuses

        started = time.perf_counter()
        # result() re-raises a sender's exception here, in the test's thread.
        with ThreadPoolExecutor(SENDERS) as pool:
            statuses = [s for done in pool.map(sender, range(SENDERS)) for s in done]
        elapsed = time.perf_counter() - started

        assert statuses == [200] * (SENDERS * BATCHES_PER_SENDER)
        stored = events(debugger.url)
        counts = stored["counts"]
        assert counts["total"] == TOTAL
        assert counts["by_status"] == {"pass": TOTAL, "warn": 0, "fail": 0}
        assert counts["by_type"] == {"track": TOTAL}
        assert counts["requests"] == {"200": SENDERS * BATCHES_PER_SENDER}
        assert counts["stored"] == KEEP
        assert len(stored["events"]) == KEEP
        ids = [e["id"] for e in stored["events"]]
        assert ids == list(range(TOTAL, TOTAL - KEEP, -1))  # the newest, newest first
        # Still answering after the load.
        assert post(debugger.url, "/v1/track", good_event()).status == 200
    print(f"\n100k events in {elapsed:.1f} s ({TOTAL / elapsed:,.0f} events/s)")
    assert elapsed < 60
