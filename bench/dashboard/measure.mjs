// Render figures of the dashboard in headless Chromium (software WebGL, as in CI):
//   node measure.mjs BASE_URL RUNS LABEL
// Each run opens a fresh page and records, from navigation start: the incidents received, the
// first drawing of the map with every incident (MapLibre `idle`), then frame times (from
// requestAnimationFrame) while the map zooms in and pans for 4 s, long tasks, and how long a
// filter change takes to show (its handlers alone, and to the frame that shows it). Prints one
// JSON line per run and one summary line.
import { launch } from "../../tests/browser/lib.mjs";

const [base, runsArg, label] = process.argv.slice(2);
const runs = Number(runsArg || 3);
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const browser = await launch();

/** A filter change, from the click to the frame that shows it: the page's handlers, then the
 * next frame (the first requestAnimationFrame runs before it is painted, the second once it has
 * been), and the map done with any data it was given. Also what the page then shows. */
const filterChange = (page) => page.evaluate(() => new Promise((res) => {
  const m = window.trucelineMap;
  const settled = (then) => { const poll = () => (m.loaded() && !m.isMoving() ? then() : setTimeout(poll, 5)); poll(); };
  settled(() => {
    const t0 = performance.now();
    document.getElementById("f-viol").click();
    const handled = performance.now() - t0;
    requestAnimationFrame(() => requestAnimationFrame(() => settled(() => res({
      handled, drawn: performance.now() - t0, shown: Number(document.body.dataset.shown),
    }))));
  });
}));
const results = [];
try {
  for (let r = 0; r < runs; r++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // A signed-in session (bench/dashboard/run.sh opens it), as a mission's analyst would have.
    if (process.env.TRUCELINE_SESSION) {
      await page.context().addCookies([{ name: "truceline_session", value: process.env.TRUCELINE_SESSION, url: base }]);
    }
    await page.addInitScript(() => {
      window.__long = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: "longtask", buffered: true });
    });
    await page.goto(base + "/");
    await page.waitForSelector("body[data-ready=true]", { timeout: 120_000 });
    const perf = await page.evaluate(() => window.trucelinePerf);
    const frames = await page.evaluate(() => new Promise((resolve) => {
      const m = window.trucelineMap;
      const times = [];
      let last = performance.now();
      let running = true;
      const tick = (now) => { times.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
      m.easeTo({ zoom: 9, center: [38.0, 48.2], duration: 1500 });
      setTimeout(() => m.easeTo({ center: [38.6, 48.6], duration: 1200 }), 1600);
      setTimeout(() => m.easeTo({ zoom: 6.6, center: [38.0, 48.3], duration: 1000 }), 2900);
      setTimeout(() => { running = false; resolve(times.slice(1)); }, 4000);
    }));
    const longDuring = await page.evaluate(() => window.__long.slice());
    const filter = await filterChange(page);
    const filterMs = Math.round(filter.drawn);
    // Every day the store holds (the page asks for them with an early From date), then the
    // same change back with all of them selected and binned.
    await page.fill("#f-from", "2000-01-01");
    await page.waitForFunction(() => document.body.dataset.loadedFrom || document.body.dataset.shown === "0", null, { timeout: 120_000 });
    await page.waitForTimeout(1000);
    const all = await filterChange(page);
    const row = {
      label, run: r + 1, incidents: perf.incidents,
      data_ms: Math.round(perf.dataLoaded), first_render_ms: Math.round(perf.firstRender),
      frames: frames.length, frame_p50_ms: Math.round(q(frames, 0.5)), frame_p95_ms: Math.round(q(frames, 0.95)),
      frame_max_ms: Math.round(Math.max(...frames)), fps: Math.round((frames.length / 4) * 10) / 10,
      long_tasks: longDuring.length, longest_task_ms: Math.round(Math.max(0, ...longDuring)), filter_ms: filterMs,
      filter_handler_ms: Math.round(filter.handled * 10) / 10,
      all_shown: all.shown, all_filter_ms: Math.round(all.drawn), all_filter_handler_ms: Math.round(all.handled * 10) / 10,
    };
    results.push(row);
    console.log(JSON.stringify(row));
    await page.close();
  }
} finally {
  await browser.close();
}
const med = (k) => q(results.map((r) => r[k]), 0.5);
console.log(JSON.stringify({ label, summary: true, incidents: results[0].incidents, first_render_ms: med("first_render_ms"),
  frame_p50_ms: med("frame_p50_ms"), frame_p95_ms: med("frame_p95_ms"), fps: med("fps"), filter_ms: med("filter_ms"),
  filter_handler_ms: med("filter_handler_ms"), all_shown: results[0].all_shown, all_filter_ms: med("all_filter_ms"),
  all_filter_handler_ms: med("all_filter_handler_ms") }));
