// Drives `waymark serve` in a real browser: edits a topic title, breaks and
// fixes the YAML, edits CSS; prints what the page did as JSON.
// usage: node live.mjs BASE_URL SITE_DIR PHASE_FILE PAGE_PATH OLD_TITLE
import fs from "node:fs";
import path from "node:path";
import { launch } from "./lib.mjs";

const [base, site, phaseFile, pagePath, oldTitle] = process.argv.slice(2);
const phase = path.join(site, phaseFile);
const original = fs.readFileSync(phase, "utf8");
const out = { steps: {}, errors: [] };
const browser = await launch();

// Times a step two ways: when this script sees the change on the page
// (over the DevTools protocol, which adds its own delay on a busy
// machine), and when the page painted it: the first frame after the
// change was in its DOM, by the page's clock (this script's wall clock).
async function timed(name, action, check, timeout = 20000) {
  await page.evaluate((expression) => {
    const shows = new Function(`return (${expression});`);
    window.__painted = null;
    const observer = new MutationObserver(() => {
      if (!shows()) return;
      observer.disconnect();
      requestAnimationFrame(() => {
        // Runs once the frame that begins with this callback is painted
        // (or later, when other tasks were queued first).
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { window.__painted = Date.now(); };
        channel.port2.postMessage(null);
      });
    });
    observer.observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
    window.__stopPaintClock = () => observer.disconnect();
  }, check.expression);
  const started = Date.now();
  action();
  await check(timeout);
  const seen = Date.now() - started;
  const painted = await page.waitForFunction(() => window.__painted, null, { timeout: 2000 })
    .then((handle) => handle.jsonValue(), () => null);
  await page.evaluate(() => window.__stopPaintClock());
  out.steps[name] = { ms: seen, paintedMs: painted === null ? null : painted - started };
}

// A condition on the front tab, as an expression the page evaluates.
function when(expression) {
  const check = (timeout) => page.waitForFunction(expression, null, { timeout });
  check.expression = expression;
  return check;
}

// The front tab shows `title`, and no error overlay.
const showsTitle = (title) => when(`document.querySelector("h1")?.textContent === ${JSON.stringify(title)}
  && !document.getElementById("waymark-error-overlay")`);

