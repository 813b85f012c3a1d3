// The one way a screen opens its live Socket.IO connection.
//
// Every screen uses the same options: WebSocket first with long-polling as the fallback (a proxy that
// blocks WebSocket must not leave a screen dead), reconnection forever with a capped backoff. After
// every (re)connect, and whenever the page becomes visible again (a phone or PC woke up, a tab came
// back, the back/forward cache restored it), `onResync` runs so the screen re-reads what it may have
// missed; a disconnected socket is told to connect again at once instead of waiting out its backoff.

import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";

export const SOCKET_OPTIONS = Object.freeze({
  transports: ["websocket", "polling"],
  tryAllTransports: true,
  reconnection: true,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
});

/**
 * Connect to a namespace. `on` maps event names to handlers; `onStatus(live, err)` hears "live" (true)
 * and "offline" (false; `err` set on a failed connect); `onResync(reason)` runs with "connect" or
 * "visible". Returns the socket.
 */
export function connect(namespace, { auth = {}, on = {}, onStatus = () => {}, onResync = () => {} } = {}) {
  const socket = io(namespace, { ...SOCKET_OPTIONS, auth });
  socket.on("connect", () => {
    onStatus(true);
    onResync("connect");
  });
  socket.on("disconnect", () => onStatus(false));
  socket.on("connect_error", (err) => onStatus(false, err));
  for (const [event, handler] of Object.entries(on)) socket.on(event, handler);

  const wake = () => {
    onResync("visible");
    if (!socket.connected) socket.connect();
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") wake();
  });
  window.addEventListener("pageshow", (ev) => {
    if (ev.persisted) wake();
  });
  return socket;
}
