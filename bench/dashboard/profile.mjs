import { launch } from "../../tests/browser/lib.mjs";
const b = await launch();
const page = await b.newPage({ viewport: { width: 1400, height: 900 } });
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
await cdp.send("Profiler.start");
await page.goto(process.argv[2] + "/");
await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
const { profile } = await cdp.send("Profiler.stop");
const p = await page.evaluate(() => window.trucelinePerf);
console.log(JSON.stringify(Object.fromEntries(Object.entries(p).map(([k,v])=>[k, Math.round(v)]))));
const self = new Map();
const dt = profile.timeDeltas; const byId = new Map(profile.nodes.map(n => [n.id, n]));
const counts = new Map();
profile.samples.forEach((s, i) => counts.set(s, (counts.get(s) || 0) + (dt[i] || 0)));
for (const [id, us] of counts) { const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) || 0) + us); }
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, us]) => `${(us / 1000).toFixed(0).padStart(6)} ms ${k}`).join("\n"));
await b.close();
