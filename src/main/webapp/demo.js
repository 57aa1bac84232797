// The demo page: one user's history, then one socket for their live notifications, their groups' and the
// broadcasts, and a form to publish. Tokens come from development mode (POST /dev/token), which the run
// command turns on; the user's token grants the groups they chose to join. The unread badge is the server's
// count of the user's inbox (subprotocol herald.2): it survives a reload and follows every tab of the user.
import { Herald, compareIds } from "./herald.js";

const $ = (id) => document.getElementById(id);
const ui = {
  who: $("who"), user: $("user"), groups: $("groups"), status: $("status"), list: $("list"), empty: $("empty"),
  unread: $("unread"), markRead: $("mark-read"), publish: $("publish"), to: $("to"), group: $("group"),
  joined: $("joined-groups"), sent: $("sent"),
};

let client = null;
let page = { user: null, groups: [] };
let opening = 0; // the latest open(): an older one still awaiting the network gives up
let waiting = null; // live notifications that came before the history did, oldest first
let shown = new Set(); // "<stream> <id>" of every item listed: the history and the socket overlap
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

/**
 * Shows the user's stored notifications and everything after them. The socket opens first and the history
 * is read once it is live: a socket with several streams resumes only from its own cursors, so this order
 * is what leaves no gap between the two (what both have is listed once).
 */
async function open(user, groups) {
  const generation = ++opening;
  ui.list.replaceChildren();
  shown = new Set();
  waiting = [];
  setUnread(0);
  ui.empty.textContent = `Loading ${user}'s history…`;
  await connect(user, groups, null);
  if (generation !== opening) {
    return;
  }
  try {
    const stored = await client.list({ status: "all" }); // the history, each entry with its read state
    if (generation !== opening) {
      return;
    }
    stored.forEach((notification) => show({ ...notification, stream: "user" }, !notification.read));
    ui.empty.textContent = stored.length || waiting.length ? "" : `No notifications for ${user} yet: publish one below.`;
  } catch (error) {
    ui.empty.textContent = `Could not load the history: ${error.message}`;
  }
  const early = waiting;
  waiting = null;
  early.forEach((notification) => show(notification, notification.stream === "user"));
}

/**
 * Replaces the socket with one for these groups, with a fresh token that grants them; resolves once it is
 * live (or replaced again). A cursor from the old socket resumes the streams both carry; new groups start now.
 */
function connect(user, groups, since) {
  client?.stop();
  page = { user, groups };
  ui.user.value = user;
  ui.groups.value = groups.join(", ");
  ui.to.placeholder = user;
  ui.group.placeholder = groups[0] ?? "any group";
  ui.joined.replaceChildren(...groups.map((group) => new Option(group)));
  const query = new URLSearchParams({ user });
  if (groups.length) {
    query.set("groups", groups.join(","));
  }
  window.history.replaceState(null, "", "?" + query);
  const grants = groups.map((group) => "group:" + group).join(",");
  const herald = new Herald({ userId: user, groups, broadcast: true, inbox: true, since, getToken: () => devToken(user, grants) });
  client = herald;
  herald.addEventListener("notification", (e) => (waiting ? waiting.push(e.detail) : show(e.detail, e.detail.stream === "user")));
  herald.addEventListener("counts", (e) => setUnread(e.detail.unread));
  herald.addEventListener("inboxstate", (e) => markItems(e.detail));
  herald.addEventListener("removed", (e) => userItem(e.detail.id)?.remove());
  herald.addEventListener("state", renderStatus);
  herald.addEventListener("gap", () => open(user, groups)); // history moved past us: start over from the history
  return new Promise((resolve) => {
    const settled = () => ["live", "stopped"].includes(herald.state.status) && resolve();
    herald.addEventListener("state", settled);
    herald.start();
  });
}

/** Joins or leaves groups on the same socket's cursor, keeping the list; without a cursor yet, starts over. */
function regroup(groups) {
  const since = waiting ? null : client?.lastId;
  if (since) {
    connect(page.user, groups, since);
  } else {
    open(page.user, groups);
  }
}

