// Signing in to the dashboard of a served (not open) server:
//   node signin.mjs BASE_URL OUT_DIR NAME PASSWORD
// Without a session the dashboard asks to sign in; a wrong password is refused and said so; the
// right one opens a session in a cookie the page's scripts cannot read (HttpOnly, SameSite
// Strict), and the dashboard then loads its data.
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
  await page.screenshot({ path: `${out}/signin.png` });
  await page.fill("#signin-name", name);
  await page.fill("#signin-password", password + "-wrong");
  await page.click("#signin button[type=submit]");
  await page.waitForFunction(() => document.getElementById("signin-error").textContent !== "");
  seen.refused = await page.textContent("#signin-error");
  check((await ctx.cookies()).length === 0, "no session after a wrong password", await ctx.cookies());
  // Until now the 401s were expected (the first data request, the wrong password); from here
  // on the page must load without one.
  seen.before_signin = log.splice(0).length;
  await page.fill("#signin-password", password);
  await Promise.all([page.waitForNavigation(), page.click("#signin button[type=submit]")]);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  const cookies = await ctx.cookies();
  seen.cookie = cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
  check(cookies.length === 1 && cookies[0].httpOnly && cookies[0].sameSite === "Strict", "an HttpOnly, SameSite=Strict session", seen.cookie);
  check(await page.evaluate(() => document.cookie === ""), "the page's scripts cannot read it");
  check(await page.isHidden("#signin"), "the form is gone once signed in");
  seen.summary = await page.evaluate(async () => (await fetch("/api/v1/summary")).status);
  check(seen.summary === 200, "the session reads what its role may", seen.summary);
  await page.screenshot({ path: `${out}/signed-in.png` });
  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
