// My bookings: cancel after a confirmation, in place; stay current when bookings change
// elsewhere. Without JavaScript the Cancel links open a confirmation page instead.
import { describeErrors, postForm } from "./http.js";
import { SLOT_EVENTS, refreshRegion } from "./regions.js";
import { showToast } from "./toasts.js";

const REGION = "bookings-list";
const me = Number(document.body.dataset.teacherId);

async function cancel(link) {
  const { response, body } = await postForm(link.href);
  showToast(response.ok ? body.message : describeErrors(body), { kind: response.ok ? "success" : "error" });
  refreshRegion(REGION);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest(".cancel-link");
  if (!link) return;
  event.preventDefault();
  if (window.confirm(link.dataset.confirm)) cancel(link);
});

document.addEventListener("roomclaim:live", ({ detail }) => {
  // One's own booking or request made, cancelled, approved or declined (with its reason),
  // or checked in to (from the phone at the door, or another tab).
  const changes = [...SLOT_EVENTS, "bookingCheckedIn"];
  const mine = changes.includes(detail.event) && detail.data.teacherId === me;
  // Offers are sent to their teacher alone: one made or ended changes the waitlist shown.
  if (mine || detail.event === "roomAvailable" || detail.event === "offerEnded") refreshRegion(REGION);
});
document.addEventListener("roomclaim:resync", () => refreshRegion(REGION));
