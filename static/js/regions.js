// Swap a region of the page for a fresh copy from the server, keeping focus and scroll.

// The live events that change who has a slot: a booking made or cancelled, a request
// made (it holds the slot), approved or declined (the slot free again).
export const SLOT_EVENTS = ["bookingCreated", "bookingCancelled", "bookingRequested", "bookingApproved", "bookingDeclined"];
const running = new Map(); // id -> {promise, again}

async function swap(id) {
  if (!document.getElementById(id)) return; // not on this page
  const response = await fetch(location.href, {
    headers: { "X-Fragment": id, Accept: "text/html" },
    credentials: "same-origin",
  });
  if (!response.ok && response.status !== 400) return;
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  const fresh = template.content.getElementById(id);
  const current = document.getElementById(id);
  if (!fresh || !current) return;

  const focused = current.contains(document.activeElement) ? document.activeElement : null;
  const card = focused?.closest("[data-room-id], [data-booking-id]");
  const scroll = window.scrollY;
  // Boxes that scroll by themselves (the timetable) stay where the teacher scrolled them.
  const boxes = [...current.querySelectorAll("[data-keep-scroll]")].map((box) => [box.dataset.keepScroll, box.scrollLeft, box.scrollTop]);
  current.replaceWith(fresh);
  window.scrollTo({ top: scroll });
  for (const [name, left, top] of boxes) {
    const box = fresh.querySelector(`[data-keep-scroll="${CSS.escape(name)}"]`);
    if (box) box.scrollTo({ left, top });
  }
  if (focused) {
    // The very control (a timetable cell's button, a field with an id): the focus stays.
    let target = sameControl(fresh, focused) || (focused.id && fresh.querySelector(`#${CSS.escape(focused.id)}`));
    if (!target && card?.dataset.roomId) target = fresh.querySelector(`[data-room-id="${card.dataset.roomId}"] button`);
    if (!target && card?.dataset.bookingId) target = fresh.querySelector(`[data-booking-id="${card.dataset.bookingId}"] button`);
    target = target || fresh.querySelector("h2");
    if (target?.tagName === "H2") target.setAttribute("tabindex", "-1");
    target?.focus({ preventScroll: true });
  }
  fresh.dispatchEvent(new CustomEvent("roomclaim:refreshed", { bubbles: true }));
}

// The control in a fresh copy that does what ``control`` did (a named button's value).
export function sameControl(root, control) {
  if (!control?.name || !control.value) return null;
  return root.querySelector(`button[name="${CSS.escape(control.name)}"][value="${CSS.escape(control.value)}"]`);
}

// One refresh at a time per region; a request made meanwhile runs once more afterwards,
// so news that arrives while a fetch is under way is never lost.
export function refreshRegion(id) {
  const current = running.get(id);
  if (current) {
    current.again = true;
    return current.promise;
  }
  const state = { again: false };
  state.promise = (async () => {
    do {
      state.again = false;
      try {
        await swap(id);
      } catch (error) {
        console.warn("Could not refresh", id, error);
      }
    } while (state.again);
    running.delete(id);
  })();
  running.set(id, state);
  return state.promise;
}
