// The demo page: one user's history and live stream plus the broadcast stream, and a form to publish.
// Tokens come from development mode (POST /dev/token), which the run command turns on.
import { Herald } from "./herald.js";

const $ = (id) => document.getElementById(id);
const ui = {
  who: $("who"), user: $("user"), status: $("status"), list: $("list"), empty: $("empty"),
  unread: $("unread"), markRead: $("mark-read"), publish: $("publish"), to: $("to"), sent: $("sent"),
};
const SEVERITY = { live: 0, connecting: 1, reconnecting: 2, stopped: 3 };

let clients = [];
let opening = 0; // the latest open(): an older one still awaiting the network gives up
let unread = 0;
let publisherToken = null;
let countdown = null;

async function devToken(user, groups = "") {
  const query = new URLSearchParams({ user, groups });
  const response = await fetch("dev/token?" + query, { method: "POST", headers: { Accept: "text/plain" } });
  if (!response.ok) {
    throw new Error(await problem(response));
  }
  return response.text();
}

async function problem(response) {
  const body = await response.json().catch(() => ({}));
  return body.detail ?? `HTTP ${response.status}`;
}

/** Shows the user's stored notifications, then streams what comes after them (and every broadcast). */
async function open(user) {
  const generation = ++opening;
  clients.forEach((client) => client.stop());
  clients = [];
  ui.list.replaceChildren();
  ui.empty.textContent = `Loading ${user}'s history…`;
  setUnread(0);
  renderStatus();
  ui.user.value = user;
  ui.to.placeholder = user;
  window.history.replaceState(null, "", "?user=" + encodeURIComponent(user));
  const getToken = () => devToken(user);
  let since = null;
  try {
    const response = await fetch("history/" + encodeURIComponent(user), {
      headers: { Authorization: "Bearer " + await getToken() },
    });
    if (!response.ok) {
      throw new Error(await problem(response));
    }
    const stored = await response.json();
    if (generation !== opening) {
      return;
    }
    stored.forEach((notification) => show(notification, { live: false }));
    // resume right after the history shown; "0" for an empty one: everything stored from now on
    since = stored.at(-1)?.id ?? "0";
    ui.empty.textContent = stored.length ? "" : `No notifications for ${user} yet: publish one below.`;
  } catch (error) {
    ui.empty.textContent = `Could not load the history: ${error.message}`;
  }
  if (generation !== opening) {
    return;
  }
  clients = [new Herald({ userId: user, getToken, since }), new Herald({ getToken })];
  clients.forEach((client, index) => {
    client.addEventListener("notification", (e) => show(e.detail, { broadcast: index === 1 }));
    client.addEventListener("state", renderStatus);
    client.addEventListener("gap", () => open(user)); // history moved past us: start over from the history
    client.start();
  });
}

function show(notification, { live = true, broadcast = false }) {
  const { id, ts, title, message, ...rest } = notification;
  const item = document.createElement("li");
  item.dataset.id = id;
  item.dataset.stream = broadcast ? "broadcast" : "user";
  const heading = document.createElement("span");
  heading.className = "title";
  heading.textContent = title ?? "(no title)";
  item.append(heading);
  if (broadcast) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = "everyone";
    item.append(tag);
  }
  const body = document.createElement("div");
  body.className = "message";
  body.textContent = message ?? (Object.keys(rest).length ? JSON.stringify(rest) : "");
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${new Date(ts).toLocaleString()} · ${id}`;
  item.append(body, meta);
  if (live) {
    item.classList.add("unread");
    setUnread(unread + 1);
  }
  ui.list.prepend(item);
  ui.empty.textContent = "";
}

function setUnread(count) {
  unread = count;
  ui.unread.textContent = String(count);
  ui.unread.hidden = count === 0;
  if (count === 0) {
    ui.list.querySelectorAll(".unread").forEach((item) => item.classList.remove("unread"));
  }
}

/** The less healthy of the two streams, e.g. "reconnecting in 4 s". */
function renderStatus() {
  clearInterval(countdown);
  const worst = clients.map((client) => client.state)
    .reduce((a, b) => (SEVERITY[b.status] > SEVERITY[a.status] ? b : a), { status: clients.length ? "live" : "connecting" });
  ui.status.dataset.status = worst.status;
  if (worst.status === "reconnecting") {
    const at = Date.now() + worst.delay;
    const tick = () => {
      ui.status.textContent = `reconnecting in ${Math.max(1, Math.ceil((at - Date.now()) / 1000))} s`;
    };
    tick();
    countdown = setInterval(tick, 1000);
  } else {
    ui.status.textContent = { live: "live", connecting: "connecting…", stopped: "not connected" }[worst.status];
    ui.status.title = worst.reason ?? "";
  }
}

async function publish(event) {
  event.preventDefault();
  const form = ui.publish.elements;
  const everyone = form.audience.value === "everyone";
  const to = ui.to.value.trim() || ui.to.placeholder;
  if (!everyone && !to) {
    ui.sent.textContent = "Type a recipient, or open a user first.";
    return;
  }
  const body = JSON.stringify({ title: form.title.value, message: form.message.value });
  const send = async () => fetch(everyone ? "notify" : "notify/" + encodeURIComponent(to), {
    method: "POST",
    headers: { Authorization: "Bearer " + (publisherToken ??= await devToken("demo-publisher", "publisher")),
      "Content-Type": "application/json" },
    body,
  });
  try {
    let response = await send();
    if (response.status === 401) { // tokens last 15 minutes: fetch a fresh one once
      publisherToken = null;
      response = await send();
    }
    ui.sent.textContent = response.ok
      ? `Sent ${(await response.json()).id} to ${everyone ? "everyone" : to}.`
      : `Not sent: ${await problem(response)}`;
  } catch (error) {
    ui.sent.textContent = `Not sent: ${error.message}`;
  }
}

ui.who.addEventListener("submit", (event) => {
  event.preventDefault();
  open(ui.user.value.trim());
});
ui.publish.addEventListener("submit", publish);
ui.to.addEventListener("input", () => { ui.publish.elements.audience.value = "user"; });
ui.markRead.addEventListener("click", () => setUnread(0));
ui.list.addEventListener("focus", () => setUnread(0));

open(new URLSearchParams(window.location.search).get("user") || "alice");
