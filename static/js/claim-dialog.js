// "Claim Room": take the hold, confirm in a dialog, claim. Without JavaScript the card's
// form posts to the hold page instead and the same flow runs with full page loads.
import { describeErrors, postForm } from "./http.js";
import { refreshRegion } from "./regions.js";
import { showToast } from "./toasts.js";

const dialog = document.getElementById("claim-dialog");
const form = document.getElementById("claim-dialog-form");
const slot = (name) => dialog.querySelector(`[data-slot="${name}"]`);
let current = null; // {roomId, start, end, urls, held, opener, timer}

function showWaitlist(visible) {
  dialog.querySelector('[data-action="waitlist"]').hidden = !visible;
}

async function joinWaitlist() {
  if (!current) return;
  const { start, end, urls } = current;
  const fields = new FormData(form);
  fields.set("start", start);
  fields.set("end", end);
  const { response, body } = await postForm(urls.waitlist, fields);
  if (response.status === 201) {
    close({ releaseHold: false });
    showToast(body.message);
  } else {
    showError(describeErrors(body));
  }
}

function showError(message) {
  const error = slot("error");
  error.textContent = message;
  error.hidden = !message;
}

function stopTimer() {
  clearInterval(current?.timer);
}

function showHold(expiresAt) {
  stopTimer();
  const until = new Date(expiresAt).getTime();
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    slot("hold").textContent = left
      ? `Held for you for ${left} s. Confirm to book it.`
      : "Your hold has ended; Confirm will try to book the room anyway.";
    if (!left) stopTimer();
  };
  tick();
  current.timer = setInterval(tick, 1000);
}

function setBusy(busy) {
  form.querySelectorAll("button").forEach((button) => (button.disabled = busy));
  form.setAttribute("aria-busy", String(busy));
}

async function open(cardForm, opener) {
  const fields = new FormData(cardForm);
  const roomId = cardForm.closest("[data-room-id]").dataset.roomId;
  const urls = {
    hold: cardForm.action,
    claim: cardForm.dataset.claimUrl,
    release: cardForm.dataset.releaseUrl,
    waitlist: cardForm.dataset.waitlistUrl,
  };
  current = { roomId, start: fields.get("start"), end: fields.get("end"), urls, held: false, opener, timer: null };

  slot("room").textContent = cardForm.dataset.roomName;
  slot("building").textContent = cardForm.dataset.building;
  slot("period").textContent = cardForm.dataset.period;
  slot("hold").textContent = "Holding the room for you…";
  showError("");
  form.elements.start.value = current.start;
  form.elements.end.value = current.end;
  form.elements.attendees.value = fields.get("attendees") || "";
  form.elements.attendees.max = cardForm.dataset.capacity;
  form.elements.purpose.value = "";
  form.elements.repeat.value = "";
  form.elements.until.value = "";
  form.elements.free_dates_only.checked = false;
  dialog.querySelector("details.repeat").open = false;
  showWaitlist(false);
  form.action = urls.claim;
  dialog.showModal();
  form.elements.attendees.focus();

  const { response, body } = await postForm(urls.hold, fields);
  if (current?.roomId !== roomId) return;
  if (response.ok && body.hold.degraded) {
    slot("hold").textContent = "The room cannot be held for you just now; it is checked again when you confirm.";
  } else if (response.ok) {
    current.held = true;
    showHold(body.hold.expiresAt);
  } else {
    slot("hold").textContent = "";
    showError(describeErrors(body));
    if (response.status === 409) {
      showWaitlist(Boolean(body.canJoinWaitlist));
      showToast(body.message, { kind: "error" });
    }
  }
}

async function release() {
  if (!current) return;
  const { start, end, urls, held } = current;
  if (!held) return;
  const fields = new FormData(form);
  fields.set("start", start);
  fields.set("end", end);
  await postForm(urls.release, fields);
}

function close({ releaseHold }) {
  stopTimer();
  const closing = current;
  if (releaseHold) release();
  current = null;
  if (dialog.open) dialog.close();
  const opener = closing?.opener;
  // The card may have been replaced by a refresh: fall back to the results heading.
  const target = opener?.isConnected ? opener : document.querySelector("#search-results h2");
  if (target) {
    if (target.tagName === "H2") target.setAttribute("tabindex", "-1");
    target.focus();
  }
}

async function confirm(event) {
  event.preventDefault();
  if (!current) return;
  setBusy(true);
  showError("");
  const { response, body } = await postForm(form.action, new FormData(form));
  setBusy(false);
  if (response.status === 201) {
    current.held = false; // the claim released it
    close({ releaseHold: false });
    showToast(body.message);
    refreshRegion("search-results");
    return;
  }
  showError(describeErrors(body));
  if (response.status === 409) {
    current.held = false;
    slot("hold").textContent = "";
    stopTimer();
    const canWait = Boolean(body.canJoinWaitlist);
    showWaitlist(canWait);
    showToast(body.message, {
      kind: "error",
      action: canWait ? { label: "Join waitlist", run: joinWaitlist } : null,
    });
    refreshRegion("search-results");
  }
}

// A modal dialog already makes the page behind it inert; this keeps Tab from leaving
// the dialog for the browser's own controls, too.
function trapFocus(event) {
  if (event.key !== "Tab") return;
  const focusable = [...dialog.querySelectorAll("input:not([type=hidden]), button, [href], textarea, select")].filter(
    (element) => !element.disabled && element.offsetParent !== null,
  );
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

if (dialog && form) {
  dialog.addEventListener("keydown", trapFocus);
  document.addEventListener("submit", (event) => {
    const cardForm = event.target.closest(".claim-form");
    if (!cardForm) return;
    event.preventDefault();
    open(cardForm, event.submitter || cardForm.querySelector("button"));
  });
  form.addEventListener("submit", confirm);
  dialog.querySelector('[data-action="cancel"]').addEventListener("click", () => close({ releaseHold: true }));
  dialog.querySelector('[data-action="waitlist"]').addEventListener("click", joinWaitlist);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: close our way, releasing the hold
    close({ releaseHold: true });
  });
  // A link to one room (a waitlist offer's "Claim it") opens its dialog at once.
  const wanted = document.getElementById("search-results")?.dataset.openRoom;
  const cardForm = wanted && document.querySelector(`[data-room-id="${wanted}"] .claim-form`);
  if (cardForm) open(cardForm, cardForm.querySelector("button"));
}
