// The field form in a real browser, against a running server:
//   node field_form.mjs BASE_URL OUT_DIR DATA_DIR
// The form installs its service worker; the device makes a signing key (registered through the
// API, so that it lands in DATA_DIR's key registry); taken offline, the form reloads from its cache and
// queues three observations, which the server does not see; back online they are delivered, each
// exactly once, signed; a re-send of a delivered one (an acknowledgement lost) changes nothing.
import { existsSync } from "node:fs";
import { launch, context, watch, check, finish, failed } from "./lib.mjs";

const [base, out, data] = process.argv.slice(2);
const observer = "fieldtest-" + Date.now().toString(36);
const seen = { observer };
const log = [];
const stored = async () => {
  const r = await (await fetch(`${base}/api/v1/observations?observer=${observer}&limit=100`)).json();
  return r.observations || r.items || [];
};
const browser = await launch();
try {
  const ctx = await context(browser, base, {
    viewport: { width: 480, height: 1100 },
    geolocation: { longitude: 37.7521, latitude: 48.0874, accuracy: 20 },
    permissions: ["geolocation"],
  });
  const page = await ctx.newPage();
  watch(page, log);
  await page.goto(base + "/field/");
  await page.waitForSelector("body[data-offline-ready=true]", { timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById("lon").value !== "");
  seen.position = [await page.inputValue("#lon"), await page.inputValue("#lat")];
  check(Math.abs(Number(seen.position[0]) - 37.7521) < 1e-4, "position from the device", seen.position);

  // A signing key made on the device; its verifier key registered with the mission.
  await page.fill("#observer", observer);
  await page.click("#make-key");
  const vkey = (await page.textContent("#vkey", { timeout: 10_000 })).trim();
  seen.vkey = vkey;
  // The form registers it through the API itself (the demo's open access lets it); writing the
  // file as `truceline keys add` would raced that registration.
  await page.waitForFunction(() => /Registered/.test(document.getElementById("key-state").textContent), null, { timeout: 10_000 });
  check(existsSync(`${data}/keys/${vkey.split("+")[0]}.pub`), "the key is in the data directory's registry");

  // Offline: the page still opens, from the service worker's cache.
  await ctx.setOffline(true);
  await page.reload();
  await page.waitForSelector("#obs");
  // (Chromium's offline emulation does not reach navigator.onLine of a reloaded page; the form
  // learns it from its failed sends, which is what a real device with a dead link does too.)
  check((await page.inputValue("#observer")) === observer, "the observer id is remembered");
  seen.offline_banner = await page.textContent("#conn");

  const entries = [
    { kind: "explosion", subtype: "impact", bearing: "120", min: "2000", max: "4000", notes: "crater seen at first light" },
    { kind: "burst", bearing: "95.5", notes: "heavy machine gun, two bursts", count: "2" },
    { kind: "shot", notes: "single shot, small arms" },
  ];
  for (const e of entries) {
    await page.selectOption("#kind", e.kind);
    if (e.subtype) await page.selectOption("#subtype", e.subtype);
    await page.fill("#count", e.count || "1");
    await page.fill("#bearing", e.bearing || "");
    await page.fill("#dist-min", e.min || "");
    await page.fill("#dist-max", e.max || "");
    await page.fill("#notes", e.notes);
    await page.click("#save");
    await page.waitForFunction(() => document.getElementById("msg").textContent.length > 0);
  }
  await page.waitForSelector("body[data-queued='3']", { timeout: 10_000 });
  seen.queued_offline = 3;
  // A bad entry is refused on the device, naming its field, and nothing is queued.
  await page.fill("#bearing", "400");
  await page.click("#save");
  seen.bad_entry = await page.textContent("#msg");
  check(/Bearing/.test(seen.bad_entry) && (await page.getAttribute("body", "data-queued")) === "3", "a bad bearing is refused", seen.bad_entry);
  await page.fill("#bearing", "");
  await page.screenshot({ path: `${out}/field-offline.png`, fullPage: true });
  check((await stored()).length === 0, "nothing reached the server while offline");

  // Back online: delivered, each exactly once.
  await ctx.setOffline(false);
  await page.waitForSelector("body[data-queued='0']", { timeout: 30_000 });
  const got = await stored();
  seen.delivered = got.length;
  check(got.length === 3, "three observations stored", got.map((o) => o.observation && o.observation.id));
  const ids = got.map((o) => o.observation.id);
  check(new Set(ids).size === 3, "three distinct ids", ids);
  check(got.every((o) => o.signed && o.observation.key_id === vkey.split("+")[0]), "each signed with the device key", got.map((o) => o.signed));
  check(got.some((o) => o.observation.kind === "explosion" && o.observation.subtype === "impact" && o.observation.distance_m.max === 4000), "fields as entered");
  await page.screenshot({ path: `${out}/field-delivered.png`, fullPage: true });

  // An acknowledgement lost: the device still holds one it sent, and sends it again.
  const again = got[0].observation;
  seen.resend = await page.evaluate(async (obs) => {
    const r = await fetch("/api/v1/observations", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(obs) });
    return { status: r.status, body: await r.json() };
  }, again);
  check(seen.resend.status === 200 && seen.resend.body.duplicates === 1, "a re-send is a no-op", seen.resend);
  check((await stored()).length === 3, "still three after a re-send");

  // The mission's other records from the same form: a restriction and a casualty, offline
  // first, delivered once back online, signed like observations.
  await ctx.setOffline(true);
  await page.selectOption("#what", "restriction");
  check(await page.isHidden("#bearing") && await page.isVisible("#r-kind"), "the form shows a restriction's fields");
  await page.selectOption("#r-kind", "denial");
  await page.fill("#r-duration", "45");
  await page.fill("#notes", "turned back at the checkpoint");
  await page.click("#save");
  await page.selectOption("#what", "casualty");
  await page.fill("#r-killed", "0");
  await page.fill("#r-injured", "0");
  await page.click("#save");
  seen.no_people = await page.textContent("#msg");
  check(/Killed|person/.test(seen.no_people), "a casualty of nobody is refused on the device", seen.no_people);
  await page.fill("#r-injured", "2");
  await page.selectOption("#r-cause", "shelling");
  await page.selectOption("#r-status", "reported");
  await page.click("#save");
  await page.waitForSelector("body[data-queued='2']", { timeout: 10_000 });
  await ctx.setOffline(false);
  await page.waitForSelector("body[data-queued='0']", { timeout: 30_000 });
  const recs = (await (await fetch(`${base}/api/v1/records?limit=1000`)).json()).records
    .filter((r) => r.record.observer === observer);
  seen.records = recs.map((r) => r.record.type);
  check(recs.length === 2, "two records stored", seen.records);
  const fom = recs.find((r) => r.record.type === "restriction");
  check(fom && fom.record.kind === "denial" && fom.record.duration_min === 45 && fom.record.patrol === observer, "the restriction as entered", fom);
  check(recs.every((r) => r.record.key_id === vkey.split("+")[0] && r.record.signature), "each record signed with the device key");
  const cas = recs.find((r) => r.record.type === "casualty");
  check(cas && cas.record.injured === 2 && cas.link && cas.link.basis, "the casualty, with its link stated", cas);
  await page.selectOption("#what", "observation");

  // The small map: drawn offline from what the device kept, redrawn as a bearing is typed; a
  // place tapped on it is where a directly seen event was.
  await ctx.setOffline(true);
  const drawnAt = async () => Number(await page.getAttribute("body", "data-map-drawn"));
  const before = await drawnAt();
  check(before > 0, "the map is drawn");
  await page.fill("#bearing", "45");
  await page.waitForFunction((b) => Number(document.body.dataset.mapDrawn) > b, before);
  // Ink along the ray: the canvas's pixels north-east of the centre are orange.
  seen.ray = await page.evaluate(() => {
    const cv = document.getElementById("fmap"), g = cv.getContext("2d");
    const [x, y] = [cv.width / 2 + 40, cv.height / 2 - 40];
    const d = g.getImageData(x - 2, y - 2, 5, 5).data;
    let orange = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] < 140 && d[i + 2] < 80) orange++;
    return orange;
  });
  check(seen.ray > 0, "the bearing's ray drawn", seen.ray);
  await page.click("#compass");
  await page.waitForFunction(() => /compass/.test(document.getElementById("msg").textContent), null, { timeout: 5_000 }).catch(() => {});
  seen.compass = await page.textContent("#msg");
  check(/compass/.test(seen.compass), "without a compass the form says so", seen.compass);
  await page.fill("#bearing", "");
  await page.selectOption("#kind", "weapon");
  await page.check("#pick");
  const box = await page.$eval("#fmap", (c) => { const r = c.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; });
  await page.mouse.click(box.x + box.w / 2 + box.w / 6, box.y + box.h / 2);
  seen.picked = await page.textContent("#picked");
  check(/37\.8/.test(seen.picked), "a place picked east of the position", seen.picked);
  await page.fill("#notes", "two tanks seen from the post");
  await page.click("#save");
  await page.waitForSelector("body[data-queued='1']", { timeout: 10_000 });
  await page.screenshot({ path: `${out}/field-map.png`, fullPage: true });
  await ctx.setOffline(false);
  await page.waitForSelector("body[data-queued='0']", { timeout: 30_000 });
  const tank = (await stored()).find((o) => o.observation.kind === "weapon");
  check(tank && tank.observation.location && tank.observation.location.lon > 37.76, "the weapon stored where it was picked", tank && tank.observation);
  await page.uncheck("#pick");

  // Ukrainian and Russian labels.
  await page.selectOption("#lang", "uk");
  seen.uk = await page.textContent("label[for=bearing]");
  await page.selectOption("#lang", "ru");
  seen.ru = await page.textContent("label[for=bearing]");
  check(seen.uk.startsWith("Азимут") && seen.ru.startsWith("Азимут") && seen.uk !== seen.ru, "translated labels", [seen.uk, seen.ru]);
  await page.screenshot({ path: `${out}/field-ru.png`, fullPage: true });

  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
