// A room's door display: what the room is doing now, kept up to date. The socket only
// says "changed"; the page then asks the server for its room's day again (`part=now`),
// and does so at each new minute too, so the clock and "now" move on without news.
// Without JavaScript the page refreshes itself every minute (a <noscript> meta refresh).
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const body = document.body;
const part = document.getElementById("display-now");
const indicator = document.getElementById("live-indicator");
let delay = MIN_DELAY_MS;
let asking = null; // the request under way, if any
let askAgain = false; // news came while it was under way

function setState(state) {
  indicator.dataset.state = state;
  indicator.querySelector(".live-label").textContent = body.dataset[state === "live" ? "liveLabel" : "offlineLabel"];
}

async function refresh() {
  if (asking) {
    askAgain = true;
    return;
  }
  asking = fetch(body.dataset.partUrl, { cache: "no-store", credentials: "omit" });
  try {
    const answer = await asking;
    // A new key was made for this display: the page itself says the address is gone.
    if (answer.status === 404) location.reload();
    else if (answer.ok) part.innerHTML = await answer.text();
  } catch {
    // The server is out of reach: keep what is shown; the next minute asks again.
  } finally {
    asking = null;
  }
  if (askAgain) {
    askAgain = false;
    refresh();
  }
}

function everyMinute() {
  const wait = 60000 - (Date.now() % 60000) + 500;
  setTimeout(() => {
    refresh();
    everyMinute();
  }, wait);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${body.dataset.liveUrl}`);
  window.roomclaimSocket = socket; // lets tests and the console see the connection
  socket.addEventListener("open", () => {
    delay = MIN_DELAY_MS;
    setState("live");
    refresh(); // news may have come while the socket was closed
  });
  socket.addEventListener("message", (message) => {
    if (message.data.includes('"changed"')) refresh();
  });
  socket.addEventListener("close", (closed) => {
    setState("offline");
    if (closed.code === 4404) return location.reload(); // the address is no longer this display's
    setTimeout(connect, delay + Math.random() * delay * 0.3);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  });
}

everyMinute();
if ("WebSocket" in window) connect();
