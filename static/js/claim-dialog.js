// "Claim Room": take the hold, confirm in a dialog, claim. Without JavaScript the card's
// form posts to the hold page instead and the same flow runs with full page loads.
import { describeErrors, postForm } from "./http.js";
import { clockTime, gettext, interpolate, language, ngettext } from "./i18n.js";
import { refreshRegion, sameControl } from "./regions.js";
import { showToast } from "./toasts.js";

const dialog = document.getElementById("claim-dialog");
const form = document.getElementById("claim-dialog-form");
const slot = (name) => dialog.querySelector(`[data-slot="${name}"]`);
let current = null; // {roomId, start, end, urls, held, waiting, opener, timer, recheck}

function showWaitlist(visible) {
  dialog.querySelector('[data-action="waitlist"]').hidden = !visible;
}

function showWait(visible) {
  dialog.querySelector('[data-action="wait"]').hidden = !visible;
}

function periodFields() {
  const fields = new FormData(form);
  fields.set("start", current.start);
  fields.set("end", current.end);
  return fields;
}

// Another teacher is confirming this room: stand in line for it. The hold comes to us
// when they give up (roomAvailable); if they book, the line hears it (bookingConflict).
// We also ask again when their hold ends, in case no news came through.
async function waitForRoom() {
  if (!current) return;
  const asked = current;
  showWait(false);
  showError("");
  slot("alternatives").hidden = true;
  const { response, body } = await postForm(asked.urls.queue, periodFields());
  if (current !== asked) return;
  if (response.status === 202) {
    current.waiting = true;
    confirmButton().disabled = true;
    const until = new Date(body.queue.heldUntil);
    const text = gettext(
      "You are number %(position)s in line. Another teacher is confirming this room; " +
        "if they do not book it, it comes to you (at the latest at %(until)s).",
    );
    slot("hold").textContent = interpolate(text, { position: body.queue.position, until: clockTime(until) });
    clearTimeout(current.recheck);
    current.recheck = setTimeout(waitForRoom, Math.max(until.getTime() - Date.now(), 0) + 300);
  } else if (response.ok) {
    yourTurn(body.hold.expiresAt);
  } else {
    lost(response, body);
  }
}

function confirmButton() {
  return dialog.querySelector('[data-action="confirm"]');
}

function yourTurn(expiresAt) {
  clearTimeout(current.recheck);
  current.waiting = false;
  current.held = true;
  confirmButton().disabled = false;
  showError("");
  slot("alternatives").hidden = true;
  showHold(expiresAt, gettext("Your turn!"));
  form.elements.attendees.focus();
}

// Our claim or wait met a conflict: say why, and offer what there is instead.
function lost(response, body) {
  clearTimeout(current.recheck);
  current.waiting = false;
  current.held = false;
  stopTimer();
  slot("hold").textContent = "";
  // The room is booked (ROOM_NOT_AVAILABLE): confirming again cannot win; the way on is the
  // waitlist or an alternative. Someone else holding it (BOOKING_CONFLICT) may still give
  // it up, and a field to correct can be retried: Confirm stays.
  confirmButton().disabled = body?.code === "ROOM_NOT_AVAILABLE";
  showError(describeErrors(body));
  if (response.status !== 409) return;
  showWait(Boolean(body.canWait));
  showWaitlist(Boolean(body.canJoinWaitlist));
  offerAlternatives();
}

const samePeriod = (data) =>
  current && String(data.roomId) === String(current.roomId) &&
  data.startTime.slice(0, 16) === current.start && data.endTime.slice(0, 16) === current.end;

// News for the period our dialog waits for: the hold is ours, or the room was booked.
document.addEventListener("roomclaim:live", (event) => {
  const { event: kind, data } = event.detail;
  if (!current?.waiting || !data || !samePeriod(data)) return;
  if (kind === "roomAvailable" && data.fromQueue) {
    event.preventDefault(); // the dialog says it; no toast needed
    yourTurn(data.expiresAt);
  } else if (kind === "bookingConflict" && data.code === "ROOM_NOT_AVAILABLE") {
    lost({ status: 409 }, { ...data, canWait: false });
  }
});
document.addEventListener("roomclaim:resync", () => {
  if (current?.waiting) waitForRoom(); // news may have been missed: ask where we stand
});

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

function showHold(expiresAt, news = "") {
  stopTimer();
  const until = new Date(expiresAt).getTime();
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    const held = interpolate(gettext("Held for you for %(seconds)s s. Confirm to book it."), { seconds: left });
    slot("hold").textContent = left
      ? [news, held].filter(Boolean).join(" ")
      : gettext("Your hold has ended; Confirm will try to book the room anyway.");
    if (!left) stopTimer();
  };
  tick();
  current.timer = setInterval(tick, 1000);
}

