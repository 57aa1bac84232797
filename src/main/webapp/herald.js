/**
 * Herald's browser client: one socket that stays connected by itself and carries a user's stream, the
 * broadcast stream, groups, or any mix of them. No dependencies, no build step:
 *
 *   import { connect } from "/herald.js";
 *   const herald = connect({ userId: "alice", groups: ["region:us"], broadcast: true,
 *                            getToken: async () => "<a JWT for alice that grants group:region:us>" });
 *   herald.addEventListener("notification", (e) => console.log(e.detail.stream, e.detail));
 *   herald.addEventListener("state", (e) => console.log(e.detail.status));
 *
 * Events: "notification" (detail: the notification plus its "stream": "user", "broadcast" or
 * "group:<name>"; each id once and in order within its stream), "state" (detail: {status: "connecting" |
 * "live" | "reconnecting" | "stopped", delay, code, reason}), "gap" (detail: {since, reason}: a stream's
 * history no longer reached back to since (the reason names the stream), so notifications may have been
 * missed: reload the history; the client goes on from now).
 *
 * A socket with one stream resumes with the last id, as Herald's seed clients do; a socket with several
 * gets a "cursor" in each frame, which resumes all of its streams at once.
 *
 * The inbox (option inbox: true, with a userId): the socket also offers subprotocol "herald.2" and the client
 * dispatches the user's inbox frames: "counts" (detail: {unread, unseen, total}: once live, after every change in
 * any tab), "inboxstate" (detail: {ids} or {upTo}, plus the flags set: read, seen, archived; the connection's
 * events keep the name "state"), and "removed" (detail: {id, reason: "deleted" | "retracted" | "expired"}, once per
 * id).
 * list(query), markRead(ids | {upTo}), markAllRead() and remove(id) call Herald's REST routes with the same
 * getToken; the last three resolve to the new counts. Without inbox: true, exactly the frames and protocols of before.
 */

const STOP_CODES = new Set([1000, 1008, 1009]); // normal close, no valid token, we sent too much: retrying would not help
const GOING_AWAY = 1001;
// broker unavailable, client too slow, and 1006: Tyrus usually ends a too-slow client's socket without the 4429
const PAUSE_CODES = new Set([1006, 1013, 4429]);
const TOKEN_EXPIRED = 4401;
const HISTORY_GAP = 4410;
const PAUSE_ATTEMPT = 2; // a pause starts the backoff at 2 s or more
const REMOVED = new Set(["deleted", "retracted", "expired"]);

