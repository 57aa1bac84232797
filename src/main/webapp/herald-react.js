/**
 * useNotifications(userId, getToken, options): the seed's React component as a hook on Herald's client. No
 * build step: "react" is the page's own React, mapped with an import map (bundlers resolve it by themselves):
 *
 *   <script type="importmap">{"imports": {"react": "https://esm.sh/react@19"}}</script>
 *
 *   import { useNotifications } from "/herald-react.js";
 *   const { notifications, state } = useNotifications(userId, getToken);   // newest first
 *   // or with connect()'s options: one socket for the user's stream, groups and the broadcasts
 *   useNotifications({ userId, groups: ["region:us"], broadcast: true, getToken });
 *
 * Pass userId null for the broadcast stream. Each notification has its "stream" ("user", "broadcast",
 * "group:<name>"). The socket closes when the component unmounts, and the list starts over when userId,
 * groups or broadcast change.
 */
import { useEffect, useRef, useState } from "react";
import { Herald, compareIds } from "./herald.js";

export function useNotifications(userId, getToken, options = {}) {
  if (userId !== null && typeof userId === "object") {
    ({ userId, getToken, ...options } = userId);
  }
  const [notifications, setNotifications] = useState([]);
  const [state, setState] = useState({ status: "connecting" });
  // the latest getToken without reconnecting when the page passes a new function on each render
  const tokens = useRef(getToken);
  tokens.current = getToken;
  // by value: a page passing a new array with the same groups on each render must not reconnect
  const groups = (options.groups ?? []).join(",");

  useEffect(() => {
    setNotifications([]);
    const herald = new Herald({ ...options, userId, getToken: () => tokens.current() });
    herald.addEventListener("notification", (e) => setNotifications((previous) => [e.detail, ...previous]));
    herald.addEventListener("state", (e) => setState(e.detail));
    herald.start();
    return () => herald.stop();
  }, [userId, groups, options.broadcast]); // eslint-disable-line react-hooks/exhaustive-deps -- other options are read once per socket

  return { notifications, state };
}

/**
 * useInbox(userId, getToken, options): the user's inbox, kept in step with the server in every tab:
 *
 *   const { notifications, unread, unseen, markRead, markAllRead, remove } = useInbox(userId, getToken);
 *
 * notifications: the inbox's entries (not archived), newest first, each with "read", "seen" and "archived": the
 * stored ones (read once the socket is live, and again after a history gap) and every one that arrives. unread and
 * unseen: the server's counts, as the last "counts" frame said. markRead(ids | {upTo}), markAllRead() and
 * remove(id) change the inbox on the server (resolving to the new counts); every tab hears what changed.
 * options: the Herald client's (server, …), except streams: this socket carries the user's stream only.
 */
export function useInbox(userId, getToken, options = {}) {
  const [notifications, setNotifications] = useState([]);
  const [counts, setCounts] = useState({ unread: 0, unseen: 0, total: 0 });
  const [state, setState] = useState({ status: "connecting" });
  const tokens = useRef(getToken);
  tokens.current = getToken;
  const client = useRef(null);

  useEffect(() => {
    setNotifications([]);
    setCounts({ unread: 0, unseen: 0, total: 0 });
    const herald = new Herald({ ...options, userId, groups: [], broadcast: false, inbox: true,
      getToken: () => tokens.current() });
    client.current = herald;
    let stopped = false;
    // the inbox's entries win over what the socket said of the same id (a live one is unread until told otherwise)
    const merge = (entries, stored) => setNotifications((previous) => {
      const byId = new Map(previous.map((n) => [n.id, n]));
      entries.forEach((n) => byId.set(n.id, stored ? { ...byId.get(n.id), ...n } : { ...n, ...byId.get(n.id) }));
      return [...byId.values()].filter((n) => !n.archived).sort((x, y) => compareIds(y.id, x.id));
    });
    // the stored entries once the socket is live: it hears everything from then on, so nothing falls between
    const load = () => herald.list().then((entries) => stopped || merge(entries, true), () => {});
    let loaded = false;
    herald.addEventListener("state", (e) => {
      setState(e.detail);
      if (e.detail.status === "live" && !loaded) {
        loaded = true;
        load();
      }
    });
    herald.addEventListener("gap", () => { loaded = false; });
    herald.addEventListener("notification", (e) => {
      const { stream, cursor, ...notification } = e.detail;
      merge([{ ...notification, read: false, seen: false, archived: false }], false);
    });
    herald.addEventListener("counts", (e) => setCounts(e.detail));
    herald.addEventListener("inboxstate", (e) => {
      const { ids, upTo, ...flags } = e.detail;
      const marked = (id) => (ids ? ids.includes(id) : compareIds(id, upTo) <= 0);
      setNotifications((previous) => previous.map((n) => (marked(n.id) ? { ...n, ...flags } : n)).filter((n) => !n.archived));
    });
    herald.addEventListener("removed", (e) => setNotifications((previous) => previous.filter((n) => n.id !== e.detail.id)));
    herald.start();
    return () => {
      stopped = true;
      herald.stop();
    };
  }, [userId]); // eslint-disable-line react-hooks/exhaustive-deps -- other options are read once per socket

  return {
    notifications,
    unread: counts.unread,
    unseen: counts.unseen,
    state,
    markRead: (which) => client.current.markRead(which),
    markAllRead: () => client.current.markAllRead(),
    remove: (id) => client.current.remove(id),
  };
}
