// The monitors' field form. An observation is given its id on the device and saved in IndexedDB
// first; only then is it sent. It leaves the queue when the server has acknowledged it (accepted,
// or already stored: the server treats a re-sent id as a no-op), so a lost connection or a closed
// page at any point means at most a re-send, never a loss and never a second record.
import { t, initLang, languagePicker, apply } from '/assets/i18n.js';

const $ = (id) => document.getElementById(id);
const KINDS = ['explosion', 'projectile', 'muzzle_flash', 'illumination', 'burst', 'shot', 'weapon', 'movement', 'restriction', 'casualty', 'damage', 'mine', 'other'];
const SUBTYPES = ['impact', 'airburst', 'outgoing', 'undetermined'];
const SOURCES = ['patrol', 'post', 'camera', 'uav', 'acoustic', 'radar'];
// The mission's other records a monitor reports from the field (SPEC 6).
const WHAT = ['observation', 'restriction', 'inspection', 'casualty', 'damage', 'hazard'];
const CODES = {
  'r-kind': ['denial', 'delay', 'conditional', 'gnss_interference', 'fire_at_uav'],
  'r-access': ['granted', 'partial', 'denied'],
  'r-status': ['reported', 'corroborated', 'confirmed'],
  'r-cause': ['shelling', 'small_arms', 'mine', 'uxo', 'other'],
  'r-object': ['residential', 'water', 'power', 'gas', 'school', 'medical', 'other'],
  'r-hazard': ['anti_personnel', 'anti_tank', 'uxo', 'unknown'],
};
// While anything waits, try again this often: `online` events are not reliable on every device.
const RETRY_MS = 5000;

initLang();
languagePicker($('lang'));

// ---------------------------------------------------------------- IndexedDB

let dbp = null;
function db() {
  dbp ??= new Promise((resolve, reject) => {
    const r = indexedDB.open('truceline-field', 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('outbox', { keyPath: 'id' });
      r.result.createObjectStore('keys', { keyPath: 'slot' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return dbp;
}

async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const x = d.transaction(store, mode);
    const s = x.objectStore(store);
    let out;
    Promise.resolve(fn(s)).then((v) => { out = v; });
    x.oncomplete = () => resolve(out);
    x.onerror = () => reject(x.error);
    x.onabort = () => reject(x.error);
  });
}

const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
const allQueued = () => tx('outbox', 'readonly', (s) => req(s.getAll()));

// ---------------------------------------------------------------- signing

const enc = new TextEncoder();
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** RFC 8785 canonical JSON: what the server stores and what a signature covers. */
export function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

async function deviceKey() {
  return tx('keys', 'readonly', (s) => req(s.get('device')));
}

/** A new Ed25519 key pair made on the device; the private half cannot be exported. */
async function makeKey(name) {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const raw = new Uint8Array([1, ...pub]);
  const id = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array([...enc.encode(name), 10, ...raw]))).slice(0, 4);
  const vkey = `${name}+${hex(id)}+${b64(raw)}`;
  await tx('keys', 'readwrite', (s) => s.put({ slot: 'device', name, vkey, privateKey: pair.privateKey }));
  return { name, vkey };
}

async function sign(obs, key) {
  const msg = enc.encode(canonical(obs));
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, msg));
  return { ...obs, key_id: key.name, signature: b64(sig) };
}

// ---------------------------------------------------------------- the form

function options(select, values, label, blank) {
  const opts = values.map((v) => { const o = document.createElement('option'); o.value = v; o.textContent = label(v); return o; });
  if (blank) { const o = document.createElement('option'); o.value = ''; o.textContent = t('sel_none'); opts.unshift(o); }
  const keep = select.value;
  select.replaceChildren(...opts);
  if (keep) select.value = keep;
}

function weapons() {
  const cached = JSON.parse(localStorage.getItem('truceline.weapons') || '[]');
  return [...cached, { id: 'small_arms', name: 'small arms' }, { id: 'unknown', name: 'unknown' }];
}

function parties() {
  return JSON.parse(localStorage.getItem('truceline.parties') || '[]');
}

/** Shows the fields of what is being reported, hides the others. */
function showWhat() {
  const what = $('what').value;
  for (const el of $('obs').querySelectorAll('[data-for]')) el.hidden = !el.dataset.for.split(' ').includes(what);
  $('save').textContent = what === 'observation' ? t('save') : t('save_record');
  document.body.dataset.what = what;
}

