// Drives `waymark serve` in a real browser: edits a topic title, breaks and
// fixes the YAML, edits CSS, compares updated pages with fresh loads of
// them, and checks that a hidden tab waits to be shown; prints what the
// pages did as JSON.
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

// Brings random trees up to other random trees, most of them edits of the
// first, with live.js's `update`; returns the pairs where the result is not
// the second tree.
function checkUpdate() {
  let seed = 7; // mulberry32
  const random = (n) => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const TAGS = ["div", "p", "span", "ul", "li", "template", "input"];
  const ATTRIBUTES = ["class", "title", "hidden", "data-x"];
  const tree = (depth) => {
    const node = document.createElement(TAGS[random(TAGS.length)]);
    if (random(3) === 0) node.id = "i" + random(3);
    for (const name of ATTRIBUTES) if (random(3) === 0) node.setAttribute(name, "v" + random(3));
    const children = depth > 0 && node.nodeName !== "INPUT" ? random(5) : 0;
    for (let i = 0; i < children; i++) {
      node.appendChild(random(3) === 0 ? document.createTextNode("t" + random(3)) : tree(depth - 1));
    }
    return node;
  };
  // A few random changes: text, attributes, nodes added, removed or replaced.
  const edit = (root) => {
    const copy = root.cloneNode(true);
    const all = [copy, ...copy.querySelectorAll("*")];
    for (let n = 1 + random(3); n > 0; n--) {
      const at = all[random(all.length)];
      const change = random(5);
      if (change === 0 && at.firstChild && at.firstChild.nodeType === 3) at.firstChild.nodeValue += "!";
      else if (change === 1) at.setAttribute(ATTRIBUTES[random(4)], "w" + random(3));
      else if (change === 2) at.removeAttribute(ATTRIBUTES[random(4)]);
      else if (change === 3 && at !== copy) at.remove();
      else if (at.nodeName !== "INPUT") at.insertBefore(tree(1), at.childNodes[random(at.childNodes.length + 1)] || null);
    }
    return copy;
  };
  const mismatches = [];
  for (let i = 0; i < 400; i++) {
    const body = document.createElement("div");
    body.appendChild(tree(3));
    const old = body.cloneNode(true);
    const next = random(4) === 0 ? (() => { const b = document.createElement("div"); b.appendChild(tree(3)); return b; })() : edit(body);
    const want = next.cloneNode(true);
    // Some elements hold a listener no swap removes: they must be made anew.
    const fresh = new Set([...old.querySelectorAll("*")].filter(() => random(6) === 0));
    const holding = new Set();
    fresh.forEach((el) => { for (let at = el; at && at !== old; at = at.parentNode) holding.add(at); });
    window.__waymarkLive.update(old, next, fresh, holding);
    const kept = [...fresh].filter((el) => old.contains(el));
    if (!old.isEqualNode(want) || kept.length) {
      mismatches.push({ from: body.innerHTML, to: want.innerHTML, got: old.innerHTML, keptFresh: kept.length });
      if (mismatches.length === 3) break;
    }
  }
  return mismatches;
}

