// Walks the submission service as an organisation would, in headless Chromium (Debian's,
// driven by playwright-core): sign in with a token, upload a return with an error, read the
// issue and what to change, upload the corrected file, read the receipt and the preview.
// Prints one JSON object: what each step showed, console and page errors, scripts on each
// page, and requests to anything but the service.
//
//   node ci/service-check.js BASE_URL TOKEN BAD_FILE GOOD_FILE SCREENSHOT_DIR
// Needs NODE_PATH to hold playwright-core and BASELINE_CHROMIUM to name the browser.
const { withBrowser } = require("./chromium");
const fs = require("fs");
const path = require("path");

(async () => {
  const [base, token, bad, good, shots] = process.argv.slice(2);
  fs.mkdirSync(shots, { recursive: true });
  const result = { console_errors: [], page_errors: [], requests: [], scripts: [], steps: {} };
  await withBrowser(async (context) => {
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") result.console_errors.push(m.text()); });
    page.on("pageerror", (e) => result.page_errors.push(String(e)));
    page.on("request", (r) => { if (!r.url().startsWith(base)) result.requests.push(r.url()); });
    const note = async (step) => {
      result.scripts.push(await page.$$eval("script", (s) => s.length));
      await page.screenshot({ path: path.join(shots, "service-" + step + ".png"), fullPage: true });
    };

    await page.goto(base + "/", { waitUntil: "load" });
    result.steps.start = page.url();
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForLoadState("load");
    result.steps.signed_in = page.url();
    await note("period");

    await page.getByLabel("Return or device inventory").setInputFiles(bad);
    await page.getByRole("button", { name: "Upload and check" }).click();
    await page.waitForLoadState("load");
    result.steps.refused = {
      summary: await page.locator(".error-summary").innerText(),
      fix: await page.locator("tbody tr", { has: page.locator(".tag.error") }).first().locator("td").last().innerText(),
      focusable_summary: await page.locator(".error-summary").getAttribute("tabindex"),
    };
    await note("refused");

    await page.goto(result.steps.signed_in, { waitUntil: "load" });
    await page.getByLabel("Return or device inventory").setInputFiles(good);
    await page.getByRole("button", { name: "Upload and check" }).click();
    await page.waitForLoadState("load");
    result.steps.accepted = {
      heading: await page.locator(".confirmation h1").innerText(),
      receipt: await page.locator("dl.receipt").innerText(),
    };
    await note("receipt");
    await page.emulateMedia({ media: "print" });
    await page.pdf({ path: path.join(shots, "service-receipt.pdf"), format: "A4" });
    await page.emulateMedia({ media: "screen" });

    await page.getByRole("link", { name: /See what counts/ }).click();
    await page.waitForLoadState("load");
    result.steps.preview = {
      status: await page.locator("#status + p .tag").innerText(),
      files: await page.locator("table").first().innerText(),
      standards: await page.locator("table").nth(1).locator("tbody tr").count(),
    };
    await note("preview");
  });
  console.log(JSON.stringify(result));
})().catch((e) => { console.error(e); process.exit(1); });
