//! The plain page at `/`: live counts until the dashboard exists.

use axum::response::Html;

pub(crate) async fn home() -> Html<&'static str> {
    Html(HOME)
}

pub(crate) const HOME: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Truceline</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #1c2430; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  .notice { background: #fff6d6; border: 1px solid #e6c75a; padding: .6rem .8rem; border-radius: 4px; }
  .big { font-size: 2.4rem; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; margin-top: .6rem; }
  td { padding: .15rem 1.2rem .15rem 0; font-variant-numeric: tabular-nums; }
  .muted { color: #5b6575; }
</style>
</head>
<body>
<h1>Truceline</h1>
<div class="muted" id="agreement">Loading…</div>
<p class="notice" id="notice" hidden></p>
<p class="muted" id="banner" hidden></p>
<p><span class="big" id="total">–</span> observations from <span id="observers">–</span> observers</p>
<p><span class="big" id="incidents">–</span> incidents (<span id="pending">–</span> still open), <span id="violations">–</span> violations</p>
<p class="muted">Latest observation time: <span id="latest">–</span></p>
<table id="kinds"></table>
<p class="muted">API: <a href="/api/v1/observations?limit=20">/api/v1/observations</a> ·
<a href="/api/v1/incidents?limit=20">/api/v1/incidents</a> · <a href="/api/v1/violations?limit=20">/api/v1/violations</a> ·
<a href="/api/v1/summary">/api/v1/summary</a> · <a href="/metrics">/metrics</a></p>
<script>
async function refresh() {
  try {
    const s = await (await fetch('/api/v1/summary')).json();
    document.getElementById('agreement').textContent =
      s.agreement.title + (s.agreement.illustrative ? ' (ILLUSTRATIVE, not an official line)' : '');
    const n = document.getElementById('notice');
    if (s.agreement.notice) { n.textContent = s.agreement.notice; n.hidden = false; }
    const b = document.getElementById('banner');
    if (s.banner) { b.textContent = s.banner; b.hidden = false; }
    document.getElementById('total').textContent = s.observations.toLocaleString('en');
    document.getElementById('observers').textContent = s.observers;
    document.getElementById('latest').textContent = s.latest_observation_time || '–';
    document.getElementById('incidents').textContent = s.incidents.toLocaleString('en');
    document.getElementById('pending').textContent = s.incidents_pending;
    document.getElementById('violations').textContent = s.violations.toLocaleString('en');
    const t = document.getElementById('kinds');
    t.replaceChildren(...Object.entries(s.by_kind).map(([k, v]) => {
      const tr = document.createElement('tr');
      const a = document.createElement('td'); a.textContent = k.replace('_', ' ');
      const c = document.createElement('td'); c.textContent = v.toLocaleString('en');
      tr.append(a, c); return tr;
    }));
  } catch (e) { /* the server may be restarting; try again */ }
}
refresh(); setInterval(refresh, 2000);
</script>
</body>
</html>
"#;
