// The field form against a served (not open) server, as a monitor uses it:
//   node field_signin.mjs BASE_URL OUT_DIR NAME PASSWORD OBSERVER
// Signed out, an observation is kept on the device (the server says 401) and the form asks for a
// sign-in; signed in once, the device's key is registered as the monitor's through the API and
// what waits is delivered, signed; taken offline, it keeps saving, and delivers when back.
import { launch, context, watch, check, finish, failed } from "./lib.mjs";

const [base, out, name, password, observer] = process.argv.slice(2);
const seen = {};
const log = [];
const browser = await launch();
try {
  const ctx = await context(browser, base, {
    viewport: { width: 480, height: 1200 },
    geolocation: { longitude: 37.7521, latitude: 48.0874, accuracy: 20 },
    permissions: ["geolocation"],
  });
  const page = await ctx.newPage();
  watch(page, log);
  await page.goto(base + "/field/");
  await page.waitForSelector("body[data-offline-ready=true]", { timeout: 30_000 });
  await page.waitForSelector("#signin:not([hidden])", { timeout: 10_000 });
  await page.waitForFunction(() => document.getElementById("lon").value !== "");
  await page.fill("#observer", observer);
  await page.click("#make-key");
  seen.vkey = (await page.textContent("#vkey", { timeout: 10_000 })).trim();

  const save = async (notes) => {
    await page.selectOption("#kind", "explosion");
    await page.selectOption("#subtype", "impact");
    await page.fill("#bearing", "120");
    await page.fill("#notes", notes);
    await page.click("#save");
    await page.waitForFunction(() => document.getElementById("msg").textContent.length > 0);
  };
  // Signed out: kept, and the form says why it waits.
  await save("before signing in");
  await page.click("#send");
  await page.waitForFunction(() => document.getElementById("who").textContent.length > 0);
  seen.signed_out = await page.textContent("#who");
  check((await page.getAttribute("body", "data-queued")) === "1", "kept on the device while signed out");
  // The refused sends were expected (each logs its 401 when its answer arrives, which may be
  // after the form has said why it waits): once the network is quiet, none from here on.
  await page.waitForLoadState("networkidle");
  log.splice(0);
  await page.screenshot({ path: `${out}/field-signin.png`, fullPage: true });

  await page.fill("#signin-name", name);
  await page.fill("#signin-password", password);
  await page.click("#signin button[type=submit]");
  await page.waitForSelector("body[data-account]:not([data-account=''])", { timeout: 10_000 });
  seen.signed_in = await page.textContent("#who");
  await page.waitForSelector("body[data-queued='0']", { timeout: 30_000 });
  await page.waitForFunction(() => /Registered/.test(document.getElementById("key-state").textContent), null, { timeout: 10_000 });
  seen.key_state = await page.textContent("#key-state");

  // Offline: saved on the device; back online, delivered without signing in again.
  await ctx.setOffline(true);
  await save("while offline");
  await page.click("#send");
  check((await page.getAttribute("body", "data-queued")) === "1", "queued while offline");
  await ctx.setOffline(false);
  await page.click("#send");
  await page.waitForSelector("body[data-queued='0']", { timeout: 30_000 });
  seen.cookie = (await ctx.cookies()).map((c) => ({ httpOnly: c.httpOnly, sameSite: c.sameSite }));
  await page.screenshot({ path: `${out}/field-signed-in.png`, fullPage: true });
  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
