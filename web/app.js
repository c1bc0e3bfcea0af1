// LoChat's web client. It speaks the line protocol of docs/PROTOCOL.md over
// a WebSocket (one text message per line) and shows it. Peer text only ever
// reaches the page through textContent, never as HTML.
"use strict";

const NAME_KEY = "lochat.name";
const MAX_SHOWN = 1000; // older lines are dropped from the page, as a terminal scrolls them away
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MOST_MS = 10000;
const NAME_TRIES = 9; // NAME, NAME_2 … NAME_9, as the terminal client tries

const $ = (id) => document.getElementById(id);
const messages = $("messages");
const roster = $("roster");
const input = $("input");
const statusLine = $("status");
const nameDialog = $("name-dialog");
const nameInput = $("name-input");

const state = {
  socket: null,
  wanted: localStorage.getItem(NAME_KEY) || "", // the name the user chose
  self: "", // the name the server knows us by (an address until /nick succeeds)
  // Until the self-description: "unknown"; then "password" until the server
  // takes ours, or "open". The name is sent only once it is "open".
  gate: "unknown",
  tries: 1,
  online: new Set(),
  awaiting: [], // what we sent, oldest first: {kind: "ack" | "nick" | "other"}; answered in order
  retryMs: RECONNECT_FIRST_MS,
  everConnected: false,
  unread: 0,
  quitting: false, // the user typed /quit: no reconnecting
  total: 0, // how many the server last said were online
  crowded: false, // the list at connect named fewer than were online
  refresh: { timer: null, asked: false, last: 0 }, // the page's own /who
};

// ---------- showing lines ----------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// One of twelve colours (style.css) by the name's FNV-1a hash: a name keeps its colour everywhere.
function colourOf(name) {
  let hash = 2166136261;
  for (const ch of name.toLowerCase()) hash = Math.imul(hash ^ ch.codePointAt(0), 16777619) >>> 0;
  return "c" + (hash % 12);
}

// A name to click for a private message. Only the roster's names are in the
// tab order: Tab goes from the message box to the roster, not through every line.
function nameButton(name, focusable = false) {
  const button = el("button", "name " + colourOf(name), name);
  button.type = "button";
  if (!focusable) button.tabIndex = -1;
  button.title = "Send " + name + " a private message";
  button.addEventListener("click", () => startPrivate(name));
  return button;
}

function clock(date = new Date()) {
  return date.toTimeString().slice(0, 5);
}

function show(parts, className, time = clock()) {
  const nearBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  const item = el("li", className);
  item.append(el("time", "time", time), ...parts);
  messages.append(item);
  while (messages.childElementCount > MAX_SHOWN) messages.firstElementChild.remove();
  if (nearBottom) messages.scrollTop = messages.scrollHeight;
  return item;
}

function showNotice(text, className = "notice") {
  return show([el("span", null, text)], className);
}

function mentions(text) {
  if (!state.self || state.self.includes(":")) return false;
  const escaped = state.self.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp("(^|[^\\p{L}\\p{N}_])" + escaped + "($|[^\\p{L}\\p{N}_])", "iu").test(text);
}

// ---------- what the server says ----------

function handleLine(line) {
  let m;
  if (line === "Welcome to LoChat!") return;
  if (line.startsWith("*** lochat-server protocol ")) passGate(line);
  if (line === "*** Password accepted") return admitted();
  if (state.gate === "password" && (m = /^Error: (.*)$/su.exec(line))) return askPassword(m[1]);
  if (line === "Message Received") return confirmOwn(true);
  if ((m = /^Private from ([^ ]+): (.*)$/su.exec(line))) {
    noteSpeaker(m[1]);
    return showPrivate(m[1], m[2]);
  }
  if ((m = /^From ([^ ]+): (.*)$/su.exec(line))) {
    noteSpeaker(m[1]);
    return showChat(m[1], m[2], "", clock());
  }
  if ((m = /^\* ([^ ]+) (.*)$/su.exec(line))) {
    noteSpeaker(m[1]);
    return showAction(m[1], m[2], "", clock());
  }
  if ((m = /^History (\d\d:\d\d) (.*)$/su.exec(line))) return showHistory(m[1], m[2]);
  if ((m = /^\*\*\* (.*)$/su.exec(line))) return handleNotice(m[1]);
  if ((m = /^Error: (.*)$/su.exec(line))) return handleError(m[1]);
  showNotice(line);
}

function showChat(name, text, extra, time) {
  const mentioned = mentions(text);
  show([nameButton(name), el("span", null, ": "), el("span", "text", text)],
    ["chat", extra, mentioned ? "mention" : ""].join(" ").trim(), time);
  if (mentioned && !extra) alertUser(name + " mentioned you", text);
}