function fillSelects() {
  options($('what'), WHAT, (v) => (v === 'observation' ? t('an_observation') : t('rt_' + v)));
  for (const [id, codes] of Object.entries(CODES)) options($(id), codes, (v) => t('c_' + v));
  options($('r-party'), parties().map((p) => p.id), (id) => parties().find((p) => p.id === id).name, true);
  options($('source'), SOURCES, (v) => t('src_' + v));
  options($('kind'), KINDS, (v) => t('k_' + v));
  options($('subtype'), SUBTYPES, (v) => t('s_' + v), true);
  options($('weapon'), weapons().map((w) => w.id), (id) => weapons().find((w) => w.id === id).name, true);
  $('subtype').disabled = $('kind').value !== 'explosion';
}

function setNow() {
  $('time').value = new Date().toISOString().slice(0, 19);
}

function locate() {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (p) => { $('lon').value = p.coords.longitude.toFixed(6); $('lat').value = p.coords.latitude.toFixed(6); drawMap(); },
    (e) => say(t('gps_failed', { msg: e.message }), true),
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
  );
}

function say(text, bad) {
  $('msg').textContent = text;
  $('msg').className = 'msg' + (bad ? ' bad' : '');
}

const num = (id) => ($(id).value === '' ? null : Number($(id).value));

const fail = (id, what) => { $(id).setAttribute('aria-invalid', 'true'); $(id).focus(); throw new Error(`${$(id).labels[0]?.textContent || id}: ${what}`); };