/** Compares Herald ids ("<ms>-<seq>", or "0"): negative when a comes first. */
export function compareIds(a, b) {
  const [am, as = 0] = a.split("-").map(Number);
  const [bm, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}

export class Herald extends EventTarget {
  #options;
  #streams; // what the socket carries, as frames name them: "user", "broadcast", "group:<name>"
  #since; // where a reconnect resumes: the newest frame's cursor, or its id on a one-stream socket
  #lastIds = new Map(); // stream -> newest id delivered: ids only grow within a stream, not across streams
  #token = null;
  #socket = null;
  #timer = null;
  #stableTimer = null;
  #attempt = 0;
  #started = false;
  #stopped = false;
  #state = { status: "stopped" };
  #counts = null;

  /**
   * @param options.getToken     async () => a JWT for the stream (called again after a refusal or 4401)
   * @param options.userId       the user's stream
   * @param options.groups       group names, e.g. ["region:us", "team:payments"] (the token must grant each)
   * @param options.broadcast    the broadcast stream too; default: only without a userId
   * @param options.since        resume after this id (e.g. the last one in the history you showed), or on a
   *                             socket with several streams after this cursor (e.g. an earlier client's lastId)
   * @param options.server       Herald's base URL; default: where this module was loaded from
   * @param options.minDelay, maxDelay  backoff bounds in ms (full jitter: a random delay up to min * 2^attempt)
   * @param options.stableAfter  ms a connection must stay up before the backoff starts over
   * @param options.inbox       true: the user's inbox too (subprotocol herald.2, the inbox events, markRead, …)
   * @param options.WebSocket, fetch, timers, random  for tests
   */
  constructor(options) {
    super();
    this.#options = {
      server: new URL(".", import.meta.url).href,
      minDelay: 500, maxDelay: 20000, stableAfter: 10000,
      WebSocket: globalThis.WebSocket, fetch: (...args) => globalThis.fetch(...args), timers: globalThis, random: Math.random,
      ...options,
    };
    if (typeof this.#options.getToken !== "function") {
      throw new TypeError("getToken must be a function returning a token (or a promise of one)");
    }
    const { userId, groups = [], broadcast } = this.#options;
    this.#options.groups = [...new Set(groups.filter(Boolean))];
    this.#options.broadcast = Boolean(broadcast ?? !userId);
    this.#streams = [
      ...(userId ? ["user"] : []),
      ...(this.#options.broadcast ? ["broadcast"] : []),
      ...this.#options.groups.map((group) => "group:" + group),
    ];
    if (this.#streams.length === 0) {
      throw new TypeError("nothing to connect to: give a userId, groups, or broadcast: true");
    }
    if (this.#options.inbox && !userId) {
      throw new TypeError("the inbox is a user's: give a userId with inbox: true");
    }
    this.#since = this.#options.since ?? null;
    if (this.#streams.length === 1 && this.#since !== null) {
      this.#lastIds.set(this.#streams[0], this.#since);
    }
  }

  get state() {
    return this.#state;
  }

  /**
   * Where a reconnect resumes: the id of the newest notification delivered, or on a socket with several
   * streams its cursor. Pass it as since to a new client (e.g. one with other groups) to go on from there.
   */
  get lastId() {
    return this.#since;
  }

  /** The user's inbox counts, {unread, unseen, total}, as the last "counts" frame said; null before one came. */
  get counts() {
    return this.#counts;
  }

  /**
   * Marks the user's notifications read (and seen): an array of ids, or {upTo: id} for everything up to and
   * including that id. Resolves to the new counts; every tab of the user hears them as a "counts" event too.
   */
  async markRead(which) {
    const body = Array.isArray(which) ? { ids: which } : { upTo: which?.upTo };
    if (Array.isArray(which) ? which.length === 0 : typeof body.upTo !== "string") {
      throw new TypeError("markRead takes an array of ids or {upTo: id}");
    }
    return this.#inbox("POST", "read", body);
  }

  /**
   * Marks everything read up to the newest notification of the user's stream: the newest this client
   * received, or (nothing received yet, e.g. after a reload) the newest the inbox holds. Resolves to the counts.
   */
  async markAllRead() {
    let upTo = this.#lastIds.get("user");
    if (upTo === undefined) {
      const newest = await this.#inbox("GET", "?status=all&limit=1");
      if (newest.length === 0) {
        return this.#counts ?? this.#inbox("GET", "counts");
      }
      upTo = newest[0].id;
    }
    return this.markRead({ upTo });
  }

  /**
   * The user's stored notifications, oldest first, each with "read", "seen" and "archived": GET /inbox/{userId}
   * with these query parameters (status: "unread" | "unseen" | "archived" | "all", limit, after).
   */
  async list(query = {}) {
    const params = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== undefined)).toString();
    return this.#inbox("GET", params && "?" + params);
  }

  /** Removes one notification from the user's inbox, history and replay. Resolves to the new counts. */
  async remove(id) {
    return this.#inbox("DELETE", encodeURIComponent(id));
  }

  /** A call to /inbox/{userId}/… with the client's token (a fresh one once after a 401); the JSON it answers. */
  async #inbox(method, path, body) {
    if (!this.#options.inbox) {
      throw new TypeError("the inbox calls need inbox: true");
    }
    const base = "inbox/" + encodeURIComponent(this.#options.userId);
    const url = new URL(path === "" || path.startsWith("?") ? base + path : base + "/" + path, this.#options.server).href;
    const call = async () => this.#options.fetch(url, {
      method,
      headers: {
        Authorization: "Bearer " + (this.#token ??= await this.#options.getToken()),
        Accept: "application/json",
        ...(body && { "Content-Type": "application/json" }),
      },
      ...(body && { body: JSON.stringify(body) }),
    });
    let response = await call();
    if (response.status === 401) {
      this.#token = null;
      response = await call();
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(answer?.detail ?? answer?.title ?? `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  start() {
    if (!this.#started) {
      this.#started = true;
      this.#connect();
    }
    return this;
  }

  /** Closes the socket for good; a stopped client never reconnects (make a new one). */
  stop() {
    this.#halt({ reason: "stopped by the page" });
  }

  #halt(why) {
    this.#stopped = true;
    this.#options.timers.clearTimeout(this.#timer);
    this.#options.timers.clearTimeout(this.#stableTimer);
    if (this.#socket) {
      this.#socket.onclose = null;
      this.#socket.close(1000);
      this.#socket = null;
    }
    this.#setState({ status: "stopped", ...why });
  }

  async #connect() {
    this.#timer = null;
    this.#setState({ status: "connecting" });
    let token;
    try {
      token = this.#token ??= await this.#options.getToken();
    } catch (error) {
      this.#reconnect(this.#backoff(), { reason: "getToken failed: " + error });
      return;
    }
    if (this.#stopped) {
      return;
    }
    // Browsers cannot set Authorization on a WebSocket: the token travels as a subprotocol, Herald selects "herald"
    // (or "herald.2", the inbox's frames too, when offered).
    const socket = new this.#options.WebSocket(this.#url(), [this.#options.inbox ? "herald.2" : "herald", "bearer." + token]);
    this.#socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#stableTimer = this.#options.timers.setTimeout(() => { this.#attempt = 0; }, this.#options.stableAfter);
      this.#setState({ status: "live" });
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = (event) => {
      this.#options.timers.clearTimeout(this.#stableTimer);
      this.#socket = null;
      this.#closed(event.code, event.reason, opened);
    };
  }

  #closed(code, reason, opened) {
    if (!opened) {
      // A refused handshake (401, 403, 429, 503) reaches a browser only as 1006, like an unreachable server.
      // The likeliest fixable cause is a stale token (expired, or a restarted development node): fetch a
      // fresh one for the next attempt, and back off so a permanent refusal never becomes a tight loop.
      this.#token = null;
      this.#reconnect(this.#backoff(), { code, reason: reason || "handshake failed" });
      return;
    }
    if (STOP_CODES.has(code)) {
      this.#halt({ code, reason });
      return;
    }
    if (code === TOKEN_EXPIRED) {
      this.#token = null;
    } else if (code === HISTORY_GAP) {
      const since = this.#since;
      this.#since = null;
      this.#lastIds.clear(); // a stream's fresh history may start lower: nothing to compare with any more
      this.dispatchEvent(new CustomEvent("gap", { detail: { since, ...(reason && { reason }) } }));
    } else if (PAUSE_CODES.has(code)) {
      this.#attempt = Math.max(this.#attempt, PAUSE_ATTEMPT);
    }
    // After a stable connection the backoff has started over, so 1001, 4401 and 4410 reconnect at once
    // (within minDelay); a connection that keeps dropping backs off further each time.
    this.#reconnect(this.#backoff(), { code, reason });
  }

  #receive(data) {
    let notification;
    try {
      notification = JSON.parse(data);
    } catch {
      return; // not a notification frame
    }
    if (this.#options.inbox && typeof notification?.herald === "string") {
      this.#control(notification);
      return;
    }
    const id = notification?.id;
    // frames name their stream only on sockets with several; a one-stream socket's frames are the seed's
    const stream = notification?.stream ?? this.#streams[0];
    const last = this.#lastIds.get(stream);
    if (typeof id !== "string" || (last !== undefined && compareIds(id, last) <= 0)) {
      return; // ids only grow within a stream: anything else was delivered already
    }
    this.#lastIds.set(stream, id);
    this.#since = notification.cursor ?? id;
    this.dispatchEvent(new CustomEvent("notification", { detail: { ...notification, stream } }));
  }

  /** An inbox frame of herald.2: {"herald": "counts" | "state" | "deleted" | "retracted" | "expired", …}. */
  #control({ herald: kind, ...detail }) {
    if (kind === "counts") {
      this.#counts = { unread: detail.unread, unseen: detail.unseen, total: detail.total };
      this.dispatchEvent(new CustomEvent("counts", { detail: this.#counts }));
    } else if (kind === "state") {
      this.dispatchEvent(new CustomEvent("inboxstate", { detail }));
    } else if (REMOVED.has(kind)) {
      const ids = detail.ids ?? (detail.id === undefined ? [] : [detail.id]);
      ids.forEach((id) => this.dispatchEvent(new CustomEvent("removed", { detail: { id, reason: kind } })));
    } // a kind this client does not know yet: ignored
  }

  /** Full jitter: a random delay up to minDelay * 2^attempt, capped at maxDelay. */
  #backoff() {
    const { minDelay, maxDelay, random } = this.#options;
    const cap = Math.min(maxDelay, minDelay * 2 ** this.#attempt);
    this.#attempt++;
    return Math.round(random() * cap);
  }

  #reconnect(delay, why) {
    if (this.#stopped) {
      return;
    }
    this.#setState({ status: "reconnecting", delay, ...why });
    this.#timer = this.#options.timers.setTimeout(() => this.#connect(), delay);
  }

  #url() {
    const path = "ws/notifications" + (this.#options.userId ? "/" + encodeURIComponent(this.#options.userId) : "");
    const url = new URL(path, this.#options.server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const { groups, broadcast } = this.#options;
    if (groups.length > 0) {
      url.searchParams.set("groups", groups.join(","));
    }
    if (broadcast !== !this.#options.userId) { // only when it differs from the path's default: seed URLs stay as they were
      url.searchParams.set("broadcast", String(broadcast));
    }
    if (this.#since !== null) {
      url.searchParams.set("since", this.#since);
    }
    return url.href;
  }

  #setState(state) {
    this.#state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }
}

/** A started client: see {@link Herald} for the options and events. */
export function connect(options) {
  return new Herald(options).start();
}