let page;
try {
  const context = await browser.newContext();
  page = await context.newPage();
  page.on("pageerror", (e) => out.errors.push(String(e)));
  // The page's own scripts (not the live-reload one), and the page itself,
  // as the front tab requests them.
  const scriptRequests = [];
  const pageRequests = [];
  page.on("request", (r) => {
    if (/\.js(\?|$)/.test(r.url()) && !r.url().includes("/__waymark/")) scriptRequests.push(r.url());
    if (r.url() === base + pagePath) pageRequests.push(r.url());
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
    await tab.waitForFunction(() => !!window.__waymarkLive);
    // On the window: gone if the tab reloads. On the header: gone if the
    // page is replaced rather than updated (the edit does not change it).
    await tab.evaluate(() => { window.__marker = 1; document.querySelector(".site-header").__marker = 1; });
  }
  await page.waitForFunction(() => !!window.__waymarkLive);
  out.morphMismatches = await page.evaluate(checkUpdate);
  // The tab the author looks at (background tabs draw no frames).
  await page.bringToFront();
  const h1 = () => page.$eval("h1", (e) => e.textContent);
  out.initialTitle = await h1();

  // 1. A title edit shows up without a manual reload, in every open tab,
  // by replacing the page in place.
  await other.evaluate(() => { window.__marker = 1; document.body.__marker = 1; });
  await page.evaluate(() => {
    window.__marker = 1;
    document.querySelector(".site-header").__marker = 1;
    // Typed, not saved: an update keeps it.
    document.querySelector("[data-search] input").value = "typed";
    // A listener no swap removes: the footer must be made anew, or a
    // script run again would add its listener twice.
    const footer = document.querySelector(".site-footer");
    footer.__marker = 1;
    footer.addEventListener("click", () => {});
  });
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
  out.updatedInPlace = await page.evaluate(() => ({
    headerKept: document.querySelector(".site-header").__marker === 1,
    typedKept: document.querySelector("[data-search] input").value,
    listenedFooterMadeAnew: document.querySelector(".site-footer").__marker === undefined,
  }));
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
    if (shown && await tab.evaluate(() => window.__marker === 1 && document.querySelector(".site-header").__marker === 1)) replaced += 1;
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
  const pageRequestedBefore = pageRequests.length;
  await timed("fix", () => fs.writeFileSync(phase, original.replace(`title: ${oldTitle}`, `title: ${fixed}`)),
    showsTitle(fixed));
  out.fixedTitle = await h1();
  // Replaced again, many edits after the first: still in place, the
  // scripts run once each, from the texts the tab fetched the first time.
  await page.waitForFunction(() => document.querySelectorAll(".status-group").length > 0, null, { timeout: 10000 });
  out.fixReplacedInPlace = await page.evaluate(() => window.__marker === 1);
  out.scriptsAfterFix = await scripts();
  out.scriptsFetchedAgain = scriptRequests.slice(requestedBefore);
  out.pageFetchedAgain = pageRequests.slice(pageRequestedBefore);
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

  // 6. An updated page, its scripts run again, is what a fresh load of it
  // shows: the topic's page, and its roadmap's overview (diagram, pace
  // planner, progress).
  const overviewPath = pagePath.split("/").slice(0, 2).join("/") + "/";
  const overview = await context.newPage();
  await overview.goto(base + overviewPath, { waitUntil: "load" });
  await overview.evaluate(() => { window.__marker = 1; });
  const compared = `${oldTitle} (compared)`;
  fs.writeFileSync(phase, original.replace(`title: ${oldTitle}`, `title: ${compared}`));
  await showsTitle(compared)(20000);
  await overview.waitForFunction((t) => document.body.textContent.includes(t), compared, { timeout: 20000 });
  out.overviewUpdatedInPlace = await overview.evaluate(() => window.__marker === 1);
  // The body as markup, attributes sorted, scripts left out (a script run
  // again is an inline copy of the file's text).
  const bodyOf = (tab) => tab.evaluate(() => {
    const walk = (node) => {
      if (node.nodeType === 3) return node.nodeValue;
      if (node.nodeType !== 1 || node.nodeName === "SCRIPT") return "";
      const attributes = [...node.attributes].map((a) => `${a.name}="${a.value}"`).sort().join(" ");
      return `<${node.nodeName} ${attributes}>${[...node.childNodes].map(walk).join("")}</${node.nodeName}>`;
    };
    return walk(document.body);
  });
  out.updatedLikeFresh = {};
  for (const [name, tab, at] of [["topic", page, pagePath], ["overview", overview, overviewPath]]) {
    const fresh = await context.newPage();
    await fresh.goto(base + at, { waitUntil: "load" });
    const [updated, loaded] = [await bodyOf(tab), await bodyOf(fresh)];
    let from = 0;
    while (from < updated.length && updated[from] === loaded[from]) from++;
    out.updatedLikeFresh[name] = updated === loaded ? true
      : `differs at ${from}: updated …${updated.slice(from - 80, from + 120)}… fresh …${loaded.slice(from - 80, from + 120)}…`;
    await fresh.close();
  }

  // 7. A tab in the background waits until it is shown, then updates in
  // place from the page the server sent meanwhile.
  const background = await context.newPage();
  await background.goto(base + pagePath, { waitUntil: "load" });
  await background.waitForFunction(() => !!window.__waymarkLive);
  await background.evaluate(() => {
    let hidden = true;
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    window.__show = () => { hidden = false; document.dispatchEvent(new Event("visibilitychange")); };
    window.__marker = 1;
  });
  const backgroundPageRequests = [];
  background.on("request", (r) => { if (r.url() === base + pagePath) backgroundPageRequests.push(r.url()); });
  const unseen = `${oldTitle} (unseen)`;
  fs.writeFileSync(phase, original.replace(`title: ${oldTitle}`, `title: ${unseen}`));
  await showsTitle(unseen)(20000);
  // Both tabs heard of the rebuild at once: a tab that did not wait would
  // have its new page long before this.
  await new Promise((resolve) => setTimeout(resolve, 500));
  out.backgroundWaited = await background.evaluate((t) => document.querySelector("h1").textContent !== t, unseen);
  await background.evaluate(() => window.__show());
  await background.waitForFunction((t) => document.querySelector("h1")?.textContent === t, unseen, { timeout: 10000 });
  out.backgroundUpdatedInPlace = await background.evaluate(() => window.__marker === 1);
  out.backgroundPageRequests = backgroundPageRequests;
} catch (e) {
  out.failure = String(e.stack || e);
  out.pendingRequests = out.pending();
} finally {
  delete out.pending;
  // Chromium first: the server's rebuild for this save is then not timed
  // while the browser shuts down.
  await browser.close();
  fs.writeFileSync(phase, original);
}
console.log(JSON.stringify(out));