function setBusy(busy) {
  form.querySelectorAll("button").forEach((button) => (button.disabled = busy));
  form.setAttribute("aria-busy", String(busy));
}

// What the dialog needs to know of a room and period, from a result card's form.
function fromCard(cardForm) {
  const fields = new FormData(cardForm);
  return {
    roomId: cardForm.closest("[data-room-id]").dataset.roomId,
    roomName: cardForm.dataset.roomName,
    building: cardForm.dataset.building,
    capacity: cardForm.dataset.capacity,
    period: cardForm.dataset.period,
    approval: cardForm.dataset.approval || "", // who decides: the claim is a request
    start: fields.get("start"),
    end: fields.get("end"),
    attendees: fields.get("attendees") || "",
    urls: {
      hold: cardForm.action,
      claim: cardForm.dataset.claimUrl,
      release: cardForm.dataset.releaseUrl,
      queue: cardForm.dataset.queueUrl,
      waitlist: cardForm.dataset.waitlistUrl,
      alternatives: cardForm.dataset.alternativesUrl,
    },
  };
}

// The same from a timetable cell: the row says which room, the cell which period.
function fromCell(button) {
  const row = button.closest("tr[data-room-id]");
  const base = `${button.closest("[data-room-base]").dataset.roomBase}${row.dataset.roomId}`;
  return {
    roomId: row.dataset.roomId,
    roomName: row.dataset.roomName,
    building: row.dataset.building,
    capacity: row.dataset.capacity,
    period: button.dataset.period,
    approval: row.dataset.approval || "",
    start: button.dataset.start,
    end: button.dataset.end,
    attendees: "",
    urls: {
      hold: `${base}/hold/`,
      claim: `${base}/claim/`,
      release: `${base}/release/`,
      queue: `${base}/queue/`,
      waitlist: `${base}/waitlist/`,
      alternatives: `${base}/alternatives/`,
    },
  };
}

// "Thu 3 Dec, 10:50–11:40", or with the school's period name "Thu 3 Dec, Period 3 (10:50–11:40)".
const localPeriod = (startTime, endTime, name = "") => {
  const [year, month, day] = startTime.slice(0, 10).split("-").map(Number);
  const date = new Date(year, month - 1, day).toLocaleDateString(language, { weekday: "short", day: "numeric", month: "short" });
  const times = `${startTime.slice(11, 16)}–${endTime.slice(11, 16)}`;
  return `${date.replace(",", "")}, ${name ? `${name} (${times})` : times}`;
};

// After a 409, what the teacher could have instead: other rooms for the same period, and
// this room's nearest free periods, each one click away from its own dialog.
async function offerAlternatives() {
  const { start, end, attendees, urls } = current;
  const query = new URLSearchParams({ start, end, attendees });
  try {
    const response = await fetch(`${urls.alternatives}?${query}`, { headers: { Accept: "application/json" } });
    if (response.ok && current?.urls === urls) showAlternatives((await response.json()).alternatives);
  } catch {
    // no alternatives is no loss: the error is already shown
  }
}

function showAlternatives(alternatives) {
  const box = slot("alternatives");
  const list = box.querySelector("ul");
  list.replaceChildren();
  const base = current;
  const choices = [
    ...(alternatives?.rooms || []).map((room) => ({
      label: `${room.name} · ${room.building} · ${interpolate(
        ngettext("%(seats)s seat", "%(seats)s seats", room.capacity), { seats: room.capacity })}`,
      target: { ...base, roomId: String(room.id), roomName: room.name, building: room.building, capacity: room.capacity,
                urls: { hold: room.holdUrl, claim: room.claimUrl, release: room.releaseUrl, queue: room.queueUrl,
                        waitlist: room.waitlistUrl, alternatives: room.alternativesUrl } },
    })),
    ...(alternatives?.periods || []).map((period) => {
      const times = `${period.startTime.slice(11, 16)}–${period.endTime.slice(11, 16)}`;
      return {
        label: `${base.roomName} · ${period.name ? `${period.name} (${times})` : times}`,
        target: { ...base, start: period.startTime.slice(0, 16), end: period.endTime.slice(0, 16),
                  period: localPeriod(period.startTime, period.endTime, period.name) },
      };
    }),
  ];
  for (const choice of choices) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "alternative";
    button.textContent = choice.label;
    button.addEventListener("click", () => {
      const opener = base.opener;
      close({ releaseHold: false });
      open(choice.target, opener);
    });
    const item = document.createElement("li");
    item.append(button);
    list.append(item);
  }
  box.hidden = !choices.length;
}

