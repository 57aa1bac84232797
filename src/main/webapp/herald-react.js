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
import { Herald } from "./herald.js";

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