/** What every report has: who, where and when. */
function common() {
  for (const el of $('obs').querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const observer = $('observer').value.trim();
  if (!/^[A-Za-z0-9._:-]+$/.test(observer)) fail('observer', 'letters, digits and . _ : - only');
  const lon = num('lon'), lat = num('lat');
  if (lon === null || lon < -180 || lon > 180) fail('lon', '-180 to 180');
  if (lat === null || lat < -90 || lat > 90) fail('lat', '-90 to 90');
  if (!$('time').value) fail('time', t('required'));
  const time = new Date($('time').value + 'Z');
  if (Number.isNaN(time.getTime())) fail('time', 'YYYY-MM-DDTHH:MM:SS');
  return { observer, lon, lat, time: time.toISOString().replace('.000Z', 'Z') };
}

/** The record the form describes (SPEC 6), or the first field that is wrong. */
function readRecord(type) {
  const { observer, lon, lat, time } = common();
  const rec = { id: `${observer}-${crypto.randomUUID()}`, type, time, observer };
  const whole = (id) => { const n = num(id); if (n !== null && (!Number.isInteger(n) || n < 0)) fail(id, 'a whole number, 0 or more'); return n; };
  if (type !== 'inspection') rec.location = $('pick').checked && picked ? { lon: picked[0], lat: picked[1] } : { lon, lat };
  if (type === 'restriction') {
    rec.kind = $('r-kind').value;
    if ($('r-party').value) rec.party = $('r-party').value;
    const d = whole('r-duration');
    if (d !== null) rec.duration_min = d;
    rec.patrol = observer;
  } else if (type === 'inspection') {
    const site = $('r-site').value.trim();
    if (!site) fail('r-site', t('required'));
    rec.site = site;
    rec.access = $('r-access').value;
    if (rec.access !== 'denied') rec.present = [...new Set($('r-present').value.split(/[\n,;]+/).map((x) => x.trim()).filter(Boolean))];
  } else if (type === 'casualty') {
    rec.killed = whole('r-killed') ?? 0;
    rec.injured = whole('r-injured') ?? 0;
    if (rec.killed + rec.injured === 0) fail('r-killed', t('at_least_one'));
    rec.cause = $('r-cause').value;
    rec.status = $('r-status').value;
  } else if (type === 'damage') {
    rec.object = $('r-object').value;
    rec.cause = $('r-cause').value;
  } else if (type === 'hazard') {
    rec.hazard = $('r-hazard').value;
    rec.marked = $('r-marked').checked;
  }
  const notes = $('notes').value.trim();
  if (notes) rec.notes = notes;
  return rec;
}

/** The observation the form describes, or the first field that is wrong. */
function read() {
  const { observer, lon, lat, time: when } = common();
  const time = new Date(when);
  const obs = {
    id: `${observer}-${crypto.randomUUID()}`,
    observer, source: $('source').value, kind: $('kind').value,
    time: time.toISOString().replace('.000Z', 'Z'),
    observer_position: { lon, lat },
  };
  if (obs.kind === 'explosion' && $('subtype').value) obs.subtype = $('subtype').value;
  const count = num('count');
  if (count !== null) { if (!Number.isInteger(count) || count < 1) fail('count', 'a whole number, 1 or more'); obs.count = count; }
  const bearing = num('bearing');
  if (bearing !== null) {
    if (bearing < 0 || bearing >= 360) fail('bearing', '0 to 360');
    obs.bearing_deg = bearing;
    const sigma = num('bearing-sigma');
    if (sigma === null || sigma <= 0 || sigma > 90) fail('bearing-sigma', 'more than 0, at most 90');
    obs.bearing_sigma_deg = sigma;
  }
  const dmin = num('dist-min'), dmax = num('dist-max');
  if (dmin !== null || dmax !== null) {
    if (dmin === null || dmax === null) fail(dmin === null ? 'dist-min' : 'dist-max', t('required'));
    if (dmin < 0 || dmax < dmin) fail('dist-max', 'at least the minimum');
    obs.distance_m = { min: dmin, max: dmax };
  }
  if ($('weapon').value) obs.weapon = $('weapon').value;
  // Seen directly and placed on the map: where it was, to about the map's precision.
  if ($('pick').checked && picked) obs.location = { lon: picked[0], lat: picked[1], uncertainty_m: 250 };
  const notes = $('notes').value.trim();
  if (notes) obs.notes = notes;
  return obs;
}

async function save(e) {
  e.preventDefault();
  const what = $('what').value;
  let obs;
  try { obs = what === 'observation' ? read() : readRecord(what); } catch (err) { say(err.message, true); return; }
  const key = await deviceKey();
  if (key) obs = await sign(obs, key);
  // An outbox item holds an observation (`obs`) or another record (`rec`): they go to their own doors.
  const item = what === 'observation' ? { id: obs.id, obs } : { id: obs.id, rec: obs };
  await tx('outbox', 'readwrite', (s) => s.put({ ...item, state: 'queued', saved_at: Date.now() }));
  localStorage.setItem('truceline.observer', obs.observer);
  say(t('saved', { id: obs.id }));
  // Ready for the next one: same observer, place and source; a new time.
  $('notes').value = ''; $('bearing').value = ''; $('dist-min').value = ''; $('dist-max').value = '';
  $('r-present').value = ''; $('r-killed').value = '0'; $('r-injured').value = '0'; $('r-duration').value = '';
  setNow();
  await renderQueue();
  flush();
}

// ---------------------------------------------------------------- the small map

// Kept on the device for offline use: the line of contact and the places near it.
const MAP_KEY = 'truceline.fieldmap';
// The map shows this many metres from the monitor's position to each side.
const MAP_HALF_M = 15000;
let picked = null; // [lon, lat] tapped on the map, for an event seen directly

function mapData() {
  return JSON.parse(localStorage.getItem(MAP_KEY) || 'null');
}

/** Metres east and north of `c` on a local plane: good to a few metres over the map's 30 km. */
function toXY(c, lon, lat) {
  const k = Math.cos((c[1] * Math.PI) / 180) * 111320;
  return [(lon - c[0]) * k, (lat - c[1]) * 111320];
}

function fromXY(c, x, y) {
  const k = Math.cos((c[1] * Math.PI) / 180) * 111320;
  return [c[0] + x / k, c[1] + y / 111320];
}

/** The position, the line, the places, the bearing ray and a picked place, drawn on a canvas. */
function drawMap() {
  const cv = $('fmap');
  const g = cv.getContext('2d');
  const W = cv.width, H = cv.height, s = Math.min(W, H) / (2 * MAP_HALF_M);
  g.fillStyle = '#f6f4ef'; g.fillRect(0, 0, W, H);
  const lon = num('lon'), lat = num('lat');
  if (lon === null || lat === null) { g.fillStyle = '#666'; g.fillText(t('map_no_position'), 10, 20); return; }
  const c = [lon, lat];
  const px = ([x, y]) => [W / 2 + x * s, H / 2 - y * s];
  const d = mapData();
  if (d) {
    g.strokeStyle = '#5b2a86'; g.lineWidth = 2.2;
    for (const line of d.lines) {
      g.beginPath();
      line.forEach(([a, b], k) => { const [x, y] = px(toXY(c, a, b)); if (k) g.lineTo(x, y); else g.moveTo(x, y); });
      g.stroke();
    }
    g.fillStyle = '#2b2b2b'; g.font = '11px sans-serif';
    for (const [name, a, b] of d.places) {
      const [x, y] = px(toXY(c, a, b));
      if (x < 0 || x > W || y < 0 || y > H) continue;
      g.fillRect(x - 1.5, y - 1.5, 3, 3); g.fillText(name, x + 4, y + 4);
    }
  }
  // The bearing as typed: a ray to the farthest distance given (or across the map), the range
  // between the distances drawn heavier.
  const bearing = num('bearing');
  if (bearing !== null && bearing >= 0 && bearing < 360) {
    const th = (bearing * Math.PI) / 180, dir = [Math.sin(th), Math.cos(th)];
    const far = num('dist-max') ?? 2 * MAP_HALF_M, near = num('dist-min') ?? 0;
    const at = (m) => px([dir[0] * m, dir[1] * m]);
    g.strokeStyle = '#D55E00'; g.lineWidth = 1.2; g.setLineDash([5, 4]);
    g.beginPath(); g.moveTo(W / 2, H / 2); g.lineTo(...at(far)); g.stroke(); g.setLineDash([]);
    if (num('dist-max') !== null) { g.lineWidth = 4; g.beginPath(); g.moveTo(...at(near)); g.lineTo(...at(far)); g.stroke(); }
  }
  if (picked) {
    const [x, y] = px(toXY(c, picked[0], picked[1]));
    g.strokeStyle = '#b2182b'; g.lineWidth = 2;
    g.beginPath(); g.moveTo(x - 6, y - 6); g.lineTo(x + 6, y + 6); g.moveTo(x + 6, y - 6); g.lineTo(x - 6, y + 6); g.stroke();
  }
  g.fillStyle = '#1b7837'; g.beginPath(); g.arc(W / 2, H / 2, 5, 0, 2 * Math.PI); g.fill();
  // A 5 km scale bar.
  g.fillStyle = '#222'; g.fillRect(10, H - 14, 5000 * s, 3); g.fillText('5 km', 10, H - 18);
  document.body.dataset.mapDrawn = String(Date.now());
}

function pickOnMap(e) {
  if (!$('pick').checked) return;
  const lon = num('lon'), lat = num('lat');
  if (lon === null || lat === null) return;
  const cv = $('fmap'), r = cv.getBoundingClientRect();
  const s = Math.min(cv.width, cv.height) / (2 * MAP_HALF_M);
  const x = ((e.clientX - r.left) * (cv.width / r.width) - cv.width / 2) / s;
  const y = -((e.clientY - r.top) * (cv.height / r.height) - cv.height / 2) / s;
  picked = fromXY([lon, lat], x, y).map((v) => Number(v.toFixed(5)));
  $('picked').textContent = t('picked_at', { lon: picked[0], lat: picked[1] });
  drawMap();
}

/** The compass heading, where the device has one (true north where it says so). */
function takeCompass() {
  let got = false;
  const once = (ev) => {
    got = true;
    const heading = ev.webkitCompassHeading ?? (ev.absolute && ev.alpha !== null ? (360 - ev.alpha) % 360 : null);
    if (heading === null || heading === undefined) { say(t('no_compass'), true); return; }
    $('bearing').value = heading.toFixed(1);
    // A phone's compass is rarely better than this.
    if (!$('bearing-sigma').value) $('bearing-sigma').value = '5';
    drawMap();
  };
  const listen = () => {
    const ev = 'ondeviceorientationabsolute' in window ? 'deviceorientationabsolute' : 'deviceorientation';
    window.addEventListener(ev, once, { once: true });
    // No reading within two seconds: no compass (a desktop, or one switched off).
    setTimeout(() => { window.removeEventListener(ev, once); if (!got) say(t('no_compass'), true); }, 2000);
  };
  // iOS asks for permission first.
  if (typeof DeviceOrientationEvent !== 'undefined' && DeviceOrientationEvent.requestPermission) {
    DeviceOrientationEvent.requestPermission().then((p) => (p === 'granted' ? listen() : say(t('no_compass'), true))).catch(() => say(t('no_compass'), true));
  } else if (typeof DeviceOrientationEvent !== 'undefined') listen();
  else say(t('no_compass'), true);
}

// ---------------------------------------------------------------- sending

let delivered = 0;
let flushing = false;
// Whether the server asked for a sign-in: sending waits for one.
let needSignIn = false;
// Whether the last attempt to reach the server failed: a device can say it is online and not be.
let unreachable = false;

/**
 * Sends what is queued, one at a time, oldest first; stops at the first network failure. Once
 * the server has asked for a sign-in, only a sign-in or the monitor's "Send now" tries again
 * (`force`), not the timer.
 */
async function flush(force = false) {
  if (flushing || !navigator.onLine || (needSignIn && force !== true)) return;
  if (!(await allQueued()).some((i) => i.state === 'queued')) return;
  flushing = true;
  try {
    const items = (await allQueued()).filter((i) => i.state === 'queued').sort((a, b) => a.saved_at - b.saved_at);
    for (const item of items) {
      let resp;
      try {
        resp = await fetch(item.rec ? '/api/v1/records' : '/api/v1/observations', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(item.rec || item.obs),
        });
      } catch {
        unreachable = true;
        break; // offline again: the next 'online' event or timer retries
      }
      unreachable = false;
      if (resp.status === 401) {
        // Signed out (or the session ran out): everything stays queued until a sign-in.
        needSignIn = true;
        showAccount(null);
        break;
      }
      if (resp.ok) {
        await tx('outbox', 'readwrite', (s) => s.delete(item.id));
        delivered++;
      } else if (resp.status === 400 || resp.status === 403 || resp.status === 409 || resp.status === 413) {
        // The server will never take this one as it is: keep it, visibly, for the monitor.
        const body = await resp.json().catch(() => ({}));
        const msg = body.error ? body.error.message : `HTTP ${resp.status}`;
        await tx('outbox', 'readwrite', (s) => s.put({ ...item, state: 'refused', error: msg }));
      } else {
        break; // the server is restarting or overloaded: later
      }
    }
  } finally {
    flushing = false;
    showConnection();
    await renderQueue();
  }
}

