// A party's liaison on the dashboard of a served server:
//   node liaison.mjs BASE_URL OUT_DIR NAME PASSWORD
// Signs in, waits for the map and list, opens incidents' panels (their evidence checked in the
// browser), and prints the whole DOM's text and attributes, which the test searches for every
// observer id and position.
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
  const ids = await page.$$eval("#incident-list button[data-id]", (bs) => bs.map((b) => b.dataset.id));
  seen.listed = ids.length;
  check(ids.length > 0, "the liaison's incidents are listed");
  check(ids.every((id) => id.startsWith("pi-")), "by their shown ids", ids.slice(0, 5));
  const panels = [];
  const verified = [];
  const disclosed = [];
  for (const id of ids.slice(0, 5)) {
    await page.click(`#incident-list button[data-id="${id}"]`);
    await page.waitForSelector("#panel:not([hidden])");
    await page.waitForFunction(() => !/Loading/.test(document.getElementById("panel-body").textContent));
    // The evidence is checked in the browser: a liaison's badge verifies too.
    await page.waitForSelector("#proof-badge[data-verified]", { timeout: 20_000 });
    verified.push(await page.getAttribute("#proof-badge", "data-verified"));
    disclosed.push(await page.$$eval("#disclosed li", (ls) => ls.length));
    panels.push(await page.textContent("#panel-body"));
    await page.click("#panel-close");
  }
  seen.panel = panels[0];
  seen.verified = verified;
  seen.disclosed = disclosed;
  check(verified.length > 0 && verified.every((v) => v === "true"), "the evidence of every incident opened verifies", panels[0]);
  check(disclosed.some((n) => n > 0), "the evidence discloses what was observed");
  seen.report_link = await page.getAttribute("#report-link", "href").catch(() => null);
  await page.screenshot({ path: `${out}/liaison.png` });
  // Everything the page holds: text, and every attribute of every element.
  seen.dom = await page.evaluate(() => {
    const parts = [document.documentElement.outerHTML];
    return parts.join("\n");
  });
  seen.panels = panels.join("\n");
  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
