// Progress tracking and the theme toggle in a real browser, driven by the
// keyboard where a learner would use it. Prints a JSON report for
// tests/progress.rs to check.
// usage: node progress.mjs SITE_DIR
import fs from "node:fs";
import { serve, launch } from "./lib.mjs";

const [dir] = process.argv.slice(2);
const server = await serve(dir);
const browser = await launch();
const out = { errors: [] };
const ROAD = "roadmaps/machine-learning/";
const PHASE = ROAD + "prerequisites/";

try {
  const context = await browser.newContext({ acceptDownloads: true, colorScheme: "light" });
  const page = await context.newPage();
  page.on("pageerror", (e) => out.errors.push(String(e)));
  // Turn on file-chooser interception now: turning it on as the import
  // button is pressed races with the chooser opening.
  page.on("filechooser", () => {});
  page.on("console", (m) => { if (m.type() === "error") out.errors.push(m.text()); });

  // Presses Tab until the focused element matches `selector` (at most `max` times).
  async function tabTo(selector, max = 600) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return true;
    }
    throw new Error("Tab never reached " + selector);
  }
  const button = (topic, state) => `[data-topic="machine-learning/${topic}"] .status-button[data-set="${state}"]`;
  const text = (sel) => page.$eval(sel, (e) => e.textContent.trim());

  // Every control on the phase page is reachable with Tab alone.
  await page.goto(server.url + PHASE);
  const controls = await page.$$eval(".status-button, .item-box", (els) => els.length);
  const reached = new Set();
  for (let i = 0; i < 800; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a || !a.matches(".status-button, .item-box")) return null;
      return [...document.querySelectorAll(".status-button, .item-box")].indexOf(a);
    });
    if (id !== null) reached.add(id);
    if (await page.evaluate(() => document.activeElement === document.body)) break;
  }
  out.controls = controls;
  out.reached = reached.size;

  // Two topics done, one in progress, one item ticked: Space and Enter.
  await page.goto(server.url + PHASE);
  await tabTo(button("python-fundamentals", "done"));
  await page.keyboard.press("Space");
  await tabTo(button("math-check", "done"));
  await page.keyboard.press("Enter");
  await tabTo(button("statistical-thinking", "doing"));
  await page.keyboard.press("Space");
  await tabTo('[data-item="machine-learning/python-fundamentals/0"] input');
  await page.keyboard.press("Space");

  await page.reload();
  out.phase = {
    states: await page.$$eval("[data-topic]", (els) => Object.fromEntries(els.map((e) => [e.dataset.topic, e.dataset.state || null]))),
    pressed: await page.$$eval('.status-button[aria-pressed="true"]', (els) => els.map((b) => b.closest("[data-topic]").dataset.topic + ":" + b.dataset.set)),
    ticked: await page.$$eval(".item-box:checked", (els) => els.map((b) => b.closest("[data-item]").dataset.item)),
    summary: await text("article[data-phase] .page-head .progress-summary p"),
  };
  // The topic page shows the same state.
  await page.goto(server.url + PHASE + "python-fundamentals/");
  out.topicPage = {
    state: await page.$eval("article[data-topic]", (e) => e.dataset.state || null),
    ticked: await page.$$eval(".item-box:checked", (els) => els.length),
  };

  // The overview: per phase, the total, the pills, next up.
  const overview = async () => {
    await page.goto(server.url + ROAD);
    return {
      phase: await text('.phase-item[data-phase="machine-learning/prerequisites"] .progress-summary p'),
      total: await text(".page-head .progress-summary p"),
      pills: await page.$$eval(".topic-pills li[data-state]", (els) => els.map((e) => e.dataset.topic + ":" + e.dataset.state)),
      // The SVG diagram's nodes (both layouts), marked by the same script.
      diagram: await page.$$eval("svg a[data-topic][data-state]", (els) =>
        [...new Set(els.map((e) => e.getAttribute("data-topic") + ":" + e.getAttribute("data-state")))].sort()),
      nextUp: await page.$$eval(".next-up li", (els) => els.map((e) => e.textContent.trim())),
      nextUpLinks: await page.$$eval(".next-up li a", (els) => els.map((e) => e.getAttribute("href"))),
    };
  };
  out.overview = await overview();

  await page.goto(server.url);
  out.home = await text('.roadmap-card[data-roadmap="machine-learning"] .progress-summary p');
  out.homeDiagram = await page.$$eval('.roadmap-card[data-roadmap="machine-learning"] [data-topic][data-state]', (els) =>
    [...new Set(els.filter((e) => e.closest("svg")).map((e) => e.getAttribute("data-topic") + ":" + e.getAttribute("data-state")))].sort());

  // The phase's handout viewed in the browser shows the same state, and
  // prints the ticks (the status buttons are for the screen only).
  await page.goto(server.url + "handouts/machine-learning/prerequisites/");
  await page.waitForSelector("li.checkable");
  const handout = async () => ({
    states: await page.$$eval(".handout-topic[data-state]", (els) => els.map((e) => e.dataset.topic + ":" + e.dataset.state).sort()),
    ticked: await page.$$eval("li[data-item] .item-box:checked", (els) => els.map((b) => b.closest("li").dataset.item)),
    buttonsShown: await page.$$eval(".status-group", (els) => els.filter((e) => getComputedStyle(e).display !== "none").length),
    boxesShown: await page.$$eval(".item-box", (els) => els.filter((e) => getComputedStyle(e).display !== "none").length),
  });
  out.handout = await handout();
  await page.emulateMedia({ media: "print" });
  out.handoutPrint = await handout();
  await page.emulateMedia({ media: "screen" });

  // Export (download), reset (confirm accepted), import (replace) restores it.
  await page.goto(server.url + ROAD);
  await tabTo(".progress-tools button:nth-of-type(1)");
  const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
  const file = await download.path();
  out.exported = JSON.parse(fs.readFileSync(file, "utf8"));
  out.exportName = download.suggestedFilename();

  let confirmed = null;
  page.once("dialog", (d) => { confirmed = d.type(); d.accept(); });
  await tabTo(".progress-tools .danger");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => !document.querySelector(".topic-pills li[data-state]"));
  out.confirmed = confirmed;
  out.afterReset = {
    stored: await page.evaluate(() => JSON.parse(localStorage.getItem("waymark:progress"))),
    total: await text(".page-head .progress-summary p"),
  };

  // Back one control from Reset: "Import and replace…".
  await page.keyboard.press("Shift+Tab");
  out.replaceFocused = await page.evaluate(() => document.activeElement.textContent);
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.keyboard.press("Enter")]);
  await chooser.setFiles(file);
  await page.waitForFunction(() => document.querySelectorAll(".topic-pills li[data-state]").length === 3);
  out.importStatus = await text(".progress-status");
  await page.reload();
  out.afterImport = await overview();

  // Next up: finishing the third prerequisite unlocks Linear Algebra.
  await page.goto(server.url + PHASE);
  await page.click(button("statistical-thinking", "done"));
  out.unlocked = await overview();

  // Theme: the toggle persists across a reload, and sets the colours.
  await page.goto(server.url);
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  out.theme = { before: await bg(), pressedBefore: await page.$eval(".theme-toggle", (b) => b.getAttribute("aria-pressed")) };
  await tabTo(".theme-toggle");
  await page.keyboard.press("Enter");
  await page.reload();
  out.theme.after = await bg();
  out.theme.attr = await page.evaluate(() => document.documentElement.getAttribute("data-theme"));
  out.theme.stored = await page.evaluate(() => localStorage.getItem("waymark:theme"));
  out.theme.pressedAfter = await page.$eval(".theme-toggle", (b) => b.getAttribute("aria-pressed"));
  out.theme.code = await page.evaluate(() => {
    const probe = document.createElement("pre");
    probe.className = "hl-code";
    document.body.appendChild(probe);
    return getComputedStyle(probe).backgroundColor;
  });
} catch (e) {
  out.errors.push("test: " + (e && e.stack || e));
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(out));