async function renderQueue() {
  const items = (await allQueued()).sort((a, b) => a.saved_at - b.saved_at);
  const list = $('queue');
  if (!items.length) {
    const li = document.createElement('li');
    li.textContent = t('none_queued');
    li.className = 'muted';
    list.replaceChildren(li);
  } else {
    list.replaceChildren(...items.map((i) => {
      const li = document.createElement('li');
      li.dataset.id = i.id;
      li.dataset.state = i.state;
      const body = i.obs || i.rec;
      const what = i.obs ? t('k_' + i.obs.kind) : t('rt_' + i.rec.type);
      li.textContent = `${body.time} · ${what} · ${i.id}` + (i.state === 'refused' ? ' — ' + t('refused', { msg: i.error }) : '');
      if (i.state === 'refused') {
        const del = document.createElement('button');
        del.type = 'button'; del.textContent = '✕'; del.setAttribute('aria-label', 'delete ' + i.id);
        del.addEventListener('click', async () => { await tx('outbox', 'readwrite', (s) => s.delete(i.id)); renderQueue(); });
        li.append(' ', del);
      }
      return li;
    }));
  }
  document.body.dataset.queued = String(items.filter((i) => i.state === 'queued').length);
  $('delivered').textContent = delivered ? t('delivered', { n: delivered }) : '';
}