let page;
try {
  const context = await browser.newContext();
  page = await context.newPage();
  page.on("pageerror", (e) => out.errors.push(String(e)));
  // The page's own scripts (not the live-reload one) the front tab requests.
  const scriptRequests = [];
  page.on("request", (r) => {
    if (/\.js(\?|$)/.test(r.url()) && !r.url().includes("/__waymark/")) scriptRequests.push(r.url());
  });
  const other = await context.newPage(); // a second tab, on a page the edit leaves alone
  // More tabs on the edited page than browsers allow HTTP connections per host (six).
  const crowd = [];
  for (let i = 0; i < 7; i++) crowd.push(await context.newPage());
  const pending = new Map();
  for (const tab of [page, other]) {
    tab.on("request", (r) => pending.set(r, Date.now()));
    tab.on("requestfinished", (r) => pending.delete(r));
    tab.on("requestfailed", (r) => pending.delete(r));
  }
  out.pending = () => [...pending.entries()].map(([r, t]) => `${r.url()} (${Date.now() - t} ms)`);
  await page.goto(base + pagePath, { waitUntil: "load" });
  await other.goto(base, { waitUntil: "load" });
  for (const tab of crowd) {
    await tab.goto(base + pagePath, { waitUntil: "load" });
    await tab.waitForFunction(() => window.__waymarkLive === true);
    // On the window: gone if the tab reloads. On the body: gone if the page is replaced.
    await tab.evaluate(() => { window.__marker = 1; document.body.__marker = 1; });
  }
  await page.waitForFunction(() => window.__waymarkLive === true);
  // The tab the author looks at (background tabs draw no frames).
  await page.bringToFront();
  const h1 = () => page.$eval("h1", (e) => e.textContent);
  out.initialTitle = await h1();

  // 1. A title edit shows up without a manual reload, in every open tab,
  // by replacing the page in place.
  await other.evaluate(() => { window.__marker = 1; document.body.__marker = 1; });
  await page.evaluate(() => { window.__marker = 1; });
  const scripts = () => page.evaluate(() => ({
    themeToggles: document.querySelectorAll(".theme-toggle").length,
    searchShown: !document.querySelector("[data-search]").hidden,
    statusGroups: document.querySelectorAll(".status-group").length,
    favicons: document.querySelectorAll('link[rel="icon"]').length,
  }));
  out.scriptsBefore = await scripts();
  // An author saves a while after opening a page: wait a second, as between
  // the edits below, so the first edit is not timed while nine tabs are
  // still settling after their load.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const live = oldTitle + " (edited live)";
  await timed("edit", () => fs.writeFileSync(phase, original.replace(`title: ${oldTitle}`, `title: ${live}`)),
    showsTitle(live));
  out.editedTitle = await h1();
  out.replacedInPlace = await page.evaluate(() => window.__marker === 1);
  // The theme's scripts ran again on the new page, once each.
  await page.waitForFunction(() => document.querySelectorAll(".status-group").length > 0, null, { timeout: 10000 });
  out.scriptsAfter = await scripts();
  // "/" focuses the new page's search box: the old page's listener is gone, the new one works.
  await page.keyboard.press("/");
  out.slashFocusesSearch = await page.evaluate(() => document.activeElement === document.querySelector("[data-search] input"));
  await page.keyboard.press("Escape");
  let replaced = 0;
  for (const tab of crowd) {
    const shown = await tab.waitForFunction((t) => document.querySelector("h1")?.textContent === t, live, { timeout: 10000 })
      .then(() => true, () => false);
    if (shown && await tab.evaluate(() => window.__marker === 1 && document.body.__marker === undefined)) replaced += 1;
  }
  out.crowdReplaced = `${replaced} of ${crowd.length}`;
  // By the time the crowd has its new page, the other tab would have too, had it been told to.
  out.otherTabKept = await other.evaluate(() => window.__marker === 1 && document.body.__marker === 1);

  // More title edits with every tab still open, a second apart, when a
  // benchmark asks for them (LIVE_REPEAT): the first edit after the tabs
  // loaded is a single sample.
  for (let i = 1; i <= Number(process.env.LIVE_REPEAT || 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const title = `${oldTitle} (edit ${i})`;
    await timed(`again-${i}`, () => fs.writeFileSync(phase, original.replace(`title: ${oldTitle}`, `title: ${title}`)),
      showsTitle(title));
  }
  for (const tab of crowd) await tab.close();
  // The same edits with two tabs open, as an author usually has.
  for (let i = 1; i <= Number(process.env.LIVE_REPEAT || 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const title = `${oldTitle} (two tabs ${i})`;
    await timed(`two-tabs-${i}`, () => fs.writeFileSync(phase, original.replace(`title: ${oldTitle}`, `title: ${title}`)),
      showsTitle(title));
  }

  // 2. Invalid YAML: an overlay names the file and line; the old page stays served.
  const broken = original.replace(`title: ${oldTitle}`, `title: ${live}`) + "\nthis is: [not valid yaml\n";
  await timed("break", () => fs.writeFileSync(phase, broken),
    when(`document.getElementById("waymark-error-overlay") !== null`));
  out.overlayText = await page.$eval("#waymark-error-overlay", (e) => e.innerText);
  out.servedWhileBroken = await page.evaluate(async (url) => (await fetch(url)).text(), base + pagePath);
  out.servedWhileBroken = out.servedWhileBroken.includes(live);

  // 3. Fixing it removes the overlay and updates the page.
  const fixed = oldTitle + " (fixed)";
  const requestedBefore = scriptRequests.length;
  await timed("fix", () => fs.writeFileSync(phase, original.replace(`title: ${oldTitle}`, `title: ${fixed}`)),
    showsTitle(fixed));
  out.fixedTitle = await h1();
  // Replaced again, many edits after the first: still in place, the
  // scripts run once each, from the texts the tab fetched the first time.
  await page.waitForFunction(() => document.querySelectorAll(".status-group").length > 0, null, { timeout: 10000 });
  out.fixReplacedInPlace = await page.evaluate(() => window.__marker === 1);
  out.scriptsAfterFix = await scripts();
  out.scriptsFetchedAgain = scriptRequests.slice(requestedBefore);
  await page.keyboard.press("/");
  out.slashFocusesSearchAfterFix = await page.evaluate(() => document.activeElement === document.querySelector("[data-search] input"));
  await page.keyboard.press("Escape");

  // 4. A CSS-only change restyles the page without reloading it.
  await page.evaluate(() => { window.__notReloaded = true; });
  const css = path.join(site, "static", "style.css");
  await timed("css", () => fs.appendFileSync(css, "\nbody { outline: 3px solid rgb(1, 2, 3); }\n"),
    when(`getComputedStyle(document.body).outlineColor === "rgb(1, 2, 3)"`));
  out.cssWithoutReload = await page.evaluate(() => window.__notReloaded === true);

  // 5. Closing a tab is fine; the remaining one still reloads.
  await other.close();
  await timed("after-close", () => fs.writeFileSync(phase, original), showsTitle(oldTitle));
} catch (e) {
  out.failure = String(e.stack || e);
  out.pendingRequests = out.pending();
} finally {
  delete out.pending;
  fs.writeFileSync(phase, original);
  await browser.close();
}
console.log(JSON.stringify(out));
