// Opens each report given on the command line in headless Chromium (Debian's, driven by
// playwright-core) from file://, and prints one JSON line per report: console errors, page
// errors, dialogs opened (a script that ran), requests to anything but file: and data:, the
// size of every chart, the smallest chart text and the tables that scroll on a phone, the
// tables wider than the page on a laptop, and where its full-page screenshot and its print to
// PDF were saved.
//
//   node ci/browser-check.js SCREENSHOT_DIR FILE...
// Needs NODE_PATH to hold playwright-core and BASELINE_CHROMIUM to name the browser.
const { withBrowser } = require("./chromium");
const fs = require("fs");
const path = require("path");

async function check(file, shots) {
  return withBrowser(async (context) => {
    const result = { file, console_errors: [], page_errors: [], dialogs: [], requests: [], charts: [] };
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") result.console_errors.push(m.text()); });
    page.on("pageerror", (e) => result.page_errors.push(String(e)));
    page.on("dialog", async (d) => { result.dialogs.push(d.message()); await d.dismiss(); });
    page.on("request", (r) => {
      const url = r.url();
      if (!url.startsWith("file:") && !url.startsWith("data:")) result.requests.push(url);
    });
    await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
    result.title = await page.title();
    result.charts = await page.$$eval("svg.chart", (svgs) =>
      svgs.map((s) => { const r = s.getBoundingClientRect(); return { id: s.id || s.getAttribute("aria-labelledby"), width: r.width, height: r.height }; }));
    result.scripts = await page.$$eval("script", (s) => s.length);
    // The smallest chart text as drawn on a phone (390 px wide), in CSS pixels.
    await page.setViewportSize({ width: 390, height: 844 });
    result.min_chart_text_px_390 = await page.$$eval("svg.chart text", (texts) =>
      texts.reduce((min, t) => {
        const svg = t.ownerSVGElement;
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return Math.min(min, parseFloat(getComputedStyle(t).fontSize) * scale);
      }, Infinity));
    // Tables that must scroll on a phone keep their first column in view: scrolled to the
    // far right, each row's first cell still starts at the table's left edge.
    result.scrolled_tables_390 = await page.$$eval(".table-wrap", (wraps) =>
      wraps.filter((w) => w.scrollWidth > w.clientWidth).map((w) => {
        w.scrollLeft = w.scrollWidth;
        const first = w.querySelector("tbody tr > :first-child").getBoundingClientRect();
        const edge = w.getBoundingClientRect().left;
        return { id: w.querySelector("table").id, first_column_shift_px: Math.abs(first.left - edge) };
      }));
    // Tables wider than the page column on a laptop (1280 px), by id.
    await page.setViewportSize({ width: 1280, height: 800 });
    result.wide_tables_1280 = await page.$$eval(".table-wrap", (wraps) =>
      wraps.filter((w) => w.querySelector("table").scrollWidth > w.clientWidth)
        .map((w) => w.querySelector("table").id));
    const shot = path.join(shots, path.basename(path.dirname(file)) + "-" + path.basename(file, ".html") + ".png");
    await page.screenshot({ path: shot, fullPage: true });
    result.screenshot = shot;
    // Print to PDF as a reader would, with the print stylesheet.
    await page.emulateMedia({ media: "print" });
    result.pdf = shot.replace(/\.png$/, ".pdf");
    await page.pdf({ path: result.pdf, format: "A4", printBackground: true });
    return result;
  });
}

(async () => {
  const [shots, ...files] = process.argv.slice(2);
  fs.mkdirSync(shots, { recursive: true });
  for (const file of files) {
    console.log(JSON.stringify(await check(file, shots)));
  }
})().catch((e) => { console.error(e); process.exit(1); });