function showConnection() {
  const on = navigator.onLine && !unreachable;
  $('conn').textContent = on ? t('online') : t('offline_mode');
  $('conn').className = 'conn ' + (on ? 'on' : 'off');
}

async function showKey() {
  const key = await deviceKey();
  $('key-state').replaceChildren();
  if (!key) { $('key-state').textContent = t('key_none'); return; }
  const [before, after] = t('key_have', { name: key.name, vkey: '\u0000' }).split('\u0000');
  const code = document.createElement('code');
  code.className = 'vkey'; code.id = 'vkey'; code.textContent = key.vkey;
  $('key-state').append(before, code, after ?? '');
  if (key.registered) $('key-state').append(' ', t('key_registered'));
  $('make-key').hidden = true;
}

// ---------------------------------------------------------------- account

/** Who this page is signed in as, from the server (the session cookie is HttpOnly). */
async function whoAmI() {
  try {
    const r = await fetch('/api/v1/session');
    if (!r.ok) return;
    const me = await r.json();
    showAccount(me.account ? me : null);
    if (me.account || me.role === 'open') {
      needSignIn = false;
      await registerKey();
    }
  } catch { /* offline: the form keeps working, and sends later */ }
}

function showAccount(me) {
  $('signin').hidden = !!me;
  $('who').textContent = me ? t('signed_in_as', { name: me.account }) : (needSignIn ? t('sign_in_to_send') : '');
  document.body.dataset.account = me ? me.account : '';
}

