// useNotifications on a stand-in React (fake-react.mjs) and the fake socket: what the seed's component did, as a hook.
import { test } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";
import { FakeFetch, FakeSocket, FakeTimers, settle } from "./fakes.mjs";

register("./react-resolver.mjs", import.meta.url);
const { renderHook } = await import("./fake-react.mjs");
const { useNotifications, useInbox } = await import("../../main/webapp/herald-react.js");

test("lists the user's notifications newest first, and closes the socket when the user changes or it unmounts", async () => {
  FakeSocket.all = [];
  const options = { server: "http://herald.test/", WebSocket: FakeSocket, timers: new FakeTimers() };
  const hook = renderHook((user) => useNotifications(user, async () => "token-" + user, options), "alice");
  await settle();
  const alice = FakeSocket.last();
  assert.equal(alice.url.pathname, "/ws/notifications/alice");
  assert.equal(hook.result.state.status, "connecting");
  alice.open();
  alice.message({ id: "1-0", title: "first" });
  alice.message({ id: "2-0", title: "second" });
  assert.equal(hook.result.state.status, "live");
  assert.deepEqual(hook.result.notifications.map((n) => n.title), ["second", "first"]);

  hook.rerender("bob");
  assert.equal(alice.closedByClient, 1000, "alice's socket is closed");
  assert.deepEqual(hook.result.notifications, [], "bob's list starts empty");
  assert.equal(hook.result.state.status, "connecting");
  await settle();
  const bob = FakeSocket.last();
  assert.equal(bob.url.pathname, "/ws/notifications/bob");
  assert.deepEqual(bob.protocols, ["herald", "bearer.token-bob"], "the latest getToken is used");

  hook.unmount();
  assert.equal(bob.closedByClient, 1000, "unmounting closes the socket");
  assert.equal(FakeSocket.all.length, 2, "no reconnect after unmount");
});

test("takes connect()'s options: one socket for the user, groups and broadcasts, reconnecting only when they change", async () => {
  FakeSocket.all = [];
  const base = { server: "http://herald.test/", WebSocket: FakeSocket, timers: new FakeTimers(), broadcast: true };
  // a new array on every render, as pages write it: the same groups must not reconnect
  const hook = renderHook((groups) => useNotifications({ ...base, userId: "alice", groups: [...groups], getToken: async () => "t" }),
    ["region:us"]);
  await settle();
  const first = FakeSocket.last();
  assert.equal(first.url.search, "?groups=region%3Aus&broadcast=true");
  first.open();
  first.message({ id: "1-0", stream: "group:region:us", cursor: "c1", title: "to the region" });
  assert.deepEqual(hook.result.notifications.map((n) => n.stream), ["group:region:us"]);
  hook.rerender(["region:us"]);
  assert.equal(FakeSocket.all.length, 1, "same groups: same socket");

  hook.rerender(["region:us", "team:payments"]);
  assert.equal(first.closedByClient, 1000);
  await settle();
  assert.equal(FakeSocket.last().url.searchParams.get("groups"), "region:us,team:payments");
  hook.unmount();
});

test("useInbox: the stored entries once live, new ones on top, the server's counts, and every tab's changes", async () => {
  FakeSocket.all = [];
  const rest = new FakeFetch();
  const options = { server: "http://herald.test/", WebSocket: FakeSocket, timers: new FakeTimers(), fetch: rest.fetch };
  const hook = renderHook((user) => useInbox(user, async () => "token-" + user, options), "alice");
  await settle();
  const socket = FakeSocket.last();
  assert.equal(socket.url.href, "ws://herald.test/ws/notifications/alice", "the user's stream only");
  assert.deepEqual(socket.protocols, ["herald.2", "bearer.token-alice"]);
  assert.deepEqual(rest.calls, [], "the stored entries are read once the socket is live, not before");

  rest.answer(200, [
    { id: "1-0", title: "old", read: true, seen: true, archived: false },
    { id: "2-0", title: "stored", read: false, seen: false, archived: false },
  ]);
  socket.open();
  socket.message({ id: "2-0", title: "stored" }); // the socket and the inbox may overlap: listed once
  socket.message({ herald: "counts", unread: 1, unseen: 1, total: 2 });
  await settle();
  assert.deepEqual(rest.calls.map((call) => [call.method, call.url, call.headers.Authorization]),
    [["GET", "http://herald.test/inbox/alice", "Bearer token-alice"]]);
  socket.message({ id: "3-0", title: "new" });
  socket.message({ herald: "counts", unread: 2, unseen: 2, total: 3 });
  assert.deepEqual(hook.result.notifications.map((n) => [n.id, n.read]), [["3-0", false], ["2-0", false], ["1-0", true]]);
  assert.equal(hook.result.unread, 2);
  assert.equal(hook.result.unseen, 2);

  // another tab marks read: this one hears the state and the counts
  socket.message({ herald: "state", upTo: "2-0", read: true, seen: true });
  socket.message({ herald: "counts", unread: 1, unseen: 1, total: 3 });
  assert.deepEqual(hook.result.notifications.map((n) => [n.id, n.read]), [["3-0", false], ["2-0", true], ["1-0", true]]);
  assert.equal(hook.result.unread, 1);
  socket.message({ herald: "state", ids: ["1-0"], archived: true });
  socket.message({ herald: "retracted", id: "2-0" });
  assert.deepEqual(hook.result.notifications.map((n) => n.id), ["3-0"], "archived and retracted ones leave the list");

  // this tab marks all read and removes one: over REST, the counts come back on the socket
  rest.answer(200, { unread: 0, unseen: 0, total: 1 }).answer(200, { unread: 0, unseen: 0, total: 0 });
  assert.deepEqual(await hook.result.markAllRead(), { unread: 0, unseen: 0, total: 1 });
  assert.deepEqual(await hook.result.remove("3-0"), { unread: 0, unseen: 0, total: 0 });
  assert.deepEqual(rest.calls.slice(1).map((call) => [call.method, call.url, call.body]), [
    ["POST", "http://herald.test/inbox/alice/read", { upTo: "3-0" }],
    ["DELETE", "http://herald.test/inbox/alice/3-0", undefined],
  ]);

  hook.rerender("bob");
  assert.equal(socket.closedByClient, 1000);
  assert.deepEqual(hook.result.notifications, [], "bob's inbox starts empty");
  assert.equal(hook.result.unread, 0);
  hook.unmount();
});

test("useInbox: the socket repeating a stored entry leaves its state as the inbox said", async () => {
  FakeSocket.all = [];
  const rest = new FakeFetch();
  const hook = renderHook(() => useInbox("alice", async () => "t",
    { server: "http://herald.test/", WebSocket: FakeSocket, timers: new FakeTimers(), fetch: rest.fetch }));
  await settle();
  rest.answer(200, [{ id: "4-0", title: "read in another tab", read: true, seen: true, archived: false }]);
  FakeSocket.last().open();
  await settle();
  FakeSocket.last().message({ id: "4-0", title: "read in another tab" });
  assert.deepEqual(hook.result.notifications.map((n) => [n.id, n.read]), [["4-0", true]]);
  hook.unmount();
});
