// The browser client's inbox (subprotocol herald.2): control frames become events, and markRead, markAllRead and
// remove call the REST routes with the client's token. Fake socket, fake timers, fake fetch: no network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Herald } from "../../main/webapp/herald.js";
import { FakeFetch, FakeSocket, FakeTimers, settle } from "./fakes.mjs";

function client(options = {}) {
  FakeSocket.all = [];
  const rest = new FakeFetch();
  let issued = 0;
  const herald = new Herald({
    userId: "alice@example.com", inbox: true, server: "http://herald.test/app/",
    getToken: async () => "t" + ++issued,
    WebSocket: FakeSocket, fetch: rest.fetch, timers: new FakeTimers(), random: () => 1,
    ...options,
  });
  const events = [];
  for (const type of ["notification", "counts", "inboxstate", "removed"]) {
    herald.addEventListener(type, (e) => events.push({ type, ...e.detail }));
  }
  return { herald, rest, events };
}

async function live(c) {
  c.herald.start();
  await settle();
  FakeSocket.last().open();
  return FakeSocket.last();
}

const COUNTS = { unread: 2, unseen: 1, total: 3 };

test("inbox: true offers herald.2 with the token; without it, exactly today's protocols", async () => {
  const socket = await live(client());
  assert.deepEqual(socket.protocols, ["herald.2", "bearer.t1"]);
  const plain = await live(client({ inbox: undefined }));
  assert.deepEqual(plain.protocols, ["herald", "bearer.t1"]);
  assert.throws(() => client({ userId: undefined, broadcast: true }), TypeError, "an inbox needs a user");
});

test("control frames become counts, inboxstate and removed events, never notifications, and leave resume alone", async () => {
  const c = client();
  const socket = await live(c);
  socket.message({ id: "5-0", title: "hello" });
  socket.message({ herald: "counts", ...COUNTS });
  socket.message({ herald: "state", ids: ["5-0"], read: true, seen: true });
  socket.message({ herald: "state", upTo: "5-0", read: false });
  socket.message({ herald: "deleted", id: "5-0" });
  socket.message({ herald: "retracted", id: "4-0" });
  socket.message({ herald: "expired", ids: ["2-0", "3-0"] });
  socket.message({ herald: "something-new" });
  assert.deepEqual(c.events, [
    { type: "notification", id: "5-0", title: "hello", stream: "user" },
    { type: "counts", ...COUNTS },
    { type: "inboxstate", ids: ["5-0"], read: true, seen: true },
    { type: "inboxstate", upTo: "5-0", read: false },
    { type: "removed", id: "5-0", reason: "deleted" },
    { type: "removed", id: "4-0", reason: "retracted" },
    { type: "removed", id: "2-0", reason: "expired" },
    { type: "removed", id: "3-0", reason: "expired" },
  ]);
  assert.deepEqual(c.herald.counts, COUNTS);
  assert.equal(c.herald.lastId, "5-0", "control frames carry no id: the last notification's stays");
});

test("without inbox: true a frame with a herald key is not an inbox event (herald.2 was never offered)", async () => {
  const c = client({ inbox: false });
  const socket = await live(c);
  socket.message({ herald: "counts", ...COUNTS });
  assert.deepEqual(c.events, []);
  assert.equal(c.herald.counts, null);
  await assert.rejects(c.herald.markAllRead(), TypeError);
});

test("markRead posts the ids or upTo with the bearer token and resolves to the counts", async () => {
  const c = client();
  await live(c);
  c.rest.answer(200, COUNTS).answer(200, { unread: 0, unseen: 0, total: 3 });
  assert.deepEqual(await c.herald.markRead(["1-0", "2-0"]), COUNTS);
  assert.deepEqual(await c.herald.markRead({ upTo: "2-0" }), { unread: 0, unseen: 0, total: 3 });
  assert.deepEqual(c.rest.calls.map(({ url, method, body }) => ({ url, method, body })), [
    { url: "http://herald.test/app/inbox/alice%40example.com/read", method: "POST", body: { ids: ["1-0", "2-0"] } },
    { url: "http://herald.test/app/inbox/alice%40example.com/read", method: "POST", body: { upTo: "2-0" } },
  ]);
  assert.equal(c.rest.calls[0].headers.Authorization, "Bearer t1", "the socket's token");
  assert.equal(c.rest.calls[0].headers["Content-Type"], "application/json");
  await assert.rejects(c.herald.markRead([]), TypeError);
  await assert.rejects(c.herald.markRead({}), TypeError);
});

test("markAllRead marks up to the newest id of the user's stream this client received", async () => {
  const c = client({ userId: "alice", groups: ["team:a"] });
  const socket = await live(c);
  socket.message({ id: "7-0", stream: "user", cursor: "c1" });
  socket.message({ id: "9-0", stream: "group:team:a", cursor: "c2" }); // another stream's id: not the inbox's
  c.rest.answer(200, { unread: 0, unseen: 0, total: 1 });
  assert.deepEqual(await c.herald.markAllRead(), { unread: 0, unseen: 0, total: 1 });
  assert.deepEqual(c.rest.calls.map((call) => [call.method, call.url, call.body]),
    [["POST", "http://herald.test/app/inbox/alice/read", { upTo: "7-0" }]]);
});

test("markAllRead with nothing received yet (a reload) asks the inbox for its newest id first", async () => {
  const c = client({ userId: "alice" });
  await live(c);
  c.rest.answer(200, [{ id: "12-3", title: "newest", read: false, seen: false, archived: false }])
    .answer(200, { unread: 0, unseen: 0, total: 4 });
  assert.deepEqual(await c.herald.markAllRead(), { unread: 0, unseen: 0, total: 4 });
  assert.deepEqual(c.rest.calls.map((call) => [call.method, call.url, call.body]), [
    ["GET", "http://herald.test/app/inbox/alice?status=all&limit=1", undefined],
    ["POST", "http://herald.test/app/inbox/alice/read", { upTo: "12-3" }],
  ]);

  const empty = client({ userId: "bob" });
  await live(empty);
  empty.rest.answer(200, []).answer(200, { unread: 0, unseen: 0, total: 0 });
  assert.deepEqual(await empty.herald.markAllRead(), { unread: 0, unseen: 0, total: 0 }, "an empty inbox: its counts");
  assert.deepEqual(empty.rest.calls.map((call) => call.url),
    ["http://herald.test/app/inbox/bob?status=all&limit=1", "http://herald.test/app/inbox/bob/counts"]);
});

test("remove deletes one; a 401 fetches a fresh token once; other errors reject with the problem's detail", async () => {
  const c = client({ userId: "alice" });
  await live(c);
  c.rest.answer(401, { title: "Unauthorized" }).answer(200, { unread: 1, unseen: 1, total: 1 });
  assert.deepEqual(await c.herald.remove("3-1"), { unread: 1, unseen: 1, total: 1 });
  assert.deepEqual(c.rest.calls.map((call) => [call.method, call.url, call.headers.Authorization]), [
    ["DELETE", "http://herald.test/app/inbox/alice/3-1", "Bearer t1"],
    ["DELETE", "http://herald.test/app/inbox/alice/3-1", "Bearer t2"],
  ]);
  c.rest.answer(404, { title: "Not Found", detail: "the inbox of alice does not hold 3-1" });
  await assert.rejects(c.herald.remove("3-1"), (error) => error.status === 404 && /does not hold 3-1/.test(error.message));
});