function showAction(name, text, extra, time) {
  show([el("span", null, "* "), nameButton(name), el("span", "text", " " + text)],
    ["action", extra].join(" ").trim(), time);
}

function showPrivate(name, text) {
  show([el("span", "label", "Private from"), nameButton(name), el("span", null, ": "),
    el("span", "text", text)], "private");
  alertUser("Private message from " + name, text);
}

function showHistory(time, rest) {
  let m;
  if ((m = /^From ([^ ]+): (.*)$/su.exec(rest))) return showChat(m[1], m[2], "history", time);
  if ((m = /^\* ([^ ]+) (.*)$/su.exec(rest))) return showAction(m[1], m[2], "history", time);
  show([el("span", null, rest)], "history", time);
}

function handleNotice(notice) {
  let m;
  if ((m = /^Online \((\d+)\): (.*)$/su.exec(notice))) {
    const names = rosterFromList(m[2]);
    state.total = Number(m[1]);
    // Right after connecting the newcomer is listed last: that is us. Our
    // /nick's answer confirms the name; in a crowd (a list cut short, where
    // an older server left the newcomer out) /who then mends the roster.
    if (!state.shownRoster) {
      state.self = names[names.length - 1];
      state.crowded = names.length < state.total;
    }
    renderRoster();
    // The list after connecting answers nothing; a later one answers /who:
    // the page's own first (the lists alike, which is shown matters not).
    if (state.shownRoster && state.refresh.asked) {
      state.refresh.asked = false;
    } else if (state.shownRoster) {
      answered("other");
      showNotice(notice);
    }
    state.shownRoster = true;
    return;
  }
  if ((m = /^You are now known as (.+)$/su.exec(notice))) {
    rename(state.self, m[1]);
    state.online.add(m[1]);
    state.self = m[1];
    if (state.crowded) refreshRoster();
    state.crowded = false;
    const asked = answered("nick");
    // NAME_2 stands in while NAME is taken: the name to ask for next time stays NAME.
    if (!asked || !asked.suffixed) {
      state.wanted = m[1];
      localStorage.setItem(NAME_KEY, m[1]);
    }
    renderRoster();
  } else if ((m = /^([^ ]+) joined \((\d+) online\)$/su.exec(notice))) {
    state.online.add(m[1]);
    renderRoster();
    checkCount(Number(m[2]));
  } else if ((m = /^([^ ]+) (?:left \((\d+) online\)|was disconnected: .* \((\d+) online\)$)/su.exec(notice))) {
    state.online.delete(m[1]);
    renderRoster();
    checkCount(Number(m[2] || m[3]));
  } else if ((m = /^([^ ]+) is now known as ([^ ]+)$/su.exec(notice))) {
    if (state.online.has(m[1])) rename(m[1], m[2]);
    else noteSpeaker(m[2]); // someone the roster missed
    renderRoster();
  }
  showNotice(notice);
}

function handleError(reason) {
  // Taken by someone online, or owned by a key (a browser presents none): NAME_2 either way.
  const taken = /^the name (.+) (?:is already taken|belongs to another key)$/su.exec(reason);
  const invalid = /^invalid name /.test(reason);
  const head = state.awaiting[0];
  if (head && head.kind === "nick" && (taken || invalid)) {
    state.awaiting.shift();
    if (taken && head.automatic && state.tries < NAME_TRIES) {
      state.tries += 1;
      // A name held by someone online is silently varied; one owned for good is said.
      if (reason.endsWith("belongs to another key")) show([el("span", null, "Error: " + reason)], "error");
      sendNick(state.wanted + "_" + state.tries, true, true);
      return;
    }
    if (head.automatic) askName(reason);
  } else if (head && head.kind === "ack") {
    confirmOwn(false, reason);
  } else if (head) {
    state.awaiting.shift();
  }
  show([el("span", null, "Error: " + reason)], "error");
}

// ---------- our own lines, marked when the server confirms them ----------

function confirmOwn(received, reason) {
  while (state.awaiting.length > 0) {
    const sent = state.awaiting.shift();
    if (sent.kind !== "ack") continue; // a /nick or /who the server has answered already
    sent.item.classList.remove("pending");
    sent.item.classList.add(received ? "confirmed" : "failed");
    const mark = sent.item.querySelector(".mark");
    mark.textContent = received ? "✓" : "✗";
    mark.title = received ? "received by the server" : "not sent: " + reason;
    mark.setAttribute("aria-label", mark.title);
    return;
  }
}