/** Registers the device's key with the mission as this account's (once; a repeat is refused). */
async function registerKey() {
  const key = await deviceKey();
  if (!key || key.registered) return;
  try {
    const r = await fetch('/api/v1/keys', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ key: key.vkey }),
    });
    if (r.status === 201 || r.status === 409) {
      await tx('keys', 'readwrite', (s) => s.put({ ...key, registered: true }));
      showKey();
    }
  } catch { /* offline: tried again at the next sign-in */ }
}

async function signIn(e) {
  e.preventDefault();
  const r = await fetch('/api/v1/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: $('signin-name').value, password: $('signin-password').value }),
  }).catch(() => null);
  if (!r || !r.ok) { $('signin-error').textContent = t('signin_failed'); return; }
  $('signin-error').textContent = '';
  $('signin-password').value = '';
  needSignIn = false;
  await whoAmI();
  flush(true);
}

async function refreshWeapons() {
  // While online, learn the agreement's weapon classes for the list (kept for offline use).
  try {
    const l = await (await fetch('/api/v1/map/layers')).json();
    localStorage.setItem('truceline.weapons', JSON.stringify(l.agreement.weapon_classes.map((w) => ({ id: w.id, name: w.name }))));
    localStorage.setItem('truceline.parties', JSON.stringify(l.agreement.parties));
    const lines = [];
    for (const f of l.agreement.layers.features.filter((f) => f.properties.layer === 'line_of_contact')) {
      const g = f.geometry;
      if (g.type === 'LineString') lines.push(g.coordinates); else if (g.type === 'MultiLineString') lines.push(...g.coordinates);
    }
    localStorage.setItem(MAP_KEY, JSON.stringify({ lines, places: (l.places || []).map(([n, a, b]) => [n, a, b]) }));
    drawMap();
    fillSelects();
  } catch { /* offline: the kept list will do */ }
}

function main() {
  apply();
  fillSelects();
  $('observer').value = localStorage.getItem('truceline.observer') || '';
  setNow();
  locate();
  $('kind').addEventListener('change', () => { $('subtype').disabled = $('kind').value !== 'explosion'; });
  $('what').addEventListener('change', showWhat);
  for (const id of ['lon', 'lat', 'bearing', 'dist-min', 'dist-max']) $(id).addEventListener('input', drawMap);
  $('fmap').addEventListener('click', pickOnMap);
  $('compass').addEventListener('click', takeCompass);
  $('pick').addEventListener('change', () => { if (!$('pick').checked) { picked = null; $('picked').textContent = ''; } drawMap(); });
  showWhat();
  $('observer').addEventListener('change', () => localStorage.setItem('truceline.observer', $('observer').value.trim()));
  $('gps').addEventListener('click', locate);
  $('now').addEventListener('click', setNow);
  $('obs').addEventListener('submit', save);
  $('send').addEventListener('click', () => flush(true));
  $('make-key').addEventListener('click', async () => {
    const observer = $('observer').value.trim();
    if (!observer) { say(`${t('observer')}: ${t('required')}`, true); $('observer').focus(); return; }
    await makeKey(`${observer}-device`);
    showKey();
    registerKey();
  });
  $('signin').addEventListener('submit', signIn);
  document.addEventListener('languagechange-ui', () => { fillSelects(); showWhat(); showConnection(); renderQueue(); showKey(); });
  window.addEventListener('online', () => { showConnection(); whoAmI(); flush(); });
  window.addEventListener('offline', showConnection);
  setInterval(flush, RETRY_MS);
  showConnection();
  showKey();
  renderQueue().then(flush);
  drawMap();
  if (navigator.onLine) { refreshWeapons(); whoAmI(); }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' })
      .then(() => navigator.serviceWorker.ready)
      .then(() => { document.body.dataset.offlineReady = 'true'; })
      .catch((e) => console.warn('offline use unavailable:', e.message));
  }
}

main();
