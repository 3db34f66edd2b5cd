// Screenshots of a built site for the README (scripts/screenshots): the home
// page, an overview and a phase page at 1280 and 390 px, light and dark,
// with a little progress saved so the picture shows what a learner sees.
// Usage: node screenshots.mjs SITE_DIR OUT_DIR
import { serve, launch } from "./lib.mjs";
import path from "node:path";

const [siteDir, outDir] = process.argv.slice(2);
const server = await serve(path.resolve(siteDir));
const browser = await launch();
const pages = [
  ["home", ""],
  ["overview", "roadmaps/machine-learning/"],
  ["phase", "roadmaps/machine-learning/mathematics/"],
];
const progress = {
  format: "waymark-progress", version: 1,
  topics: {
    "machine-learning/python-fundamentals": "done",
    "machine-learning/math-check": "done",
    "machine-learning/statistical-thinking": "done",
    "machine-learning/linear-algebra": "done",
    "machine-learning/multivariable-calculus": "doing",
  },
  items: { "machine-learning/linear-algebra/0": true, "machine-learning/linear-algebra/1": true },
};
for (const scheme of ["light", "dark"]) {
  for (const [width, height, mobile] of [[1280, 900, false], [390, 844, true]]) {
    const context = await browser.newContext({
      viewport: { width, height }, isMobile: mobile, hasTouch: mobile, colorScheme: scheme, deviceScaleFactor: 1,
    });
    await context.addInitScript((p) => {
      if (!localStorage.getItem("waymark:progress")) localStorage.setItem("waymark:progress", JSON.stringify(p));
    }, progress);
    const page = await context.newPage();
    for (const [name, url] of pages) {
      await page.goto(server.url + url, { waitUntil: "load" });
      await page.waitForTimeout(200);
      // The overview's picture (diagram, timeline) is what matters there.
      if (name === "overview") {
        await page.evaluate(() => {
          const figure = document.querySelector("svg a[data-topic]")?.closest("section, figure");
          if (figure) window.scrollTo(0, figure.getBoundingClientRect().top + window.scrollY - 16);
        });
        await page.waitForTimeout(100);
      }
      const file = path.join(outDir, `${name}-${width}-${scheme}.png`);
      await page.screenshot({ path: file });
      console.log(file);
    }
    await context.close();
  }
}
await browser.close();
server.close();
