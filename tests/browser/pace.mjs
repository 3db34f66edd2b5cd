// Drives the pace planner on a roadmap overview in a real browser and
// prints what it shows as JSON. usage: node pace.mjs SITE_DIR PAGE_PATH
import { serve, launch } from "./lib.mjs";

const [dir, pagePath] = process.argv.slice(2);
const server = await serve(dir);
const browser = await launch();
const out = { errors: [] };
const ends = (page) => page.$$eval(".wm-pace-table tbody .wm-ends", (cells) => cells.map((c) => c.textContent));
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => out.errors.push(String(e)));
  await page.goto(server.url + pagePath, { waitUntil: "load" });
  out.formVisible = await page.$eval(".wm-pace-form", (f) => !f.hidden && f.offsetHeight > 0);
  out.before = await ends(page);
  // Keyboard only: focus the labelled field and type.
  await page.getByLabel("Your hours per week").focus();
  await page.keyboard.type("5");
  out.slow = await ends(page);
  out.slowTakes = await page.$eval(".wm-pace-table tbody tr:nth-child(2) .wm-takes", (c) => c.textContent);
  out.result = await page.$eval(".wm-pace-result", (p) => p.textContent);
  out.live = await page.$eval(".wm-pace-result", (p) => p.getAttribute("aria-live"));
  await page.fill("#pace-hours", "40");
  out.fast = await ends(page);
  await page.reload({ waitUntil: "load" });
  out.reloadedHours = await page.inputValue("#pace-hours");
  out.reloaded = await ends(page);
  await page.fill("#pace-start", "2030-01-07");
  out.dated = await page.$eval(".wm-pace-table tbody tr:nth-child(2) .wm-ends", (c) => c.textContent);
  out.stored = await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:pace")));
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(out));
