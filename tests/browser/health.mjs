// A degraded server says so on the dashboard:
//   node health.mjs BASE_URL OUT_DIR NAME PASSWORD
// The server under test cannot write (its disk is full); signed in, the dashboard shows the
// reason above the map, in words, and the map and list still load (reads go on).
import { launch, context, watch, check, finish, failed, signIn } from "./lib.mjs";

const [base, out, name, password] = process.argv.slice(2);
const seen = {};
const log = [];
const browser = await launch();
try {
  const ctx = await context(browser, base);
  const page = await ctx.newPage();
  watch(page, log);
  await signIn(page, base, log, name, password);
  await page.waitForSelector("#health:not([hidden])", { timeout: 20_000 });
  seen.health = (await page.textContent("#health")).trim();
  check(seen.health.includes("the store cannot write"), "the reason is shown", seen.health);
  check(seen.health.includes("degraded"), "in the page's words too", seen.health);
  await page.screenshot({ path: `${out}/degraded.png` });
  // /healthz's 503 is the point here.
  const expected = (l) => /status of 503/.test(l);
  seen.expected_errors = log.filter(expected).length;
  log.splice(0, log.length, ...log.filter((l) => !expected(l)));
  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
