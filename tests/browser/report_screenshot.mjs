// Renders a report HTML file in headless Chromium, takes a full-page screenshot, and prints
// what it saw of the map and the chart as one JSON line.
//   node report_screenshot.mjs REPORT.html OUT.png
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const [page_file, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1500 } });
  const requests = [];
  page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
  await page.goto(pathToFileURL(page_file).href, { waitUntil: "load" });
  const seen = await page.evaluate(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return { width: r.width, height: r.height }; };
    const map = document.querySelector("svg.map");
    const chart = document.querySelector("svg.chart");
    return {
      title: document.title,
      map: map && { ...box(map), incidents: map.querySelectorAll("#incidents circle").length,
        dense: [...map.querySelectorAll("#density rect title")].reduce((n, t) => n + Number(t.textContent), 0) },
      chart: chart && { ...box(chart), bars: [...chart.querySelectorAll("rect.bar")].filter((b) => b.getBoundingClientRect().height > 0).length },
    };
  });
  // Count the distinct colours the map's pixels show: a blank or failed drawing has few.
  // Viewport shots only: a full-page shot of a report with thousands of rows is very slow.
  const clip = await page.evaluate(() => {
    const m = document.querySelector("svg.map");
    m.scrollIntoView();
    const r = m.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: Math.min(r.height, window.innerHeight - r.top) };
  });
  const mapShot = await page.screenshot({ clip });
  const colours = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = "data:image/png;base64," + b64;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const set = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) set.add((d[i] >> 4) << 8 | (d[i + 1] >> 4) << 4 | (d[i + 2] >> 4));
    return set.size;
  }, mapShot.toString("base64"));
  seen.map.colours = colours;
  seen.external_requests = requests;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: shot });
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
