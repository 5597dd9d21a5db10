// Requests to decide: approve or decline in place, and see requests arrive (and others'
// decisions) live. Without JavaScript the forms post and the page comes back.
import { describeErrors, postForm } from "./http.js";
import { SLOT_EVENTS, refreshRegion } from "./regions.js";
import { showToast } from "./toasts.js";

const REGION = "requests-list";

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-decide]");
  if (!form) return;
  event.preventDefault();
  const { response, body } = await postForm(form.action, new FormData(form));
  showToast(response.ok ? body.message : describeErrors(body), { kind: response.ok ? "success" : "error" });
  refreshRegion(REGION);
});

document.addEventListener("roomclaim:live", ({ detail }) => {
  if (SLOT_EVENTS.includes(detail.event)) refreshRegion(REGION);
});
document.addEventListener("roomclaim:resync", () => refreshRegion(REGION));

// A reason being typed survives a refresh of the list (a colleague's request arriving).
const typed = new Map();
document.addEventListener("input", (event) => {
  if (event.target.name === "reason" && event.target.id) typed.set(event.target.id, event.target.value);
});
document.addEventListener("roomclaim:refreshed", (event) => {
  if (event.target.id !== REGION) return;
  for (const [id, value] of typed) {
    const input = document.getElementById(id);
    if (input) input.value = value;
    else typed.delete(id);
  }
});
