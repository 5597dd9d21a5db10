// The few words written here, in the page's language: Django's JavaScript catalog
// (/jsi18n/, loaded before the modules) gives gettext; without it the words stay English.
const catalog = globalThis.django ?? {};

export const gettext = catalog.gettext ?? ((text) => text);
export const ngettext = catalog.ngettext ?? ((one, many, count) => (count === 1 ? one : many));

// "%(name)s" placeholders, as in the server's messages.
export function interpolate(text, values) {
  return text.replace(/%\((\w+)\)s/g, (match, name) => String(values[name]));
}

// Dates and times as the page's language writes them.
export const language = document.documentElement.lang || "en-GB";

export function clockTime(moment) {
  return new Date(moment).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
