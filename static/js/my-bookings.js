// My bookings: cancel after a confirmation, in place; stay current when bookings change
// elsewhere. Without JavaScript the Cancel links open a confirmation page instead.
import { refreshRegion } from "./regions.js";
import { showToast } from "./toasts.js";

const REGION = "bookings-list";
const me = Number(document.body.dataset.teacherId);

async function cancel(link) {
  const token = document.querySelector("[name=csrfmiddlewaretoken]")?.value;
  const response = await fetch(link.href, {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": token },
  });
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = { message: "Something went wrong. Please try again." };
  }
  if (response.ok) {
    const count = body.cancelled ? `${body.cancelled.length} upcoming dates` : body.booking.roomName;
    showToast(`${body.cancelled ? "Series cancelled" : "Booking cancelled"}: ${count}`);
  } else {
    const problems = Object.values(body.errors || {}).flat();
    showToast(problems.length ? problems.join(" ") : body.message, { kind: "error" });
  }
  refreshRegion(REGION);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest(".cancel-link");
  if (!link) return;
  event.preventDefault();
  if (window.confirm(link.dataset.confirm)) cancel(link);
});

document.addEventListener("roomclaim:live", ({ detail }) => {
  if ((detail.event === "bookingCreated" || detail.event === "bookingCancelled") && detail.data.teacherId === me) {
    refreshRegion(REGION);
  }
});
document.addEventListener("roomclaim:resync", () => refreshRegion(REGION));
