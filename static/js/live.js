// The live channel: one WebSocket per page, reconnecting with backoff after a drop.
// Every server event is re-dispatched on `document` as a "roomclaim:live" CustomEvent;
// after a reconnect, "roomclaim:resync" tells pages to refresh what they may have missed.
import { clockTime, gettext, interpolate } from "./i18n.js";
import { showToast } from "./toasts.js";

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const url = document.body.dataset.liveUrl;
const indicator = document.getElementById("live-indicator");
let delay = MIN_DELAY_MS;
let interrupted = false; // a socket closed since the page loaded: news may have been missed

function setState(state) {
  if (!indicator) return;
  indicator.dataset.state = state;
  indicator.querySelector(".live-label").textContent = state === "live" ? gettext("Live") : gettext("Offline");
  indicator.title = state === "live" ? gettext("Live updates are on") : gettext("Live updates are off; reconnecting");
}

const resync = () => document.dispatchEvent(new CustomEvent("roomclaim:resync"));

// A room we wait for is held for us: say so, with a way straight to it.
function announceOffer(offer) {
  const text = gettext("%(room)s is free for you, held until %(until)s");
  showToast(interpolate(text, { room: offer.roomName, until: clockTime(offer.expiresAt) }), {
    action: { label: gettext("Claim it"), href: offer.claimUrl },
    sticky: true,
  });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${url}`);
  window.roomclaimSocket = socket; // lets tests and the console see the connection

  socket.addEventListener("open", () => {
    delay = MIN_DELAY_MS;
    setState("live");
    if (interrupted) resync();
    interrupted = false;
  });
  socket.addEventListener("message", (message) => {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    if (frame.event === "resync") return resync(); // the server may have missed sending us news
    if (frame.event === "bookingConflict") showToast(frame.data.message, { kind: "error" });
    // A page that shows the news itself (the dialog waiting for this room) cancels the event.
    const shown = !document.dispatchEvent(new CustomEvent("roomclaim:live", { detail: frame, cancelable: true }));
    if (frame.event === "roomAvailable" && !shown) announceOffer(frame.data);
  });
  socket.addEventListener("close", (closed) => {
    setState("offline");
    interrupted = true;
    if (closed.code === 4401) return; // logged out: do not knock again
    // Anything else (4503: the live channel is interrupted on the server) means news may
    // be missed until we are back: stay "Offline" and try again with backoff.
    const jitter = Math.random() * delay * 0.3;
    setTimeout(connect, delay + jitter);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  });
}

if (url && "WebSocket" in window) connect();
