// The browser client's own logic (backoff, close codes, resume, dedupe) with a fake WebSocket and fake timers:
// no network, no wall clock. Run by Maven in the test phase: node --test src/test/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { Herald, compareIds } from "../../main/webapp/herald.js";
import { FakeSocket, FakeTimers, settle } from "./fakes.mjs";

function client(options = {}) {
  FakeSocket.all = [];
  const timers = new FakeTimers();
  const tokens = [];
  let issued = 0;
  const herald = new Herald({
    userId: "alice",
    server: "http://herald.test/app/",
    getToken: async () => {
      const token = "t" + ++issued;
      tokens.push(token);
      return token;
    },
    WebSocket: FakeSocket,
    timers,
    random: () => 1, // the top of each backoff range, so delays are exact
    ...options,
  });
  const events = [];
  for (const type of ["notification", "state", "gap"]) {
    herald.addEventListener(type, (e) => events.push({ type, ...e.detail }));
  }
  return { herald, timers, tokens, events, notifications: () => events.filter((e) => e.type === "notification").map((e) => e.id) };
}

async function live(c) {
  c.herald.start();
  await settle();
  FakeSocket.last().open();
  return FakeSocket.last();
}

/** The server closes the socket with code; the client's reconnect timer fires; the new socket opens. */
async function dropAndReconnect(c, code) {
  FakeSocket.last().closeWith(code);
  const delay = c.herald.state.delay;
  c.timers.fire(delay);
  await settle();
  FakeSocket.last().open();
  return delay;
}

test("connects to the user's stream with the token as a subprotocol", async () => {
  const c = client({ userId: "bob@example.com" });
  const socket = await live(c);
  assert.equal(socket.url.href, "ws://herald.test/app/ws/notifications/bob%40example.com");
  assert.deepEqual(socket.protocols, ["herald", "bearer.t1"]);
  assert.deepEqual(c.events.filter((e) => e.type === "state").map((e) => e.status), ["connecting", "live"]);
});

test("without a user it connects to the broadcast stream, over wss for an https server", async () => {
  const c = client({ userId: undefined, server: "https://herald.test/" });
  const socket = await live(c);
  assert.equal(socket.url.href, "wss://herald.test/ws/notifications");
});

test("delivers each notification once, in order, dropping repeats and older ids", async () => {
  const c = client();
  const socket = await live(c);
  for (const id of ["5-0", "5-1", "5-1", "4-9", "10-0", "not json"]) {
    if (id === "not json") {
      socket.onmessage({ data: "not json" });
    } else {
      socket.message({ id, title: "t" });
    }
  }
  assert.deepEqual(c.notifications(), ["5-0", "5-1", "10-0"]);
  assert.equal(c.herald.lastId, "10-0");
});

test("resumes with since=<last id> after a drop, and starts from the given since", async () => {
  const c = client({ since: "1-0" });
  const first = await live(c);
  assert.equal(first.url.searchParams.get("since"), "1-0");
  first.message({ id: "7-3" });
  await dropAndReconnect(c, 1006);
  assert.equal(FakeSocket.last().url.searchParams.get("since"), "7-3");
  FakeSocket.last().message({ id: "7-3" });
  FakeSocket.last().message({ id: "8-0" });
  assert.deepEqual(c.notifications(), ["7-3", "8-0"]);
});

/** Starts the client and refuses its handshakes (1006 before open), checking each backoff delay on the way. */
async function refuseHandshakes(c, delays) {
  c.herald.start();
  await settle();
  for (const expected of delays) {
    FakeSocket.last().closeWith(1006);
    assert.equal(c.herald.state.delay, expected);
    assert.deepEqual(c.timers.delays(), [expected], "exactly one reconnect is pending");
    c.timers.fire(expected);
    await settle();
  }
}

