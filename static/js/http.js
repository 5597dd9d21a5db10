// Posting a form with fetch, as the pages do: JSON back, the CSRF token in a header, and a
// 401 sends the browser to the login page (its address comes from the server).
import { gettext } from "./i18n.js";

const UNREADABLE = { message: gettext("Something went wrong. Please try again.") };
const OFFLINE = {
  message: gettext("No answer came back (a network problem). Check My bookings before you try again."),
};

export function csrfToken() {
  return document.querySelector("[name=csrfmiddlewaretoken]")?.value;
}

// Never throws: a network failure is an answer too ({ok: false, status: 0}), so callers
// always get their buttons back.
export async function postForm(url, fields = new URLSearchParams()) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      body: new URLSearchParams(fields),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
  } catch {
    return { response: { ok: false, status: 0 }, body: OFFLINE };
  }
  if (response.status === 401) {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`${document.body.dataset.loginUrl}?next=${next}`);
    return { response, body: {} };
  }
  let body;
  try {
    body = await response.json();
  } catch {
    body = UNREADABLE;
  }
  return { response, body };
}

// An error answer in words: the field problems when there are any, else the message.
export function describeErrors(body) {
  const problems = Object.values(body.errors || {}).flat();
  return problems.length ? problems.join(" ") : body.message;
}
