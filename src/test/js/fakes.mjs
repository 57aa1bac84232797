// Test doubles for the browser client: a WebSocket and timers the test drives, no network and no wall clock.
import assert from "node:assert/strict";

// Browsers have CustomEvent; Node has it globally only from 19 (Debian 12's nodejs is 18): the same shape here.
globalThis.CustomEvent ??= class CustomEvent extends Event {
  constructor(type, init = {}) {
    super(type, init);
    this.detail = init.detail ?? null;
  }
};

/** A WebSocket the test drives: the server's side is open(), message(), closeWith(). */
export class FakeSocket {
  static all = [];

  constructor(url, protocols) {
    this.url = new URL(url);
    this.protocols = protocols;
    this.closedByClient = null;
    FakeSocket.all.push(this);
  }

  static last() {
    return FakeSocket.all.at(-1);
  }

  open() {
    this.onopen?.({});
  }

  message(notification) {
    this.onmessage?.({ data: JSON.stringify(notification) });
  }

  closeWith(code, reason = "") {
    this.onclose?.({ code, reason });
  }

  close(code) {
    this.closedByClient = code;
  }
}

/** Timers that fire only when the test says so. */
export class FakeTimers {
  pending = new Map();
  next = 1;

  setTimeout(callback, delay) {
    const id = this.next++;
    this.pending.set(id, { callback, delay });
    return id;
  }

  clearTimeout(id) {
    this.pending.delete(id);
  }

  /** The delays waiting, in the order they were set. */
  delays() {
    return [...this.pending.values()].map((t) => t.delay);
  }

  /** Fires the timer with this delay (the reconnect, or the stable-connection timer). */
  fire(delay) {
    const entry = [...this.pending].find(([, t]) => t.delay === delay);
    assert.ok(entry, `a timer of ${delay} ms is pending; pending: ${this.delays()}`);
    this.pending.delete(entry[0]);
    entry[1].callback();
  }
}

/** Lets the client's awaited getToken() settle (microtasks only). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * fetch() with answers the test queues: each call is recorded ({url, method, headers, body}) and answered
 * with the next queued {status, body}; none queued fails the test.
 */
export class FakeFetch {
  calls = [];
  answers = [];

  answer(status, body) {
    this.answers.push({ status, body });
    return this;
  }

  fetch = async (url, init = {}) => {
    this.calls.push({ url, method: init.method ?? "GET", headers: init.headers ?? {},
      body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const answer = this.answers.shift();
    assert.ok(answer, `an answer is queued for ${init.method ?? "GET"} ${url}`);
    return {
      status: answer.status,
      ok: answer.status >= 200 && answer.status < 300,
      json: async () => (answer.body === undefined ? Promise.reject(new SyntaxError("no body")) : structuredClone(answer.body)),
    };
  };
}