function answered(kind) {
  if (state.awaiting.length > 0 && state.awaiting[0].kind === kind) return state.awaiting.shift();
  return null;
}

function markOwn(parts, className) {
  const mark = el("span", "mark", "…");
  mark.title = "sending";
  mark.setAttribute("aria-label", "sending");
  return show([...parts, mark], "own pending " + className);
}

function send(line) {
  if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
  state.socket.send(line);
  return true;
}

function sendNick(name, automatic, suffixed = false) {
  if (send("/nick " + name)) state.awaiting.push({ kind: "nick", automatic, suffixed });
}

function sendTyped(line) {
  if (!line.trim()) return;
  let m;
  if (!line.startsWith("/") || line.startsWith("//")) {
    if (!send(line)) return offline();
    const text = line.startsWith("//") ? line.slice(1) : line;
    const item = markOwn([nameButton(state.self), el("span", null, ": "), el("span", "text", text)], "chat");
    state.awaiting.push({ kind: "ack", item });
  } else if ((m = /^\/msg\s+(\S+)\s+(.+)$/su.exec(line))) {
    if (!send(line)) return offline();
    const item = markOwn([el("span", "label", "Private to"), nameButton(m[1]), el("span", null, ": "),
      el("span", "text", m[2])], "private");
    state.awaiting.push({ kind: "ack", item });
  } else if ((m = /^\/me\s+(.+)$/su.exec(line))) {
    if (!send(line)) return offline();
    const item = markOwn([el("span", null, "* "), nameButton(state.self), el("span", "text", " " + m[1])], "action");
    state.awaiting.push({ kind: "ack", item });
  } else if ((m = /^\/nick\s+(.+)$/su.exec(line))) {
    sendNick(m[1].trim(), false);
  } else {
    // /who, /help, /quit and anything else: the server answers with a notice or an error.
    if (send(line)) state.awaiting.push({ kind: "other" });
    if (/^\/quit(\s|$)/.test(line)) state.quitting = true;
  }
  askToNotify();
}

function offline() {
  showNotice("Not connected: your message was not sent.", "error");
}

// ---------- telling the user while the tab is hidden ----------

function askToNotify() {
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission();
  }
}

function alertUser(title, body) {
  if (!document.hidden) return;
  state.unread += 1;
  document.title = "(" + state.unread + ") LoChat";
  if ("Notification" in window && Notification.permission === "granted") {
    new Notification(title, { body, tag: "lochat" });
  }
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  state.unread = 0;
  document.title = "LoChat";
});

// ---------- the connection ----------

function setStatus(text, offlineNow) {
  statusLine.textContent = text;
  statusLine.classList.toggle("offline", offlineNow);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws");
  state.socket = socket;
  socket.addEventListener("open", () => {
    setStatus("Connected", false);
    if (state.everConnected) showNotice("Reconnected.");
    state.everConnected = true;
    state.retryMs = RECONNECT_FIRST_MS;
    state.self = "";
    state.shownRoster = false;
    state.awaiting = [];
    state.refresh.asked = false;
    state.tries = 1;
    state.gate = "unknown"; // the name waits for the self-description
  });
  socket.addEventListener("message", (event) => handleLine(String(event.data)));
  socket.addEventListener("close", () => {
    if (state.socket !== socket) return;
    state.socket = null;
    if (state.quitting) {
      setStatus("You left the chat; reload the page to come back", true);
      return;
    }
    const seconds = Math.round(state.retryMs / 1000);
    setStatus("Disconnected — reconnecting in " + seconds + " s…", true);
    showNotice("Connection lost; reconnecting in " + seconds + " s…", "error");
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, RECONNECT_MOST_MS);
  });
}

// ---------- the name and the composer ----------

function askName(reason) {
  $("name-error").textContent = reason || "";
  nameInput.value = state.wanted;
  if (!nameDialog.open) nameDialog.showModal();
  nameInput.focus();
}

$("name-form").addEventListener("submit", () => {
  const name = nameInput.value.trim();
  if (!name) return;
  state.wanted = name;
  localStorage.setItem(NAME_KEY, name);
  state.tries = 1;
  if (state.gate === "open") sendNick(name, true);
  input.focus();
});

$("pass-form").addEventListener("submit", sendPassword);

function startPrivate(name) {
  input.value = "/msg " + name + " ";
  input.focus();
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  sendTyped(input.value);
  input.value = "";
});

if (window.matchMedia("(max-width: 40rem)").matches) $("roster-panel").open = false;
connect();
if (!state.wanted) askName();
else input.focus();
