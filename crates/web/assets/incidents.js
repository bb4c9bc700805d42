// Every published incident the dashboard knows, held as columns (typed arrays), not objects: a
// month of a mission is 100,000 incidents, and the map, filters and list must stay quick with them.
//
// Filled from `/api/v1/map/incidents?format=binary` (layout in crates/server/src/map.rs), then
// kept current from `/api/v1/stream`. Rows are never moved: a removed incident is only marked,
// so a row number stays valid for the page's life.
//
//   const store = Incidents.decode(await (await fetch(url)).arrayBuffer());
//   const rows = store.select({ from, until, kind: 'explosion', violations: true });
//   store.row(rows[rows.length - 1]);   // the newest of them, as an object

const NONE8 = 255;
const NONE16 = 65535;
const SIZES = { u8: 1, u16: 2, u32: 4, f32: 4 };
const VIEWS = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, f32: Float32Array };

/** Web-Mercator x and y in [0, 1], the plane the map clusters in. */
export function mercator(lon, lat) {
  const s = Math.sin((Math.max(-85.05, Math.min(85.05, lat)) * Math.PI) / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}

export function unmercator(x, y) {
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
  return [x * 360 - 180, lat];
}

const COLUMNS = {
  t: Float64Array, lon: Float64Array, lat: Float64Array, mx: Float64Array, my: Float64Array,
  major: Float32Array, minor: Float32Array, az: Float32Array, conf: Float32Array, n: Uint32Array,
  v: Uint16Array, weapon: Uint16Array, kind: Uint8Array, subtype: Uint8Array, control: Uint8Array,
  party: Uint8Array, alive: Uint8Array,
};

export class Incidents {
  constructor(capacity = 1024) {
    this.n = 0;            // rows used (alive or not)
    this.alive = 0;
    this._ids = [];
    this._byId = new Map();
    this.pendingIds = null;
    this.kinds = [];
    this.strings = [];
    this.stringIndex = new Map();
    this.order = new Uint32Array(0);   // row numbers by time, when `sorted`
    this.sorted = true;
    this.cols = {};
    for (const [k, T] of Object.entries(COLUMNS)) this.cols[k] = new T(capacity);
  }

  /** The binary answer of `/api/v1/map/incidents?format=binary`, as a store. */
  static decode(buf) {
    const bytes = new Uint8Array(buf);
    const magic = String.fromCharCode(...bytes.subarray(0, 4));
    if (magic !== 'TLC1') throw new Error(`not Truceline columns (starts ${JSON.stringify(magic)})`);
    const headLen = new DataView(buf).getUint32(4, true);
    const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLen)));
    const count = head.count;
    const src = {};
    let off = 8 + headLen;
    for (const [name, type] of head.columns) {
      src[name] = new VIEWS[type](buf, off, count);
      off += Math.ceil((count * SIZES[type]) / 4) * 4;
    }
    const idText = bytes.subarray(off);

    const s = new Incidents(Math.max(1024, Math.ceil(count * 1.25)));
    s.kinds = head.kinds.slice();
    s.strings = head.strings.slice();
    s.strings.forEach((x, i) => s.stringIndex.set(x, i));
    s.meta = { watermark: head.watermark, pending: head.pending };
    const c = s.cols;
    const base = head.time_base_ms;
    for (let i = 0; i < count; i++) {
      c.t[i] = base + src.time[i] * 1000;
      const lon = src.lon[i], lat = src.lat[i];
      c.lon[i] = lon; c.lat[i] = lat;
      const [x, y] = mercator(lon, lat);
      c.mx[i] = x; c.my[i] = y;
    }
    c.major.set(src.major); c.minor.set(src.minor); c.az.set(src.azimuth); c.conf.set(src.confidence);
    c.n.set(src.count_events); c.v.set(src.violations); c.weapon.set(src.weapon); c.kind.set(src.kind);
    for (const k of ['subtype', 'control', 'party']) c[k].set(src[k]);
    c.alive.fill(1, 0, count);
    // Ids are decoded one by one as asked for: the first drawing of the map needs none of them.
    const starts = new Uint32Array(count + 1);
    let k = 1;
    for (let j = 0; j < idText.length && k < count; j++) if (idText[j] === 10) starts[k++] = j + 1;
    if (count && k !== count) throw new Error(`expected ${count} ids, found ${k}`);
    starts[count] = idText.length + 1;
    s.pendingIds = { text: idText, starts, count };
    s.n = s.alive = count;
    // The server sends incidents in time order.
    s.order = new Uint32Array(s.cols.t.length);
    for (let i = 0; i < count; i++) s.order[i] = i;
    s.sorted = true;
    for (let i = 1; i < count && s.sorted; i++) if (c.t[i] < c.t[i - 1]) s.sorted = false;
    return s;
  }

  /** Row → id. */
  id(i) {
    if (this._ids[i] !== undefined) return this._ids[i];
    const p = this.pendingIds;
    if (!p || i >= p.count) return undefined;
    // Ids are ASCII (SPEC: A-Z a-z 0-9 . _ : ~ -), so bytes are characters.
    const id = String.fromCharCode.apply(null, p.text.subarray(p.starts[i], p.starts[i + 1] - 1));
    this._ids[i] = id;
    return id;
  }

  /** Id → row, for the incidents alive; built on first use (the map's first drawing needs none). */
  get byId() {
    const p = this.pendingIds;
    if (p) {
      for (let i = 0; i < p.count; i++) if (this.cols.alive[i]) this._byId.set(this.id(i), i);
      this.pendingIds = null;   // every id is in _ids now
    }
    return this._byId;
  }

  string(i, none) { return i === none || i >= this.strings.length ? null : this.strings[i]; }

  intern(x, none) {
    if (x === null || x === undefined) return none;
    let i = this.stringIndex.get(x);
    if (i === undefined) {
      if (this.strings.length >= none) return none;
      i = this.strings.length;
      this.strings.push(x);
      this.stringIndex.set(x, i);
    }
    return i;
  }

  kindIndex(k) {
    let i = this.kinds.indexOf(k);
    if (i < 0) { i = this.kinds.length; this.kinds.push(k); }
    return i;
  }

  grow() {
    const cap = this.cols.t.length * 2;
    for (const [k, T] of Object.entries(COLUMNS)) {
      const a = new T(cap);
      a.set(this.cols[k]);
      this.cols[k] = a;
    }
    const o = new Uint32Array(cap);
    o.set(this.order);
    this.order = o;
  }

  /** A new or changed incident, as `/api/v1/stream` and `/api/v1/incidents/{id}` give it. */
  upsert(inc) {
    let i = this.byId.get(inc.id);
    const added = i === undefined;
    if (added) {
      if (this.n === this.cols.t.length) this.grow();
      i = this.n++;
      this._ids[i] = inc.id;
      this.byId.set(inc.id, i);
      this.alive++;
    }
    const c = this.cols;
    const t = Date.parse(inc.time);
    if (!added && c.t[i] !== t) this.sorted = false;
    c.t[i] = t;
    c.lon[i] = inc.location.lon; c.lat[i] = inc.location.lat;
    const [x, y] = mercator(inc.location.lon, inc.location.lat);
    c.mx[i] = x; c.my[i] = y;
    const e = inc.error_ellipse_m || {};
    c.major[i] = e.major || 0; c.minor[i] = e.minor || 0; c.az[i] = e.azimuth_deg || 0;
    const a = inc.attribution || {};
    c.conf[i] = a.confidence || 0;
    c.n[i] = inc.count ?? 1;
    c.v[i] = Math.min(NONE16, (inc.violations || []).length);
    c.kind[i] = this.kindIndex(inc.kind);
    c.subtype[i] = this.intern(inc.subtype, NONE8);
    c.control[i] = this.intern(inc.control, NONE8);
    c.party[i] = this.intern(a.party, NONE8);
    c.weapon[i] = this.intern(inc.weapon, NONE16);
    c.alive[i] = 1;
    // `order` holds every row ever added, alive or not; a late arrival sorts it again on next use.
    if (added) {
      if (i > 0 && t < c.t[this.order[i - 1]]) this.sorted = false;
      this.order[i] = i;
    }
    return i;
  }

  remove(id) {
    const i = this.byId.get(id);
    if (i === undefined) return false;
    this.byId.delete(id);
    this.cols.alive[i] = 0;
    this.alive--;
    return true;
  }

  /** The row as an object, for the list and the panel. */
  row(i) {
    const c = this.cols;
    return {
      row: i, id: this.id(i), t: c.t[i], lon: c.lon[i], lat: c.lat[i], kind: this.kinds[c.kind[i]],
      subtype: this.string(c.subtype[i], NONE8), n: c.n[i], v: c.v[i], party: this.string(c.party[i], NONE8),
      control: this.string(c.control[i], NONE8), weapon: this.string(c.weapon[i], NONE16), conf: c.conf[i],
      major: c.major[i], minor: c.minor[i], az: c.az[i],
    };
  }

  /** Earliest and latest time of the incidents alive, or null when there are none. */
  span() {
    this.ensureSorted();
    let lo = null, hi = null;
    for (let k = 0; k < this.n; k++) { const i = this.order[k]; if (this.cols.alive[i]) { lo = this.cols.t[i]; break; } }
    for (let k = this.n - 1; k >= 0; k--) { const i = this.order[k]; if (this.cols.alive[i]) { hi = this.cols.t[i]; break; } }
    return lo === null ? null : [lo, hi];
  }

  ensureSorted() {
    if (this.sorted) return;
    const t = this.cols.t;
    const o = Array.from({ length: this.n }, (_, k) => k).sort((a, b) => t[a] - t[b] || a - b);
    this.order.set(o);
    this.sorted = true;
  }

  /**
   * Rows passing a filter, oldest first: `from`/`until` in ms (half-open), `kind` a kind name,
   * `party` a party id or '-' for unattributed, `attributed` 'yes'/'no', `violations` true for
   * violations only. Empty or missing fields do not filter.
   */
  select(f = {}) {
    this.ensureSorted();
    const c = this.cols, o = this.order, n = this.n;
    const from = f.from ?? -Infinity, until = f.until ?? Infinity;
    // The first row at or after `from`, by bisection over the time order.
    let lo = 0, hi = n;
    while (lo < hi) { const m = (lo + hi) >>> 1; if (c.t[o[m]] < from) lo = m + 1; else hi = m; }
    const kind = f.kind ? this.kinds.indexOf(f.kind) : -1;
    const party = f.party && f.party !== '-' ? (this.stringIndex.get(f.party) ?? -2) : -1;
    const out = new Uint32Array(n - lo);
    let m = 0;
    for (let k = lo; k < n; k++) {
      const i = o[k];
      if (c.t[i] >= until) break;
      if (!c.alive[i]) continue;
      if (f.kind && c.kind[i] !== kind) continue;
      if (f.party === '-' && c.party[i] !== NONE8) continue;
      if (party !== -1 && c.party[i] !== party) continue;
      if (f.attributed === 'yes' && c.party[i] === NONE8) continue;
      if (f.attributed === 'no' && c.party[i] !== NONE8) continue;
      if (f.violations && c.v[i] === 0) continue;
      out[m++] = i;
    }
    return out.subarray(0, m);
  }
}
