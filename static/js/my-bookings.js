// My bookings: ask before cancelling, and stay current when bookings change elsewhere.
import { refreshRegion } from "./regions.js";

const REGION = "bookings-list";
const me = Number(document.body.dataset.teacherId);

document.addEventListener("submit", (event) => {
  const form = event.target.closest(".cancel-form");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

document.addEventListener("roomclaim:live", ({ detail }) => {
  if ((detail.event === "bookingCreated" || detail.event === "bookingCancelled") && detail.data.teacherId === me) {
    refreshRegion(REGION);
  }
});
document.addEventListener("roomclaim:resync", () => refreshRegion(REGION));