async function open(target, opener) {
  const { roomId, urls } = target;
  current = { ...target, held: false, waiting: false, opener, timer: null, recheck: null };
  const fields = new FormData(form);
  fields.set("start", target.start);
  fields.set("end", target.end);
  fields.set("attendees", target.attendees);

  slot("room").textContent = target.roomName;
  slot("building").textContent = target.building;
  slot("period").textContent = target.period;
  slot("approval").hidden = !target.approval;
  slot("approval").textContent = target.approval
    ? interpolate(gettext("Needs approval: your claim is a request until %(group)s decides."), { group: target.approval })
    : "";
  slot("hold").textContent = gettext("Holding the room for you…");
  showError("");
  slot("alternatives").hidden = true;
  form.elements.start.value = current.start;
  form.elements.end.value = current.end;
  form.elements.attendees.value = target.attendees;
  form.elements.attendees.max = target.capacity;
  form.elements.purpose.value = "";
  form.elements.repeat.value = "";
  form.elements.until.value = "";
  form.elements.free_dates_only.checked = false;
  dialog.querySelector("details.repeat").open = false;
  showWaitlist(false);
  showWait(false);
  confirmButton().disabled = false;
  form.action = urls.claim;
  dialog.showModal();
  form.elements.attendees.focus();

  const { response, body } = await postForm(urls.hold, fields);
  if (current?.roomId !== roomId) return;
  if (response.ok && body.hold.degraded) {
    slot("hold").textContent = gettext("The room cannot be held for you just now; it is checked again when you confirm.");
  } else if (response.ok) {
    current.held = true;
    showHold(body.hold.expiresAt);
  } else {
    lost(response, body);
    if (response.status === 409) showToast(body.message, { kind: "error" });
  }
}

// Give up our hold, or our place in line: the hold passes to the next teacher in line.
async function release() {
  if (!current?.held && !current?.waiting) return;
  await postForm(current.urls.release, periodFields());
}

// Closing the tab gives up the hold too, so whoever waits gets it now, not at its expiry.
function releaseOnLeave() {
  if (!current?.held && !current?.waiting) return;
  navigator.sendBeacon(current.urls.release, periodFields()); // the form carries the CSRF token
}

function close({ releaseHold }) {
  stopTimer();
  clearTimeout(current?.recheck);
  const closing = current;
  if (releaseHold) release();
  current = null;
  if (dialog.open) dialog.close();
  const opener = closing?.opener;
  // The card may have been replaced by a refresh: fall back to the results heading.
  const target = opener?.isConnected
    ? opener
    : sameControl(document, opener) || document.querySelector("#search-results h2, #timetable h2");
  if (target) {
    if (target.tagName === "H2") target.setAttribute("tabindex", "-1");
    target.focus();
  }
}

async function confirm(event) {
  event.preventDefault();
  if (!current || current.waiting) return;
  setBusy(true);
  showError("");
  const { response, body } = await postForm(form.action, new FormData(form));
  setBusy(false);
  // 201: booked; 202: a room that needs approval, requested (the slot held until decided).
  if (response.status === 201 || response.status === 202) {
    current.held = false; // the claim released it
    close({ releaseHold: false });
    showToast(body.message);
    refreshRegion("search-results");
    refreshRegion("timetable");
    return;
  }
  if (response.status === 409) {
    lost(response, body);
    const canJoin = Boolean(body.canJoinWaitlist);
    showToast(body.message, {
      kind: "error",
      action: canJoin ? { label: gettext("Join waitlist"), run: joinWaitlist } : null,
    });
    refreshRegion("search-results");
  } else {
    showError(describeErrors(body));
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
    open(fromCard(cardForm), event.submitter || cardForm.querySelector("button"));
  });
  // A free timetable cell opens the same dialog (without JavaScript it goes to the search).
  document.addEventListener("click", (event) => {
    const cell = event.target.closest("button[data-claim]");
    if (!cell) return;
    event.preventDefault();
    open(fromCell(cell), cell);
  });
  form.addEventListener("submit", confirm);
  dialog.querySelector('[data-action="cancel"]').addEventListener("click", () => close({ releaseHold: true }));
  dialog.querySelector('[data-action="waitlist"]').addEventListener("click", joinWaitlist);
  dialog.querySelector('[data-action="wait"]').addEventListener("click", waitForRoom);
  window.addEventListener("pagehide", releaseOnLeave);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: close our way, releasing the hold
    close({ releaseHold: true });
  });
  // A link to one room (a waitlist offer's "Claim it") opens its dialog at once.
  const wanted = document.getElementById("search-results")?.dataset.openRoom;
  const cardForm = wanted && document.querySelector(`[data-room-id="${wanted}"] .claim-form`);
  if (cardForm) open(fromCard(cardForm), cardForm.querySelector("button"));
}
