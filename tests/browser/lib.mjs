// What the browser checks share: Debian's chromium driven by playwright-core, a context that
// refuses every request off the server under test, and plain assertions.
import { chromium } from "playwright-core";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-quic", "--no-first-run", "--disable-sync"],
  });
}

/** A page whose requests may go to `base` only; any other is recorded and aborted. */
export async function context(browser, base, options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
  const outside = [];
  await ctx.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    outside.push(url);
    return route.abort();
  });
  ctx.outside = outside;
  return ctx;
}

export function watch(page, log) {
  page.on("pageerror", (e) => log.push("pageerror: " + e.message));
  page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("GL Driver") && !m.text().includes("ERR_INTERNET_DISCONNECTED")) log.push("console: " + m.text()); });
}

export function check(cond, what, detail) {
  if (!cond) {
    const e = new Error(`${what}${detail === undefined ? "" : ": " + JSON.stringify(detail)}`);
    e.check = true;
    throw e;
  }
}

/** The checks every page ends with, then what was seen as one JSON line. */
export function finish(ctx, log, seen) {
  check(ctx.outside.length === 0, "no request left the server", ctx.outside);
  check(log.length === 0, "no page errors", log);
  console.log(JSON.stringify(seen));
}

/** What was seen so far, and why it stopped; the process exits non-zero. */
export function failed(e, seen, log) {
  console.log(JSON.stringify(seen));
  console.error(e.check ? `FAILED: ${e.message}` : e.stack, log);
  process.exitCode = 1;
}

/**
 * Opens the dashboard at `base`, signs in as `name` with `password` (the first data request's
 * 401 is what asks for it, and is dropped from `log`), and waits until the page is ready.
 */
export async function signIn(page, base, log, name, password) {
  await page.goto(base + "/");
  await page.waitForSelector("#signin:not([hidden])", { timeout: 20_000 });
  log.splice(0);
  await page.fill("#signin-name", name);
  await page.fill("#signin-password", password);
  await Promise.all([page.waitForNavigation(), page.click("#signin button[type=submit]")]);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
}
