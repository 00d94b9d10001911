"""What the relay tests share: analytics-node from npm, a relay under uvicorn, its tenant.

``analytics_node`` installs Segment's ``@segment/analytics-node`` from the npm registry
once into a cache folder (``$RELAY_TEST_NPM_CACHE``, else one under the system's temp
folder) and runs :data:`NODE_SENDER` with it: it sends the calls it is given and prints
one line per call with its messageId and whether the library's callback saw an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

NODE_PACKAGE = "@segment/analytics-node@3"

# Sends calls read from stdin with analytics-node; prints {"i", "messageId", "error"} per call.
NODE_SENDER = r"""
const { Analytics } = require('@segment/analytics-node')
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'))
const clients = input.hosts.map((host) => new Analytics({
  writeKey: input.writeKey, host, flushAt: input.flushAt || 15, flushInterval: input.flushInterval || 200,
  maxRetries: input.maxRetries ?? 3, httpRequestTimeout: 10000,
}))
clients.forEach((c) => c.on('error', () => {}))
let done = 0
const out = []
const total = input.calls.length
function finish() {
  Promise.all(clients.map((c) => c.closeAndFlush({ timeout: 120000 }))).then(() => {
    process.stdout.write(out.join('\n') + '\n')
  })
}
const rate = input.perSecond || 0
function send(i) {
  const call = input.calls[i]
  const client = clients[i % clients.length]
  const { type, ...params } = call
  client[type](params, (err, ctx) => {
    out.push(JSON.stringify({ i, host: i % clients.length, messageId: ctx && ctx.event.messageId,
                               error: err ? String(err.reason || err.message || err) : null }))
    if (++done === total) finish()
  })
}
if (!rate) { for (let i = 0; i < total; i++) send(i) }
else {
  let i = 0
  const tick = setInterval(() => {
    for (let k = 0; k < rate / 100 && i < total; k++) send(i++)
    if (i >= total) clearInterval(tick)
  }, 10)
}
"""


def npm_cache() -> Path:
    return Path(os.environ.get("RELAY_TEST_NPM_CACHE") or Path(tempfile.gettempdir()) / "relay-tests-analytics-node")


def install_analytics_node() -> Path:
    """Install analytics-node into the cache folder (once); return the folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are needed for the relay tests: `apt-get install nodejs npm`")
    folder = npm_cache()
    if not (folder / "node_modules" / "@segment" / "analytics-node" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), NODE_PACKAGE],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.fail(f"npm install {NODE_PACKAGE} failed: {done.stderr[-2000:]}")
    (folder / "sender.js").write_text(NODE_SENDER)
    return folder


def start_node(folder: Path, **config: Any) -> subprocess.Popen[str]:
    """Start the sender with ``config`` (hosts, writeKey, calls, flushAt...); read its output with :func:`results`."""
    sender = subprocess.Popen(
        ["node", str(folder / "sender.js")],
        cwd=folder,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert sender.stdin is not None
    sender.stdin.write(json.dumps(config))
    sender.stdin.close()
    sender.stdin = None  # written: communicate() reads the rest
    return sender


def results(sender: subprocess.Popen[str], timeout: float = 180) -> list[dict[str, Any]]:
    """Wait for the sender; return one dict per call (``messageId``, ``error``)."""
    try:
        out, err = sender.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        sender.kill()
        sender.communicate()
        pytest.fail("analytics-node did not finish")
    if sender.returncode != 0:
        pytest.fail(f"analytics-node sender failed: {err[-2000:]}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def send_with_node(folder: Path, **config: Any) -> list[dict[str, Any]]:
    return results(start_node(folder, **config))
