// The web client's roster: who is online, kept from the server's lists and
// notices (docs/PROTOCOL.md), and asked again with /who when it may have
// drifted. Loaded before app.js, whose state, el, nameButton and send it uses
// once the page runs.
"use strict";

const MAX_LISTED = 100; // the server lists this many names at most; past it the roster is partial
const REFRESH_GAP_MS = 2000; // the page asks /who for itself at most this often

function renderRoster() {
  roster.replaceChildren();
  const names = [...state.online].sort((a, b) => a.localeCompare(b));
  for (const name of names) {
    const item = el("li", name === state.self ? "self" : null);
    item.append(nameButton(name, true));
    roster.append(item);
  }
  $("roster-title").textContent = "Online (" + names.length + ")";
}

// "alice (5m), bob (2s) and 3 more": the names listed, in order.
function rosterFromList(list) {
  state.online.clear();
  const names = list.replace(/ and \d+ more$/, "").split(", ").map((entry) =>
    entry.replace(/ \([^()]*\)$/, ""));
  for (const name of names) state.online.add(name);
  return names;
}

// The server keeps some join and leave notices to itself (several people
// behind one address, docs/PROTOCOL.md), so the roster can drift: when a
// notice's count disagrees with it, or someone it does not list speaks,
// the page asks /who for itself (at most every REFRESH_GAP_MS) and shows
// nothing of the answer but the roster. Past MAX_LISTED online no list is
// whole: the roster then holds the listed and whoever speaks.
function refreshRoster() {
  const refresh = state.refresh;
  if (refresh.timer || refresh.asked) return;
  const wait = Math.max(0, refresh.last + REFRESH_GAP_MS - Date.now());
  refresh.timer = setTimeout(() => {
    refresh.timer = null;
    if (!send("/who")) return;
    refresh.asked = true;
    refresh.last = Date.now();
  }, wait);
}

function checkCount(online) {
  state.total = online;
  if (online <= MAX_LISTED && online !== state.online.size) refreshRoster();
}

function noteSpeaker(name) {
  if (state.online.has(name)) return;
  state.online.add(name);
  renderRoster();
  if (state.total <= MAX_LISTED) refreshRoster();
}

function rename(from, to) {
  if (state.online.delete(from)) state.online.add(to);
}
