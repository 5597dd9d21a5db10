// Keep the dashboard's results true: when a booking made or cancelled anywhere touches
// the searched period, fetch the same search again and swap the results in place.
import { SLOT_EVENTS, refreshRegion } from "./regions.js";

const REGION = "search-results";

function touchesShownPeriod(booking) {
  const results = document.getElementById(REGION);
  if (!results?.dataset.start) return false;
  const start = Date.parse(results.dataset.start);
  const end = Date.parse(results.dataset.end);
  return Date.parse(booking.startTime) < end && Date.parse(booking.endTime) > start;
}

document.addEventListener("roomclaim:live", ({ detail }) => {
  const { event, data } = detail;
  if (SLOT_EVENTS.includes(event)) {
    if (touchesShownPeriod(data)) refreshRegion(REGION);
  } else if (event === "bookingConflict") {
    refreshRegion(REGION);
  }
});
document.addEventListener("roomclaim:resync", () => refreshRegion(REGION));
