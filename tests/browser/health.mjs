// What the server says of its health is on the dashboard:
//   node health.mjs BASE_URL OUT_DIR NAME PASSWORD SHOT [EXPECTED...]
// Signed in, the dashboard shows above the map, in the reader's words and the server's, why
// what it shows may not be current: a server that cannot write (its disk is full), or field
// offices behind. Each EXPECTED text must be in the banner; the screenshot is OUT_DIR/SHOT.png.
import { launch, context, watch, check, finish, failed, signIn } from "./lib.mjs";

const [base, out, name, password, shot, ...expected] = process.argv.slice(2);
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
  for (const text of expected) check(seen.health.includes(text), `"${text}" is shown`, seen.health);
  await page.screenshot({ path: `${out}/${shot}.png` });
  // A degraded server's /healthz answers 503: that is the point there.
  const expected503 = (l) => /status of 503/.test(l);
  seen.expected_errors = log.filter(expected503).length;
  log.splice(0, log.length, ...log.filter((l) => !expected503(l)));
  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
