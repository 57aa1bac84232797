// useNotifications on a stand-in React (fake-react.mjs) and the fake socket: what the seed's component did, as a hook.
import { test } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";
import { FakeSocket, FakeTimers, settle } from "./fakes.mjs";

register("./react-resolver.mjs", import.meta.url);
const { renderHook } = await import("./fake-react.mjs");
const { useNotifications } = await import("../../main/webapp/herald-react.js");

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
