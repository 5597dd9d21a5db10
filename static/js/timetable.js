// The timetable stays true by itself: any booking, cancellation, hold or release that
// touches the day shown (anywhere, on any server process) fetches the grid again.
import { describeErrors, postForm } from "./http.js";
import { refreshRegion, SLOT_EVENTS } from "./regions.js";
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
  if ([...SLOT_EVENTS, "roomHeld", "roomReleased"].includes(event) && onShownDays(data)) {
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

// The period under way in view at once (on a phone only two periods fit), beside the
// room column that stays put.
function showPeriodUnderWay() {
  const box = grid()?.querySelector("[data-keep-scroll]");
  const now = box?.querySelector("th[data-now]");
  if (!box || !now) return;
  const rooms = box.querySelector("thead th")?.offsetWidth || 0;
  box.scrollLeft = Math.max(0, now.offsetLeft - rooms - 4);
}
showPeriodUnderWay();

// Arrow keys move between the grid's cells (one tab stop for the whole grid: roving
// focus), Home and End to the row's ends; Tab leaves the grid.
const focusable = (cell) => cell?.querySelector("button, a");
function rovingFocus() {
  const table = grid()?.querySelector("table.grid");
  const controls = table ? [...table.querySelectorAll("tbody td button, tbody td a")] : [];
  if (!controls.length) return;
  const kept = controls.find((control) => control === document.activeElement);
  const column = [...table.querySelectorAll("thead th")].findIndex((th) => th.hasAttribute("data-now"));
  const underWay = column > 0 ? controls.find((control) => control.closest("td").cellIndex === column) : null;
  const first = kept || underWay || controls[0];
  for (const control of controls) control.tabIndex = control === first ? 0 : -1;
}
function moveFrom(cell, key) {
  const row = cell.parentElement;
  const rows = [...row.parentElement.children];
  const cells = [...row.children];
  let r = rows.indexOf(row);
  let c = cells.indexOf(cell);
  const step = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[key];
  if (key === "Home" || key === "End") {
    const inRow = cells.filter((candidate) => candidate.tagName === "TD");
    const found = (key === "Home" ? inRow : inRow.reverse()).find((candidate) => focusable(candidate));
    return focusable(found);
  }
  // Skip cells with nothing to do (past, closed, being booked) in the direction moved.
  for (;;) {
    r += step[0];
    c += step[1];
    const target = rows[r]?.children[c];
    if (!target || target.tagName !== "TD") return null;
    if (focusable(target)) return focusable(target);
  }
}
document.addEventListener("keydown", (event) => {
  if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
  const cell = event.target.closest?.("#timetable tbody td");
  if (!cell) return;
  const target = moveFrom(cell, event.key);
  if (!target) return;
  event.preventDefault();
  event.target.tabIndex = -1;
  target.tabIndex = 0;
  target.focus();
});
document.addEventListener("roomclaim:refreshed", rovingFocus);
rovingFocus();

const print = document.querySelector("[data-print]");
if (print) {
  print.hidden = false;
  print.addEventListener("click", () => window.print());
}
