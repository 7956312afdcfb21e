// Debian's Chromium for the browser checks, driven by playwright-core (which never downloads a
// browser of its own), with a fresh profile and nothing sent off the machine. Used by
// browser-check.js and service-check.js.
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

// Runs `work(context)` in a new headless browser, then closes it and removes its profile.
async function withBrowser(work) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "baseline-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.BASELINE_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
  try {
    return await work(context);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

module.exports = { withBrowser };
