// Toasts: short messages in the page's live regions. Text only, never HTML.
import { gettext } from "./i18n.js";

const SUCCESS_MS = 6000;
const ERROR_MS = 12000;
const REPEAT_MS = 3000;
const recent = new Map();

function dismiss(toast) {
  toast.remove();
}

function wire(toast, lifetime) {
  toast.querySelector(".toast-close")?.addEventListener("click", () => dismiss(toast));
  if (lifetime) setTimeout(() => dismiss(toast), lifetime);
}

// A modal dialog puts the rest of the page behind its backdrop and makes it inert, live
// regions included; so while one is open the toasts move into it, and back on close.
const container = document.querySelector(".toasts");
const home = container?.parentElement;

function placeToasts() {
  const modal = document.querySelector("dialog:modal");
  const host = modal || home;
  if (container && host && container.parentElement !== host) host.append(container);
}

document.addEventListener("close", placeToasts, true);

// `action` adds one control: {label, href} for a link or {label, run} for a button.
// `sticky` toasts stay until dismissed (news that lasts, such as a waitlist offer).
// One toast per outcome: a new outcome takes the place of the errors shown before it.
export function showToast(message, { kind = "success", action = null, sticky = false } = {}) {
  const now = Date.now();
  const key = `${kind}:${message}`;
  if (now - (recent.get(key) || 0) < REPEAT_MS) return; // the same news from two paths
  recent.set(key, now);

  placeToasts();
  container?.querySelectorAll(".toast-error").forEach(dismiss);
  const region = document.getElementById(kind === "error" ? "toast-alert" : "toast-status");
  if (!region) return;
  const toast = document.createElement("div");
  toast.className = `toast toast-${kind}`;
  const text = document.createElement("span");
  text.className = "toast-text";
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.setAttribute("aria-label", gettext("Dismiss"));
  close.textContent = "×";
  toast.append(text);
  if (action) {
    const control = document.createElement(action.href ? "a" : "button");
    control.className = "toast-action";
    control.textContent = action.label;
    if (action.href) {
      control.href = action.href;
    } else {
      control.type = "button";
      control.addEventListener("click", () => {
        action.run();
        dismiss(toast);
      });
    }
    toast.append(control);
  }
  toast.append(close);
  region.append(toast);
  wire(toast, sticky ? 0 : kind === "error" ? ERROR_MS : SUCCESS_MS);
}

// Messages the server rendered into the page (no-JavaScript path) get the same controls.
document.querySelectorAll(".toast").forEach((toast) => wire(toast, toast.classList.contains("toast-error") ? ERROR_MS : SUCCESS_MS));
