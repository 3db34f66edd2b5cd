// Types queries into the search box of a built site, in a real browser, and
// prints what it finds as JSON: { query: [{title, kind, href}], ... }.
// usage: node search.mjs SITE_DIR QUERY...
import { serve, launch } from "./lib.mjs";

const [dir, ...queries] = process.argv.slice(2);
const server = await serve(dir);
const browser = await launch();
const out = { results: {}, navigated: null, errors: [] };
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => out.errors.push(String(e)));
  await page.goto(server.url + "roadmaps/", { waitUntil: "load" }).catch(() => {});
  await page.goto(server.url, { waitUntil: "load" });
  for (const query of queries) {
    await page.fill("#search-input", "");
    await page.type("#search-input", query);
    await page.waitForSelector(".search-results:not([hidden]) li a", { timeout: 5000 }).catch(() => {});
    out.results[query] = await page.$$eval(".search-results li a", (links) =>
      links.map((a) => ({
        title: a.querySelector(".result-title").textContent,
        kind: a.querySelector(".result-kind").textContent,
        href: a.getAttribute("href"),
      })));
  }
  // Keyboard: the arrow key moves into the results and Enter opens one.
  await page.fill("#search-input", "");
  await page.type("#search-input", queries[0]);
  await page.waitForSelector(".search-results li a", { timeout: 5000 });
  await page.keyboard.press("ArrowDown");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  out.navigated = new URL(page.url()).pathname;
  out.title = await page.title();
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(out));
