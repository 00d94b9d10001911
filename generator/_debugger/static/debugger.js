// The Source Debugger page: live events over Server-Sent Events, filtered in the page.
// Every value from an event goes in through textContent, never innerHTML.
"use strict";

const state = { events: [], lastId: 0, keep: 1000, open: new Set(), keys: new Set() };
const $ = (id) => document.getElementById(id);

function connect() {
  // EventSource reconnects by itself and resends the last id it saw.
  const source = new EventSource("/api/stream");
  source.onopen = () => setLive(true);
  source.onerror = () => setLive(false);
  source.onmessage = (message) => receive(JSON.parse(message.data));
}

function setLive(on) {
  const live = $("live");
  live.className = on ? "live on" : "live off";
  live.textContent = on ? "live" : "reconnecting…";
}

function receive(data) {
  if (data.counts.total < state.lastId) {
    // The debugger restarted: its ids began again.
    state.events = [];
    state.lastId = 0;
  }
  for (const event of data.events) {
    if (event.id <= state.lastId) continue;
    state.events.push(event);
    state.lastId = event.id;
    if (event.write_key) addKey(event.write_key);
  }
  state.keep = data.counts.keep;
  if (state.events.length > state.keep) state.events.splice(0, state.events.length - state.keep);
  renderCounts(data.counts);
  render();
}

function addKey(key) {
  if (state.keys.has(key)) return;
  state.keys.add(key);
  const option = document.createElement("option");
  option.value = key;
  option.textContent = key;
  $("filter-key").append(option);
}

function renderCounts(counts) {
  $("count-total").textContent = counts.total.toLocaleString();
  $("count-stored").textContent = counts.stored.toLocaleString();
  for (const status of ["pass", "warn", "fail"]) {
    $("count-" + status).textContent = (counts.by_status[status] || 0).toLocaleString();
  }
  const requests = Object.entries(counts.requests).map(([code, n]) => `${code}: ${n}`);
  $("count-requests").textContent = requests.length ? requests.join(" · ") : "none yet";
}

function filters() {
  return {
    type: $("filter-type").value,
    status: $("filter-status").value,
    event: $("filter-event").value.trim().toLowerCase(),
    key: $("filter-key").value,
  };
}

function matches(event, f) {
  return (!f.type || event.type === f.type)
    && (!f.status || event.status === f.status)
    && (!f.event || (event.name || "").toLowerCase().includes(f.event))
    && (!f.key || event.write_key === f.key);
}

function render() {
  const f = filters();
  const rows = document.createDocumentFragment();
  let shown = 0;
  for (let i = state.events.length - 1; i >= 0; i--) {  // newest first
    const event = state.events[i];
    if (!matches(event, f)) continue;
    shown++;
    rows.append(row(event));
    if (state.open.has(event.id)) rows.append(detail(event));
  }
  $("rows").replaceChildren(rows);
  $("events").hidden = state.events.length === 0;
  $("empty").hidden = state.events.length !== 0;
  $("matching").textContent = state.events.length ? `${shown} of ${state.events.length} shown` : "";
}

function cell(className, text) {
  const td = document.createElement("td");
  td.className = className;
  td.textContent = text;
  return td;
}

function keyCell(event) {
  // key_known is false when --write-key was given and this key is not among them.
  const td = cell("key", event.write_key || "(none)");
  if (event.key_known === false) {
    td.classList.add("unknown");
    td.title = "Not one of the write keys this debugger was told about (--write-key)";
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = "not expected";
    td.append(note);
  }
  return td;
}

function row(event) {
  const tr = document.createElement("tr");
  tr.className = "event-row" + (state.open.has(event.id) ? " open" : "");
  tr.dataset.id = event.id;
  tr.dataset.status = event.status;
  const time = new Date(event.received_at);
  tr.append(
    cell("time", time.toLocaleTimeString(undefined, { hour12: false }) + "." +
      String(time.getMilliseconds()).padStart(3, "0")),
    cell("type", (event.type || "?") + (event.retry ? ` (retry ${event.retry})` : "")),
    cell("name", event.name || ""),
    keyCell(event),
  );
  const status = cell("status", "");
  const badge = document.createElement("span");
  badge.className = "badge " + event.status;
  badge.textContent = event.status;
  status.append(badge);
  const reasons = cell("reasons", "");
  const list = document.createElement("ul");
  list.className = "reasons";
  for (const reason of event.reasons) {
    const li = document.createElement("li");
    li.className = reason.level;
    li.textContent = reason.message;
    list.append(li);
  }
  reasons.append(list);
  tr.append(status, reasons);
  tr.addEventListener("click", () => toggle(event.id));
  return tr;
}

function detail(event) {
  const tr = document.createElement("tr");
  tr.className = "detail";
  tr.dataset.id = event.id;
  const td = document.createElement("td");
  td.colSpan = 6;
  const pre = document.createElement("pre");
  pre.className = "payload";
  pre.textContent = JSON.stringify(event.payload, null, 2);
  td.append(pre);
  tr.append(td);
  return tr;
}

function toggle(id) {
  if (state.open.has(id)) state.open.delete(id); else state.open.add(id);
  render();
}

document.addEventListener("DOMContentLoaded", () => {
  $("host").textContent = location.origin;
  for (const id of ["filter-type", "filter-status", "filter-key"]) {
    $(id).addEventListener("change", render);
  }
  $("filter-event").addEventListener("input", render);
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  connect();
});
