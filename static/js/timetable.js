// The timetable stays true by itself: any booking, cancellation, hold or release that
// touches the day shown (anywhere, on any server process) fetches the grid again.
import { describeErrors, postForm } from "./http.js";
import { refreshRegion } from "./regions.js";
import { showToast } from "./toasts.js";

const REGION = "timetable";
const grid = () => document.getElementById(REGION);
let holdTimer = null;

// The days shown: one (the day's grid) or a week (a room's page).
function onShownDays(data) {
  const shown = grid()?.dataset;
  if (!shown || !data?.startTime) return false;
  const first = shown.day || shown.week;
  const last = shown.day || shown.weekEnd;
  return data.startTime.slice(0, 10) <= last && data.endTime.slice(0, 10) >= first;
}

// A hold shown as "being booked" ends by itself: look again when the first one does.
function watchHolds() {
  clearTimeout(holdTimer);
  const ends = grid()?.dataset.nextHoldEnds;
  if (ends) holdTimer = setTimeout(() => refreshRegion(REGION), Math.max(Date.parse(ends) - Date.now(), 0) + 500);
}

document.addEventListener("roomclaim:live", ({ detail }) => {
  const { event, data } = detail;
  if (["bookingCreated", "bookingCancelled", "roomHeld", "roomReleased"].includes(event) && onShownDays(data)) {
    refreshRegion(REGION);
  }
});
document.addEventListener("roomclaim:resync", () => refreshRegion(REGION));
document.addEventListener("roomclaim:refreshed", watchHolds);
watchHolds();

// "Join waitlist" in a taken cell, without leaving the page.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-wait]");
  if (!button) return;
  event.preventDefault();
  const row = button.closest("tr[data-room-id]");
  const fields = new URLSearchParams({ start: button.dataset.start, end: button.dataset.end });
  const { response, body } = await postForm(`${grid().dataset.roomBase}${row.dataset.roomId}/waitlist/`, fields);
  showToast(response.ok ? body.message : describeErrors(body), { kind: response.ok ? "success" : "error" });
});

const print = document.querySelector("[data-print]");
if (print) {
  print.hidden = false;
  print.addEventListener("click", () => window.print());
}