/** Lists a notification; unread: a user's one the inbox holds unread (the badge counts them, not the list). */
function show(notification, unread) {
  const { id, ts, title, message, stream, cursor, read, seen, archived, ...rest } = notification;
  const key = stream + " " + id;
  if (shown.has(key)) {
    return;
  }
  shown.add(key);
  const item = document.createElement("li");
  item.dataset.id = id;
  item.dataset.stream = stream;
  const heading = document.createElement("span");
  heading.className = "title";
  heading.textContent = title ?? "(no title)";
  item.append(heading);
  if (stream !== "user") {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = stream === "broadcast" ? "everyone" : stream.replace(/^group:/, "");
    item.append(tag);
  }
  const body = document.createElement("div");
  body.className = "message";
  body.textContent = message ?? (Object.keys(rest).length ? JSON.stringify(rest) : "");
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${new Date(ts).toLocaleString()} · ${id}`;
  item.append(body, meta);
  if (unread) {
    item.classList.add("unread");
  }
  ui.list.prepend(item);
  ui.empty.textContent = "";
}

const userItem = (id) => [...ui.list.querySelectorAll("li[data-stream=user]")].find((item) => item.dataset.id === id);

/** Another tab (or this one) marked entries: {ids} or {upTo}, with read true or false. */
function markItems({ ids, upTo, read }) {
  if (read === undefined) {
    return;
  }
  ui.list.querySelectorAll("li[data-stream=user]").forEach((item) => {
    if (ids ? ids.includes(item.dataset.id) : compareIds(item.dataset.id, upTo) <= 0) {
      item.classList.toggle("unread", !read);
    }
  });
}

/** The badge: the server's unread count of the user's inbox. */
function setUnread(count) {
  ui.unread.textContent = String(count);
  ui.unread.hidden = count === 0;
  if (count === 0) {
    ui.list.querySelectorAll(".unread").forEach((item) => item.classList.remove("unread"));
  }
}

/** The socket's state, e.g. "reconnecting in 4 s". */
function renderStatus() {
  clearInterval(countdown);
  const state = client.state;
  ui.status.dataset.status = state.status;
  if (state.status === "reconnecting") {
    const at = Date.now() + state.delay;
    const tick = () => {
      ui.status.textContent = `reconnecting in ${Math.max(1, Math.ceil((at - Date.now()) / 1000))} s`;
    };
    tick();
    countdown = setInterval(tick, 1000);
  } else {
    ui.status.textContent = { live: "live", connecting: "connecting…", stopped: "not connected" }[state.status];
    ui.status.title = state.reason ?? "";
  }
}

async function publish(event) {
  event.preventDefault();
  const form = ui.publish.elements;
  const audience = form.audience.value;
  const to = audience === "group" ? ui.group.value.trim() || page.groups[0] : ui.to.value.trim() || ui.to.placeholder;
  if (audience !== "everyone" && !to) {
    ui.sent.textContent = audience === "group" ? "Type a group, or join one first." : "Type a recipient, or open a user first.";
    return;
  }
  const path = audience === "everyone" ? "notify" : (audience === "group" ? "notify/group/" : "notify/") + encodeURIComponent(to);
  const recipient = { user: to, group: "group " + to, everyone: "everyone" }[audience];
  const body = JSON.stringify({ title: form.title.value, message: form.message.value });
  const send = async () => fetch(path, {
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
      ? `Sent ${(await response.json()).id} to ${recipient}.`
      : `Not sent: ${await problem(response)}`;
  } catch (error) {
    ui.sent.textContent = `Not sent: ${error.message}`;
  }
}

/** "region:us, team:payments" -> ["region:us", "team:payments"] */
const groupsIn = (text) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

ui.who.addEventListener("submit", (event) => {
  event.preventDefault();
  const user = ui.user.value.trim();
  const groups = groupsIn(ui.groups.value);
  if (user === page.user && groups.join() !== page.groups.join()) {
    regroup(groups);
  } else {
    open(user, groups);
  }
});
ui.publish.addEventListener("submit", publish);
ui.to.addEventListener("input", () => { ui.publish.elements.audience.value = "user"; });
ui.group.addEventListener("input", () => { ui.publish.elements.audience.value = "group"; });
/** Marks the user's inbox read on the server; the badge changes when the counts come back on every tab's socket. */
async function markAllRead() {
  if (client.counts?.unread === 0) {
    return; // nothing to mark (e.g. the list focused again)
  }
  try {
    await client.markAllRead();
  } catch (error) {
    ui.empty.textContent = `Could not mark read: ${error.message}`;
  }
}

ui.markRead.addEventListener("click", markAllRead);
ui.list.addEventListener("focus", markAllRead);

const query = new URLSearchParams(window.location.search);
open(query.get("user") || "alice", groupsIn(query.get("groups") ?? ""));
