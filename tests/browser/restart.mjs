// Opens a page of `waymark serve`, says "ready", then waits until the page
// reloads by itself (after the test restarts the server). Prints JSON.
// usage: node restart.mjs PAGE_URL
import { launch } from "./lib.mjs";

const [url] = process.argv.slice(2);
const browser = await launch();
const out = {};
try {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => !!window.__waymarkLive);
  await page.evaluate(() => { window.__beforeRestart = true; });
  console.log("ready");
  const started = Date.now();
  await page.waitForFunction(() => window.__beforeRestart === undefined && !!document.querySelector("h1"), null, { timeout: 60000 });
  out.reconnected = true;
  out.ms = Date.now() - started;
  out.title = await page.$eval("h1", (e) => e.textContent);
} catch (e) {
  out.failure = String(e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
