// Pace planner on a roadmap overview: the learner enters hours per week
// (and optionally a start date); each phase's end and the roadmap's end are
// recomputed from the hours in the table's data attributes. A phase with
// weekly hours takes (duration × weekly hours) ÷ pace; one without keeps its
// calendar length. The chosen pace is kept in localStorage (waymark:pace).
// Without JavaScript the table shows the suggested pace.
(() => {
  "use strict";
  const box = document.querySelector("[data-pace]");
  const form = box && box.querySelector(".wm-pace-form");
  if (!form) return;
  const KEY = "waymark:pace";
  const MONTH = 4.348, YEAR = 52.18;
  const hoursInput = form.elements.hours;
  const startInput = form.elements.start;
  const result = box.querySelector(".wm-pace-result");
  const caption = box.querySelector("caption");
  const rows = [...box.querySelectorAll("tbody tr")];
  const cells = rows.map((row) => [row.querySelector(".wm-takes"), row.querySelector(".wm-ends")]);
  const initial = cells.map(([a, b]) => [a.textContent, b.textContent]);
  const initialCaption = caption.textContent;
  const pair = (text) => (text ? text.split(" ").map(Number) : null);

  // Words a span of weeks the way the build does (src/render/timeline.rs).
  function span(min, max) {
    let a, b, unit;
    if (max < 13) { a = Math.max(1, Math.round(min)); b = Math.max(1, Math.round(max)); unit = "week"; }
    else if (max < 36 * MONTH) { a = Math.max(1, Math.round(min / MONTH)); b = Math.max(1, Math.round(max / MONTH)); unit = "month"; }
    else { a = Math.max(1, Math.round(min / YEAR)); b = Math.max(1, Math.round(max / YEAR)); unit = "year"; }
    return a === b ? `${a} ${unit}${a === 1 ? "" : "s"}` : `${a}–${b} ${unit}s`;
  }
  const day = (start, weeks) => new Date(start.getTime() + Math.round(weeks * 7) * 86400000);
  const fmt = (d) => d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  const between = (start, [a, b]) => {
    const [x, y] = [fmt(day(start, a)), fmt(day(start, b))];
    return x === y ? x : `${x} – ${y}`;
  };

  function reset() {
    cells.forEach(([a, b], i) => { a.textContent = initial[i][0]; b.textContent = initial[i][1]; });
    caption.textContent = initialCaption;
  }

  function update(store) {
    const raw = hoursInput.value.trim();
    const hours = Number(raw);
    if (store) {
      try { localStorage.setItem(KEY, JSON.stringify({ v: 1, hours: raw ? hours : null, start: startInput.value || null })); } catch (e) { /* storage may be off */ }
    }
    if (!raw) { reset(); result.textContent = ""; return; }
    if (!(hours >= 1 && hours <= 168)) { reset(); result.textContent = "Enter between 1 and 168 hours a week."; return; }
    const start = startInput.value ? new Date(startInput.value + "T00:00:00") : null;
    let at = [0, 0], ongoing = false;
    rows.forEach((row, i) => {
      const [takes, ends] = cells[i];
      if (row.hasAttribute("data-total")) return;
      const worked = pair(row.dataset.hours);
      const weeks = worked ? [worked[0] / hours, worked[1] / hours] : pair(row.dataset.weeks);
      if (weeks) {
        at = [at[0] + weeks[0], at[1] + weeks[1]];
        takes.textContent = span(weeks[0], weeks[1]);
        ends.textContent = start ? between(start, at) : `after ${span(at[0], at[1])}`;
      } else if (row.hasAttribute("data-ongoing")) {
        ongoing = true;
        ends.textContent = start ? `from ${fmt(day(start, at[0]))}, ongoing` : "ongoing";
      }
    });
    const total = rows.findIndex((row) => row.hasAttribute("data-total"));
    const length = at[1] > 0 ? span(at[0], at[1]) : null;
    if (total >= 0 && length) {
      cells[total][0].textContent = length + (ongoing ? ", then ongoing" : "");
      cells[total][1].textContent = start ? between(start, at) : `after ${length}`;
    }
    caption.textContent = `At ${hours} hours a week`;
    result.textContent = length
      ? `At ${hours} hours a week: about ${length}${ongoing ? ", then ongoing" : ""}` +
        (start ? `, finishing between ${fmt(day(start, at[0]))} and ${fmt(day(start, at[1]))}.` : ".")
      : "";
  }

  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }
  if (saved && saved.hours) hoursInput.value = saved.hours;
  if (saved && saved.start) startInput.value = saved.start;
  form.hidden = false;
  // The preview (`waymark serve`) updates a page in place and runs this
  // again: the old run's listeners go, and the form can stay as it is.
  const old = new AbortController();
  document.addEventListener("waymark:swap", () => old.abort(), { once: true });
  form.addEventListener("input", () => update(true), { signal: old.signal });
  form.addEventListener("submit", (e) => { e.preventDefault(); update(true); }, { signal: old.signal });
  if (hoursInput.value) update(false);
})();
