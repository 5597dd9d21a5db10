// The search form's periods and times agree: choosing a period (or a run) fills Start and
// End with its times on the chosen day; typing a time makes it a search by time.
const form = document.querySelector(".search-form");
const period = form?.elements.period;
const toPeriod = form?.elements.to_period;
const times = period ? JSON.parse(period.dataset.times || "{}") : {};

function showPeriodTimes() {
  const day = times[form.elements.date.value];
  const first = day?.[period.value];
  const last = day?.[toPeriod?.value || period.value];
  if (!first || !last) return;
  form.elements.start.value = first[0];
  form.elements.end.value = last[1];
  form.elements.shown.value = `${period.value}|${toPeriod?.value || ""}`;
}

if (period) {
  for (const control of [period, toPeriod, form.elements.date]) control?.addEventListener("change", showPeriodTimes);
  for (const name of ["start", "end"]) {
    form.elements[name].addEventListener("input", () => {
      period.value = "";
      if (toPeriod) toPeriod.value = "";
      form.elements.shown.value = "";
    });
  }
}
