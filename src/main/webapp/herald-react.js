/**
 * useNotifications(userId, getToken): the seed's React component as a hook on Herald's client. No build
 * step: "react" is the page's own React, mapped with an import map (bundlers resolve it by themselves):
 *
 *   <script type="importmap">{"imports": {"react": "https://esm.sh/react@19"}}</script>
 *
 *   import { useNotifications } from "/herald-react.js";
 *   const { notifications, state } = useNotifications(userId, getToken);   // newest first
 *
 * Pass userId null for the broadcast stream. The socket closes when the component unmounts or userId changes.
 */
import { useEffect, useRef, useState } from "react";
import { Herald } from "./herald.js";

export function useNotifications(userId, getToken, options = {}) {
  const [notifications, setNotifications] = useState([]);
  const [state, setState] = useState({ status: "connecting" });
  // the latest getToken without reconnecting when the page passes a new function on each render
  const tokens = useRef(getToken);
  tokens.current = getToken;

  useEffect(() => {
    setNotifications([]);
    const herald = new Herald({ ...options, userId, getToken: () => tokens.current() });
    herald.addEventListener("notification", (e) => setNotifications((previous) => [e.detail, ...previous]));
    herald.addEventListener("state", (e) => setState(e.detail));
    herald.start();
    return () => herald.stop();
  }, [userId]); // eslint-disable-line react-hooks/exhaustive-deps -- options are read once per stream

  return { notifications, state };
}
