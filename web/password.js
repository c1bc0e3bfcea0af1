// The web client's side of a server password (docs/PROTOCOL.md, "A server
// with a password"): the self-description says one is needed, the page asks
// for it and sends `/pass PASSWORD` before the name. The password is sent,
// never kept (not in localStorage, not for a reconnect, which asks again).
// Loaded before app.js, whose state, $, el, show, showNotice, send, sendNick
// and askName it uses once the page runs.
"use strict";

// The self-description's fields; "password needed" holds the name back.
function passGate(description) {
  const needed = description.split("; ").some((field) => field.startsWith("password needed"));
  if (needed) {
    state.gate = "password";
    askPassword();
  } else {
    state.gate = "open";
    if (state.wanted) sendNick(state.wanted, true);
  }
}

function admitted() {
  state.gate = "open";
  if ($("pass-dialog").open) $("pass-dialog").close();
  showNotice("Password accepted");
  if (state.wanted) sendNick(state.wanted, true);
  else askName();
}

// `reason`: the server's error (a wrong password, or not over https) to show.
function askPassword(reason) {
  $("pass-error").textContent = reason || "";
  if (reason) show([el("span", null, "Error: " + reason)], "error");
  const field = $("pass-input");
  field.value = "";
  // One dialog at a time, the password's first: the name's comes back once
  // the password is accepted (admitted).
  if ($("name-dialog").open) $("name-dialog").close();
  if (!$("pass-dialog").open) $("pass-dialog").showModal();
  field.focus();
}

function sendPassword() {
  const field = $("pass-input");
  const secret = field.value;
  field.value = "";
  if (secret) send("/pass " + secret);
}
