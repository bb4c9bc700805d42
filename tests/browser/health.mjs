// A degraded server says so on the dashboard:
//   node health.mjs BASE_URL OUT_DIR NAME PASSWORD
// The server under test cannot write (its disk is full); signed in, the dashboard shows the
// reason above the map, in words, and the map and list still load (reads go on).
import { launch, context, watch, check, finish, failed } from "./lib.mjs";

const [base, out, name, password] = process.argv.slice(2);
const seen = {};
const log = [];
const browser = await launch();
try {
  const ctx = await context(browser, base);
  const page = await ctx.newPage();
  watch(page, log);
  await page.goto(base + "/");
  await page.waitForSelector("#signin:not([hidden])", { timeout: 20_000 });
  await page.fill("#signin-name", name);
  await page.fill("#signin-password", password);
  await Promise.all([page.waitForNavigation(), page.click("#signin button[type=submit]")]);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  await page.waitForSelector("#health:not([hidden])", { timeout: 20_000 });
  seen.health = (await page.textContent("#health")).trim();
  check(seen.health.includes("the store cannot write"), "the reason is shown", seen.health);
  check(seen.health.includes("degraded"), "in the page's words too", seen.health);
  await page.screenshot({ path: `${out}/degraded.png` });
  // The first data request's 401 (before signing in) and /healthz's 503 are the point here.
  const expected = (l) => /status of (401|503)/.test(l);
  seen.expected_errors = log.filter(expected).length;
  log.splice(0, log.length, ...log.filter((l) => !expected(l)));
  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
