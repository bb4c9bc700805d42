// The dashboard in a real browser, against a running `truceline demo`:
//   node dashboard.mjs BASE_URL OUT_DIR
// loads with the demo's incidents drawn; a filter changes what is shown; an incident opens from
// the keyboard with a verified proof badge, and a tampered proof is refused; ellipses appear when
// zoomed in; the interface speaks Ukrainian and Russian; live updates arrive. Screenshots go to
// OUT_DIR. Prints one JSON line of what it saw; exits non-zero on the first failed check.
import { launch, context, watch, check, finish, failed } from "./lib.mjs";

const [base, out] = process.argv.slice(2);
const seen = {};
const log = [];
const browser = await launch();
try {
  const ctx = await context(browser, base);
  const page = await ctx.newPage();
  watch(page, log);
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready=true]", { timeout: 90_000 });
  seen.perf = await page.evaluate(() => window.trucelinePerf);

  // 1. Loaded with the demo's incidents, drawn on the map.
  const api = await (await fetch(base + "/api/v1/map/incidents")).json();
  seen.api_incidents = api.count;
  seen.shown = Number(await page.getAttribute("body", "data-shown"));
  check(seen.shown > 0, "incidents shown", seen);
  check(seen.shown <= api.count + 50 && seen.shown >= Math.min(api.count, seen.perf.incidents) - 50, "shown matches the API", seen);
  // Incidents are drawn over the map (overlay.js): what its last frame put in view.
  const drawn = await page.evaluate(() => window.trucelineOverlay.rendered().filter((h) => h.layer === "clusters" || h.layer === "points").length);
  seen.drawn_features = drawn;
  check(drawn > 0, "incidents drawn on the map", seen);
  const layers = await page.evaluate(() => ["party-areas", "line-of-contact", "buffer", "disengagement", "borders", "oblasts", "withdrawal"]
    .filter((l) => window.trucelineMap.queryRenderedFeatures({ layers: [l] }).length > 0));
  seen.layers_drawn = layers;
  for (const l of ["party-areas", "line-of-contact", "borders", "oblasts", "withdrawal"]) check(layers.includes(l), `layer ${l} drawn`, layers);
  await page.screenshot({ path: `${out}/dashboard.png` });

  // The binary columns the page reads say what the JSON columns say, and the page's filters and
  // bins count every incident once.
  seen.columns = await page.evaluate(async () => {
    const { Incidents } = await import("/assets/incidents.js");
    const { gridCluster } = await import("/assets/cluster.js");
    // Both read under one publication: retried if live fusion published between them.
    for (let attempt = 0; ; attempt++) {
      const [bin, json] = await Promise.all([
        fetch("/api/v1/map/incidents?format=binary").then((r) => r.arrayBuffer()),
        fetch("/api/v1/map/incidents").then((r) => r.json()),
      ]);
      const s = Incidents.decode(bin);
      if ((s.n !== json.count || s.meta.watermark !== json.watermark) && attempt < 5) continue;
      const bad = [];
      const order = [...json.time.keys()].sort((a, b) => json.time[a] - json.time[b]);
      const near = (a, b, tol) => Math.abs(a - b) <= tol;
      order.forEach((j, i) => {
        const r = s.row(i);
        const want = { id: json.id[j], kind: json.kinds[json.kind[j]], subtype: json.subtype[j], n: json.count_events[j],
          party: json.party[j], control: json.control[j], weapon: json.weapon[j], v: json.violations[j] };
        for (const k of Object.keys(want)) if (r[k] !== want[k]) bad.push(`${i}.${k}: ${r[k]} != ${want[k]}`);
        if (!near(r.t, json.time[j], 1000) || !near(r.lon, json.lon[j], 1e-5) || !near(r.lat, json.lat[j], 1e-5)
          || !near(r.major, json.major[j], 0.5) || !near(r.conf, json.confidence[j], 1e-6)) bad.push(`${i}: time/position/ellipse/confidence`);
      });
      // Live fusion may publish between the two requests with the same count: read both again.
      if (bad.length && attempt < 5) continue;
      const all = s.select({});
      const viol = s.select({ violations: true });
      const cells = gridCluster(s, all, 6, 48);
      const members = cells.reduce((n, f) => n + (f.properties.cluster ? f.properties.point_count : 1), 0);
      const events = cells.reduce((n, f) => n + (f.properties.cluster ? f.properties.events : f.properties.n), 0);
      return {
        count: s.n, json_count: json.count, mismatches: bad.slice(0, 5), mismatch_count: bad.length,
        selected: all.length, violations: viol.length, json_violations: json.violations.filter((v) => v > 0).length,
        cells: cells.length, members, events, json_events: json.count_events.reduce((a, b) => a + b, 0),
        by_id: s.byId.get(json.id[0]) !== undefined,
      };
    }
  });
  const col = seen.columns;
  check(col.count === col.json_count && col.mismatch_count === 0, "binary columns equal the JSON columns", col);
  check(col.selected === col.count && col.violations === col.json_violations, "filters over the columns", col);
  check(col.members === col.count && col.events === col.json_events && col.cells < col.count, "bins count each incident once", col);
  check(col.by_id, "ids found by the store", col);

  // 2. A filter changes what is shown: one kind only, then violations only.
  const kinds = api.kind.reduce((m, k) => ((m[api.kinds[k]] = (m[api.kinds[k]] || 0) + 1), m), {});
  const [kind] = Object.entries(kinds).sort((a, b) => a[1] - b[1]).filter(([, n]) => n > 0 && n < api.count)[0] || [];
  check(kind, "the demo has two kinds or more", kinds);
  const before = seen.shown;
  await page.selectOption("#f-kind", kind);
  await page.waitForFunction((b) => Number(document.body.dataset.shown) !== b, before, { timeout: 10_000 });
  seen.filter = { kind, shown: Number(await page.getAttribute("body", "data-shown")), api_of_kind: kinds[kind] };
  check(seen.filter.shown < before, "a kind filter shows fewer", seen.filter);
  // What the map holds and what its last frame drew: incidents of that kind only. Those close
  // together are drawn as clusters, which do not say their kinds: the single incidents held are
  // all of that kind, and they and the clusters' members are exactly the incidents shown.
  const kindsIn = (which) => [...new Set(window.trucelineOverlay[which]()
    .filter((h) => !h.layer || h.layer === "points").map((h) => h.feature || h)
    .filter((f) => !f.properties.cluster).map((f) => f.properties.kind))];
  const membersHeld = () => window.trucelineOverlay.features()
    .reduce((n, f) => n + (f.properties.cluster ? f.properties.point_count : 1), 0);
  await page.waitForFunction((n) => {
    const held = window.trucelineOverlay.features();
    return held.reduce((m, f) => m + (f.properties.cluster ? f.properties.point_count : 1), 0) === n;
  }, seen.filter.shown, { timeout: 10_000 }).catch(() => {});
  seen.filter.kinds_held = await page.evaluate(kindsIn, "features");
  seen.filter.kinds_drawn = await page.evaluate(kindsIn, "rendered");
  seen.filter.members_held = await page.evaluate(membersHeld);
  check(seen.filter.kinds_held.every((k) => k === kind) && seen.filter.kinds_held.length <= 1
    && seen.filter.members_held === seen.filter.shown && seen.filter.kinds_drawn.every((k) => k === kind),
    "only that kind on the map", seen.filter);
  await page.selectOption("#f-kind", "");
  await page.check("#f-viol");
  await page.waitForTimeout(300);
  const listed = await page.$$eval("#incident-list button", (bs) => bs.map((b) => b.textContent));
  seen.violations_listed = listed.length;
  check(listed.length > 0 && listed.every((s) => s.includes("⚠")), "violations only lists violations", listed.slice(0, 3));
  await page.screenshot({ path: `${out}/dashboard-filtered.png` });

  // 2b. A From date before the days the page holds asks the server for them.
  const asked = [];
  const onRequest = (r) => { if (r.url().includes("/api/v1/map/incidents?format=binary&from=")) asked.push(r.url()); };
  page.on("request", onRequest);
  const monthAgo = new Date(Date.now() - 30 * 86400e3).toISOString().slice(0, 10);
  await page.fill("#f-from", monthAgo);
  await page.waitForFunction(() => document.body.dataset.loadedFrom, null, { timeout: 20_000 });
  page.off("request", onRequest);
  seen.asked_older = asked.length;
  check(asked.length === 1 && asked[0].includes(`from=${monthAgo}T00:00:00.000Z`), "older days asked of the server once", asked);
  const afterOlder = Number(await page.getAttribute("body", "data-shown"));
  check(afterOlder > 0, "incidents shown after loading older days", afterOlder);
  await page.fill("#f-from", "");

  // 3. An incident opened from the keyboard, with its proof verified in the browser.
  // The oldest listed: live fusion may still merge the newest into others.
  let opened = null;
  for (let attempt = 0; attempt < 3 && !opened; attempt++) {
    await page.focus("#incident-list li:last-child button");
    const id = await page.getAttribute("#incident-list li:last-child button", "data-id");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#panel:not([hidden])");
    try {
      await page.waitForSelector("#proof-badge[data-verified]", { timeout: 20_000 });
      opened = id;
    } catch {
      seen.skipped = [...(seen.skipped || []), { id, said: await page.textContent("#panel-body") }];
      await page.keyboard.press("Escape");
    }
  }
  check(opened, "an incident opened", seen.skipped);
  seen.badge = await page.textContent("#proof-badge");
  check(await page.getAttribute("#proof-badge", "data-verified") === "true", "proof badge verified", seen.badge);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${out}/dashboard-incident.png` });
  // The same check refuses evidence with one disclosed value altered, two disclosures'
  // digests swapped, or a checkpoint checked under another key.
  const id = opened;
  seen.tamper = await page.evaluate(async (id) => {
    const { verifyEvidence } = await import("/assets/proof.js");
    const inc = await (await fetch("/api/v1/incidents/" + encodeURIComponent(id))).json();
    const doc = await (await fetch("/api/v1/incidents/" + encodeURIComponent(id) + "/evidence")).json();
    const key = (await (await fetch("/api/v1/log/key")).text()).trim();
    const good = await verifyEvidence(doc, key, null, inc);
    const copy = () => JSON.parse(JSON.stringify(doc));
    const b64 = (s) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const unb64 = (s) => atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
    const altered = copy();
    const d = JSON.parse(unb64(altered.items[0].disclosures[0]));
    d[2] = typeof d[2] === "string" ? d[2] + "x" : "changed";
    altered.items[0].disclosures[0] = b64(JSON.stringify(d));
    const swapped = copy();
    const f = swapped.items[0].committed.fields;
    const [a, b] = Object.keys(f);
    [f[a], f[b]] = [f[b], f[a]];
    const alteredRes = await verifyEvidence(altered, key, null, inc);
    const otherKey = await verifyEvidence(doc, "someone-else+00000000+AQ" + "A".repeat(42) + "=", null, inc);
    return {
      good: good.ok, committed_items: doc.items.length, altered: alteredRes.ok, altered_reason: alteredRes.reason,
      swapped: (await verifyEvidence(swapped, key, null, inc)).ok, other_key: otherKey.ok,
    };
  }, id);
  check(seen.tamper.good && seen.tamper.committed_items > 0 && !seen.tamper.altered && !seen.tamper.swapped && !seen.tamper.other_key,
    "tampered evidence is refused", seen.tamper);
  await page.keyboard.press("Escape");
  check(await page.isHidden("#panel"), "Escape closes the panel");
  check(await page.evaluate(() => document.activeElement.closest("#incident-list") !== null), "focus returns to the list");
  // Live updates redraw the list meanwhile; the keyboard user keeps their place.
  await page.waitForTimeout(2500);
  check(await page.evaluate(() => document.activeElement.closest("#incident-list") !== null), "focus stays in the list through live updates",
    await page.evaluate(() => document.activeElement.outerHTML.slice(0, 120)));
  await page.uncheck("#f-viol");

  // 3b. An incident without an ellipse (a lone bearing, a report with no place) says what is
  // known of its place instead of "NaN × NaN m".
  const unbounded = [];
  for (let cursor = null, pages = 0; pages < 20; pages++) {
    const r = await (await fetch(base + "/api/v1/incidents?limit=1000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""))).json();
    unbounded.push(...r.incidents.filter((i) => !i.error_ellipse_m).map((i) => i.id));
    if (!r.next_cursor) break;
    cursor = r.next_cursor;
  }
  // The list moves as incidents arrive: read it only now, just before the click.
  const inList = await page.$$eval("#incident-list button[data-id]", (bs) => bs.map((b) => b.dataset.id));
  const lone = inList.find((id) => unbounded.includes(id));
  check(lone, "an incident without an ellipse is listed", { listed: inList.length, unbounded: unbounded.length });
  await page.click(`#incident-list button[data-id="${lone}"]`);
  await page.waitForSelector("#panel:not([hidden])");
  // The panel says "Loading…" until the incident's details arrive.
  await page.waitForFunction(() => !document.getElementById("panel-body").textContent.startsWith("Loading"), null, { timeout: 20_000 });
  seen.unbounded_panel = await page.textContent("#panel-body");
  check(!seen.unbounded_panel.includes("NaN") && /none: /.test(seen.unbounded_panel), "an incident without an ellipse says what is known", seen.unbounded_panel.slice(0, 300));
  await page.keyboard.press("Escape");

  // 4. Zoomed in, incidents are single points with their 95 % ellipses.
  const first = await page.evaluate(() => { const f = window.trucelineOverlay.features().find((f) => !f.properties.cluster); return f && f.geometry.coordinates; });
  await page.evaluate((c) => new Promise((res) => { const m = window.trucelineMap; m.once("idle", res); m.jumpTo({ center: c, zoom: 12.5 }); }), first);
  await page.waitForTimeout(500);
  seen.ellipses_drawn = await page.evaluate(() => window.trucelineMap.queryRenderedFeatures({ layers: ["ellipse-fill"] }).length);
  check(seen.ellipses_drawn > 0, "ellipses drawn when zoomed in", seen.ellipses_drawn);
  await page.screenshot({ path: `${out}/dashboard-zoomed.png` });

  // 4b. Place names by zoom, and the mission's other records as layers with a filter a type.
  const placesAt = (zoom) => page.evaluate((z) => new Promise((res) => { const m = window.trucelineMap; m.once("idle", res); m.jumpTo({ center: [37.8, 48.1], zoom: z }); }), zoom)
    .then(() => page.getAttribute("body", "data-places")).then(Number);
  seen.places = { z7: await placesAt(7), z9: await placesAt(9), z11: await placesAt(11) };
  check(seen.places.z7 > 0 && seen.places.z9 > 0, "place names shown", seen.places);
  check(seen.places.z7 <= 120 && seen.places.z9 <= 120, "a bounded number of them", seen.places);
  const names = await page.$$eval(".place-label", (els) => els.map((e) => e.textContent));
  check(names.length === seen.places.z11, "one label a place", names.length);
  await page.waitForSelector("#records-filter:not([hidden])", { timeout: 60_000 });
  const recordCount = async () => Number((await page.textContent("#records-shown")).match(/\d+/)[0]);
  // The demo feeds records as its clock reaches them: wait for some of more than one type.
  const recs = await (await fetch(base + "/api/v1/map/records")).json();
  seen.record_types = [...new Set(recs.features.map((f) => f.properties.type))].sort();
  check(seen.record_types.includes("site"), "storage sites on the map", seen.record_types);
  seen.records_all = await recordCount();
  check(seen.records_all === recs.features.length || seen.records_all > 0, "records drawn", seen.records_all);
  await page.uncheck('#record-types input[data-type="site"]');
  seen.records_without_sites = await recordCount();
  check(seen.records_without_sites < seen.records_all, "a type's filter hides its records", seen);
  await page.check('#record-types input[data-type="site"]');
  const site = recs.features.find((f) => f.properties.type === "site");
  await page.evaluate((c) => new Promise((res) => { const m = window.trucelineMap; m.once("idle", res); m.jumpTo({ center: c, zoom: 10 }); }), site.geometry.coordinates);
  await page.waitForTimeout(300);
  const drawnSites = await page.evaluate(() => window.trucelineOverlay.rendered().filter((h) => h.layer === "record-points" && h.feature.properties.type === "site").length);
  check(drawnSites > 0, "a site drawn where it is", drawnSites);
  // A click on it opens what the record says.
  const sitePx = await page.evaluate((c) => window.trucelineMap.project(c), site.geometry.coordinates);
  const mapBox = await page.locator("#map").boundingBox();
  await page.mouse.click(mapBox.x + sitePx.x, mapBox.y + sitePx.y);
  await page.waitForSelector(".record-popup", { timeout: 5_000 });
  seen.site_popup = await page.textContent(".record-popup");
  check(seen.site_popup.includes(site.properties.id), "a click on a site shows its record", seen.site_popup);
  await page.click(".maplibregl-popup-close-button");
  await page.screenshot({ path: `${out}/dashboard-records.png` });

  // 4c. At sea: the demo's simulated AIS as vessels and the behaviours found, a click on a
  // listed vessel naming its list entry.
  await page.waitForSelector("#vessels-box:not([hidden])", { timeout: 60_000 });
  await page.waitForFunction(() => /[1-9]/.test(document.getElementById("vessels-shown").textContent), null, { timeout: 60_000 });
  seen.vessels_shown = await page.textContent("#vessels-shown");
  await page.evaluate(() => new Promise((res) => { const m = window.trucelineMap; m.once("idle", res); m.fitBounds([[27.5, 40.9], [41.9, 46.9]], { duration: 0 }); }));
  await page.waitForTimeout(500);
  seen.vessels_drawn = await page.evaluate(() => window.trucelineMap.queryRenderedFeatures({ layers: ["vessel-points"] }).length);
  check(seen.vessels_drawn > 10, "vessels drawn in the Black Sea", seen.vessels_drawn);
  // Plain values out of the page (a rendered feature's geometry is a getter).
  const listedVessel = await page.evaluate(() => {
    const f = window.trucelineMap.queryRenderedFeatures({ layers: ["vessel-points"] }).find((x) => x.properties.listed);
    return f ? { at: f.geometry.coordinates } : null;
  });
  seen.listed_drawn = !!listedVessel;
  if (listedVessel) {
    const px = await page.evaluate((c) => window.trucelineMap.project(c), listedVessel.at);
    const box = await page.locator("#map").boundingBox();
    await page.mouse.click(box.x + px.x, box.y + px.y);
    await page.waitForSelector(".vessel-popup", { timeout: 5_000 });
    seen.vessel_popup = await page.textContent(".vessel-popup");
    check(seen.vessel_popup.includes("ILLUSTRATIVE"), "a listed vessel's popup names its entry", seen.vessel_popup);
  }
  await page.screenshot({ path: `${out}/dashboard-vessels.png` });
  if (listedVessel) await page.click(".maplibregl-popup-close-button");

  // 5. Ukrainian and Russian.
  await page.selectOption("#lang", "uk");
  seen.uk = await page.textContent("#filters-title");
  check(seen.uk === "Фільтри", "Ukrainian interface", seen.uk);
  check((await page.textContent("#f-kind option[value=explosion]")) === "Вибух", "Ukrainian kinds");
  await page.evaluate(() => window.trucelineMap.jumpTo({ center: [38.0, 48.3], zoom: 6.6 }));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${out}/dashboard-uk.png` });
  await page.selectOption("#lang", "ru");
  seen.ru = await page.textContent("#filters-title");
  check(seen.ru === "Фильтры", "Russian interface", seen.ru);
  await page.selectOption("#lang", "en");
  const missing = await page.evaluate(async () => {
    const { TABLES } = await import("/assets/i18n.js");
    return ["uk", "ru"].flatMap((l) => Object.keys(TABLES.en).filter((k) => !(k in TABLES[l])).map((k) => `${l}:${k}`));
  });
  check(missing.length === 0, "every interface text in Ukrainian and Russian", missing);
  // Numbers and plurals follow the language: 1, 2 and 5 take three forms in Ukrainian and Russian.
  seen.plurals = await page.evaluate(async () => {
    const i18n = await import("/assets/i18n.js");
    const out = {};
    for (const l of ["en", "uk", "ru"]) {
      i18n.setLang(l);
      out[l] = [1, 2, 5, 21, 12345].map((n) => i18n.t("shown", { n, total: 100000 }));
    }
    i18n.setLang("en");
    return out;
  });
  const nb = "\u00a0";
  check(JSON.stringify(seen.plurals) === JSON.stringify({
    en: ["1 incident shown of 100,000", "2 incidents shown of 100,000", "5 incidents shown of 100,000", "21 incidents shown of 100,000", "12,345 incidents shown of 100,000"],
    uk: [`Показано 1 інцидент із 100${nb}000`, `Показано 2 інциденти із 100${nb}000`, `Показано 5 інцидентів із 100${nb}000`, `Показано 21 інцидент із 100${nb}000`, `Показано 12${nb}345 інцидентів із 100${nb}000`],
    ru: [`Показан 1 инцидент из 100${nb}000`, `Показано 2 инцидента из 100${nb}000`, `Показано 5 инцидентов из 100${nb}000`, `Показан 21 инцидент из 100${nb}000`, `Показано 12${nb}345 инцидентов из 100${nb}000`],
  }), "numbers and plurals follow the language", seen.plurals);

  // 6. Every control has a name a screen reader can say.
  const unnamed = await page.evaluate(() => [...document.querySelectorAll("input, select, button, [role=region]")]
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim() && !e.title)
    .map((e) => e.outerHTML.slice(0, 80)));
  check(unnamed.length === 0, "every control is labelled", unnamed);

  // 7. Live: new incidents arrive over /api/v1/stream without a reload.
  const total0 = await page.evaluate(() => document.getElementById("shown").textContent);
  await page.waitForFunction((t0) => document.getElementById("shown").textContent !== t0, total0, { timeout: 60_000 });
  seen.live = { before: total0, after: await page.textContent("#shown"), status: await page.textContent("#status") };

  // 8. The day's report is one click away.
  const href = await page.getAttribute("#report-link", "href");
  const resp = await fetch(base + href);
  seen.report = { href, status: resp.status, type: resp.headers.get("content-type") };
  check(resp.status === 200 && seen.report.type.startsWith("text/html"), "report link", seen.report);

  finish(ctx, log, seen);
} catch (e) {
  failed(e, seen, log);
} finally {
  await browser.close();
}