test("backs off exponentially with full jitter from 0.5 s up to 20 s while connections keep failing", async () => {
  await refuseHandshakes(client(), [500, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
  const half = client({ random: () => 0.5 });
  await refuseHandshakes(half, [250]);
  FakeSocket.last().closeWith(1006);
  assert.equal(half.herald.state.delay, 500, "a random point in [0, 1000]");
});

test("the backoff starts over after a stable connection, not after a short one", async () => {
  const c = client();
  await refuseHandshakes(c, [500, 1000, 2000]);
  FakeSocket.last().open();
  FakeSocket.last().closeWith(1011); // dropped before stableAfter: keeps backing off
  assert.equal(c.herald.state.delay, 4000);
  c.timers.fire(4000);
  await settle();
  FakeSocket.last().open();
  c.timers.fire(10000); // the stable-connection timer
  FakeSocket.last().closeWith(1011);
  assert.equal(c.herald.state.delay, 500);
});

test("1001 going away: reconnects at once (within 0.5 s) after a stable connection", async () => {
  const c = client();
  await live(c);
  c.timers.fire(10000);
  const delay = await dropAndReconnect(c, 1001);
  assert.ok(delay <= 500, `reconnected after ${delay} ms`);
  assert.equal(FakeSocket.all.length, 2);
  assert.deepEqual(FakeSocket.last().protocols, ["herald", "bearer.t1"], "the token still holds");
});

test("4429 too slow, 1013 try later and 1006 (how a too-slow client usually ends): back off even after a stable connection", async () => {
  for (const code of [4429, 1013, 1006]) {
    const c = client();
    await live(c);
    c.timers.fire(10000);
    FakeSocket.last().closeWith(code);
    assert.equal(c.herald.state.status, "reconnecting");
    assert.equal(c.herald.state.code, code);
    assert.equal(c.herald.state.delay, 2000, `${code}: at most 2 s, then growing`);
  }
});

test("4401 token expired: asks getToken() for a fresh token and reconnects at once", async () => {
  const c = client();
  await live(c);
  c.timers.fire(10000);
  const delay = await dropAndReconnect(c, 4401);
  assert.ok(delay <= 500);
  assert.deepEqual(c.tokens, ["t1", "t2"]);
  assert.deepEqual(FakeSocket.last().protocols, ["herald", "bearer.t2"]);
});

test("4410 history gap: tells the page and goes on without since", async () => {
  const c = client();
  const socket = await live(c);
  socket.message({ id: "3-0" });
  await dropAndReconnect(c, 4410);
  assert.deepEqual(c.events.filter((e) => e.type === "gap"), [{ type: "gap", since: "3-0" }]);
  assert.equal(FakeSocket.last().url.searchParams.has("since"), false);
  FakeSocket.last().message({ id: "1-0" }); // a fresh history may start lower: nothing to compare with any more
  assert.deepEqual(c.notifications(), ["3-0", "1-0"]);
});

for (const code of [1008, 1000]) {
  test(`${code}: stops for good`, async () => {
    const c = client();
    await live(c);
    FakeSocket.last().closeWith(code, "no valid token for this stream");
    assert.equal(c.herald.state.status, "stopped");
    assert.equal(c.herald.state.code, code);
    assert.deepEqual(c.timers.delays(), [], "no reconnect pending");
  });
}

test("a refused handshake (1006 before open) fetches a fresh token and backs off instead of spinning", async () => {
  const c = client();
  await refuseHandshakes(c, [500, 1000, 2000]);
  assert.deepEqual(c.tokens, ["t1", "t2", "t3", "t4"], "a fresh token for every attempt after a refusal");
  assert.equal(FakeSocket.all.length, 4, "one socket per attempt");
});

test("getToken() failing (e.g. the server is down) backs off and tries again", async () => {
  let calls = 0;
  const c = client({
    getToken: async () => {
      if (++calls < 3) {
        throw new Error("offline");
      }
      return "late";
    },
  });
  c.herald.start();
  await settle();
  assert.equal(c.herald.state.status, "reconnecting");
  assert.equal(FakeSocket.all.length, 0);
  c.timers.fire(500);
  await settle();
  c.timers.fire(1000);
  await settle();
  assert.deepEqual(FakeSocket.last().protocols, ["herald", "bearer.late"]);
});

test("stop() closes the socket, cancels a pending reconnect, and nothing reconnects later", async () => {
  const c = client();
  const socket = await live(c);
  c.herald.stop();
  assert.equal(socket.closedByClient, 1000);
  assert.equal(c.herald.state.status, "stopped");
  assert.deepEqual(c.timers.delays(), []);

  const waiting = client();
  waiting.herald.start();
  await settle();
  FakeSocket.last().closeWith(1006);
  waiting.herald.stop();
  assert.deepEqual(waiting.timers.delays(), []);

  const fetching = client();
  fetching.herald.start(); // getToken() still pending
  fetching.herald.stop();
  await settle();
  assert.equal(FakeSocket.all.length, 0, "no socket after stop");
});

test("one socket for the user's stream, the broadcasts and groups: the query names what differs from the path's default", async () => {
  const urls = {};
  for (const [name, options] of Object.entries({
    userGroupsBroadcast: { groups: ["region:us", "team:payments"], broadcast: true },
    userGroups: { groups: ["region:us", "", "region:us"] }, // empty entries and repeats dropped
    userAlone: { groups: [], broadcast: false },
    broadcastGroups: { userId: undefined, groups: ["team:payments"] },
    groupOnly: { userId: undefined, groups: ["team:payments"], broadcast: false },
  })) {
    const c = client(options);
    urls[name] = (await live(c)).url.href;
  }
  assert.deepEqual(urls, {
    userGroupsBroadcast: "ws://herald.test/app/ws/notifications/alice?groups=region%3Aus%2Cteam%3Apayments&broadcast=true",
    userGroups: "ws://herald.test/app/ws/notifications/alice?groups=region%3Aus",
    userAlone: "ws://herald.test/app/ws/notifications/alice",
    broadcastGroups: "ws://herald.test/app/ws/notifications?groups=team%3Apayments",
    groupOnly: "ws://herald.test/app/ws/notifications?groups=team%3Apayments&broadcast=false",
  });
  assert.throws(() => client({ userId: undefined, broadcast: false }), /nothing to connect to/);
});

/** A frame as a socket with several streams sends it. */
const frame = (stream, id, cursor = `c-${stream}-${id}`) => ({ id, ts: "2026-01-01T00:00:00Z", stream, cursor, title: id });

test("several streams: resumes with the cursor of the last frame after a drop, and starts from the given cursor", async () => {
  const c = client({ groups: ["region:us"], broadcast: true, since: "start.cursor" });
  const first = await live(c);
  assert.equal(first.url.searchParams.get("since"), "start.cursor");
  first.message(frame("user", "7-3"));
  first.message(frame("group:region:us", "2-0", "after.group"));
  assert.equal(c.herald.lastId, "after.group");
  await dropAndReconnect(c, 1006);
  assert.equal(FakeSocket.last().url.searchParams.get("since"), "after.group", "the cursor, never a plain id");
  FakeSocket.last().message(frame("broadcast", "9-0", "after.broadcast"));
  await dropAndReconnect(c, 1001);
  assert.equal(FakeSocket.last().url.searchParams.get("since"), "after.broadcast");
  assert.deepEqual(c.notifications(), ["7-3", "2-0", "9-0"]);
});

test("each notification says which stream it came on: the frame's stream, or the only stream of the socket", async () => {
  const streams = async (options, frames) => {
    const c = client(options);
    const socket = await live(c);
    frames.forEach((f) => socket.message(f));
    return c.events.filter((e) => e.type === "notification").map((e) => e.stream);
  };
  assert.deepEqual(await streams({ groups: ["a"], broadcast: true },
    [frame("user", "1-0"), frame("broadcast", "1-0"), frame("group:a", "1-0")]), ["user", "broadcast", "group:a"]);
  assert.deepEqual(await streams({}, [{ id: "1-0" }]), ["user"]);
  assert.deepEqual(await streams({ userId: undefined }, [{ id: "1-0" }]), ["broadcast"]);
  assert.deepEqual(await streams({ userId: undefined, groups: ["a"], broadcast: false }, [{ id: "1-0" }]), ["group:a"]);
});

test("several streams: drops repeats per stream, since ids of different streams are unrelated", async () => {
  const c = client({ groups: ["a"] });
  const socket = await live(c);
  socket.message(frame("user", "5-0"));
  socket.message(frame("group:a", "3-0")); // lower than the user's 5-0, yet new on its own stream
  socket.message(frame("user", "5-0"));
  socket.message(frame("group:a", "2-9"));
  socket.message(frame("group:a", "4-0"));
  socket.message(frame("user", "6-0"));
  const seen = c.events.filter((e) => e.type === "notification").map((e) => `${e.stream} ${e.id}`);
  assert.deepEqual(seen, ["user 5-0", "group:a 3-0", "group:a 4-0", "user 6-0"]);
});

test("several streams, 4410: tells the page with the reason naming the stream, and goes on without since", async () => {
  const c = client({ groups: ["region:us"] });
  const socket = await live(c);
  socket.message(frame("group:region:us", "8-0", "cur.1"));
  const reason = "history of group:region:us no longer reaches back to 8-0";
  socket.closeWith(4410, reason);
  c.timers.fire(c.herald.state.delay);
  await settle();
  FakeSocket.last().open();
  assert.deepEqual(c.events.filter((e) => e.type === "gap"), [{ type: "gap", since: "cur.1", reason }]);
  assert.equal(FakeSocket.last().url.searchParams.has("since"), false);
  FakeSocket.last().message(frame("group:region:us", "1-0")); // the stream's fresh history may start lower
  assert.deepEqual(c.notifications(), ["8-0", "1-0"]);
});

test("one stream: the seed's URL, frames, resume and repeats as before (plus the stream in the event)", async () => {
  const c = client({ groups: [] });
  const socket = await live(c);
  assert.equal(socket.url.search, "", "the seed's URL");
  socket.message({ id: "4-0", title: "seed frame" });
  socket.message({ id: "4-0", title: "repeat" });
  assert.deepEqual(c.events.filter((e) => e.type === "notification").map(({ type, ...n }) => n),
    [{ id: "4-0", title: "seed frame", stream: "user" }]);
  await dropAndReconnect(c, 1006);
  assert.equal(FakeSocket.last().url.search, "?since=4-0");
});

test("ids compare by time, then sequence", () => {
  assert.ok(compareIds("1795521056811-2", "1795521056811-10") < 0);
  assert.ok(compareIds("1795521056812-0", "1795521056811-10") > 0);
  assert.ok(compareIds("0", "1-0") < 0);
  assert.equal(compareIds("5-5", "5-5"), 0);
});
