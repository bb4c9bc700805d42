// Incidents and point records drawn on a 2D canvas laid over the map, not as MapLibre layers.
//
// Every change of a MapLibre GeoJSON source is tiled again in its worker, asks the page for the
// icons it needs, and is drawn in one full WebGL frame per batch of tiles that comes back: with
// software rendering (machines without a GPU) 150 ms a frame, so a filter change took 0.5–1.2 s
// although the page's own work (selection and binning, cluster.js) took 20 ms. The page already
// hands the map at most a few thousand markers; drawn here they cost a few milliseconds, and a
// filter change no longer draws the base map again. While the map moves, the markers are drawn
// after each of its frames (its `render` event), so they move with it.
//
//   const overlay = new Overlay(map, { kindColours, recordColours });
//   overlay.setIncidents(gridCluster(store, rows, 6, 48));   // drawn at once
//   overlay.at(e.point);   // { layer: 'clusters' | 'points' | 'record-points', feature } or null

import { mercator } from '/assets/incidents.js';

/** MapLibre's tiles are 512 px: the world is 512·2^zoom pixels across. */
const TILE = 512;
/** Markers this far outside the view are not drawn (the biggest cluster is 44 px across). */
const MARGIN_PX = 50;

/** Piecewise-linear interpolation over stops [x0, y0, x1, y1, …], clamped at both ends. */
export function interpolate(x, stops) {
  if (x <= stops[0]) return stops[1];
  for (let k = 2; k < stops.length; k += 2) {
    if (x <= stops[k]) {
      const x0 = stops[k - 2], y0 = stops[k - 1];
      return y0 + ((x - x0) / (stops[k] - x0)) * (stops[k + 1] - y0);
    }
  }
  return stops[stops.length - 1];
}

/** A cluster's radius in px: grows with the square root of its members, 10 px to 44 px. */
export const clusterRadius = (count) => interpolate(Math.sqrt(count), [1, 10, 30, 30, 100, 44]);

/** A single incident's radius in px, by zoom and by how many events it counts. */
export const pointRadius = (zoom, n) => {
  const r = Math.sqrt(n);
  return interpolate(zoom, [8, 3 + r, 14, 6 + 2 * r]);
};

/** A cluster's fill: white when none of its incidents is a violation, salmon when all are. */
export function clusterFill(viol, count) {
  const f = Math.max(0, Math.min(1, viol / count));
  const mix = (a, b) => Math.round(a + (b - a) * f);
  return `rgb(${mix(255, 0xf3)},${mix(255, 0xc3)},${mix(255, 0xa6)})`;
}

export class Overlay {
  constructor(map, { kindColours, recordColours }) {
    this.map = map;
    this.kindColours = kindColours;
    this.recordColours = recordColours;
    this.incidents = [];   // binned features (cluster.js), with their Web-Mercator x and y
    this.records = [];
    this.hits = [];        // what the last draw put in view, in drawing order
    const c = (this.canvas = document.createElement('canvas'));
    c.className = 'incident-overlay';
    c.setAttribute('aria-hidden', 'true');
    // Above the map's own canvas, below its markers and popups (added after it).
    const gl = map.getCanvas();
    gl.parentNode.insertBefore(c, gl.nextSibling);
    this.g = c.getContext('2d');
    // The map's size is read when it changes, not at each draw: reading it would make the
    // browser lay out the page then and there, after the list beside the map changed.
    this.measure();
    map.on('render', () => this.draw());
    map.on('resize', () => { this.measure(); this.draw(); });
  }

  /** The incidents to draw: features as `gridCluster` and `pointFeature` give them. */
  setIncidents(features) {
    this.incidents = features.map(placed);
    this.draw();
  }

  /** The point records to draw (GeoJSON features with a `type` property). */
  setRecords(features) {
    this.records = features.map(placed);
    this.draw();
  }

  /** Every incident feature held, in view or not. */
  features() {
    return this.incidents.map((p) => p.f);
  }

  /** What the last draw put in view: `{ layer, feature }`, in drawing order. */
  rendered() {
    return this.hits.map((h) => ({ layer: h.layer, feature: h.f }));
  }

  /** The topmost marker under the screen point `{x, y}`, or null. */
  at(point) {
    for (let k = this.hits.length - 1; k >= 0; k--) {
      const h = this.hits[k];
      const dx = point.x - h.x, dy = point.y - h.y;
      if (dx * dx + dy * dy <= (h.r + 2) ** 2) return { layer: h.layer, feature: h.f };
    }
    return null;
  }

  /**
   * A cluster's count as a bitmap, made once a text: copying a bitmap is several times quicker
   * than shaping and stroking the text again for each of hundreds of clusters in every frame.
   */
  label(text, dpr) {
    const key = `${text}@${dpr}`;
    this.labels ??= new Map();
    let c = this.labels.get(key);
    if (c) return c;
    const w = 9 * text.length + 12, h = 20;
    c = document.createElement('canvas');
    c.width = Math.ceil(w * dpr); c.height = Math.ceil(h * dpr);
    const g = c.getContext('2d');
    g.scale(dpr, dpr);
    g.font = '600 12px system-ui, sans-serif';
    g.textAlign = 'center'; g.textBaseline = 'middle';
    g.lineWidth = 3; g.strokeStyle = '#ffffff'; g.strokeText(text, w / 2, h / 2);
    g.fillStyle = '#1c2430'; g.fillText(text, w / 2, h / 2 + 0.5);
    this.labels.set(key, c);
    return c;
  }

  /** Screen position of a Web-Mercator point, for the map as it is drawn now. */
  projector() {
    const m = this.map;
    if (m.getBearing() === 0 && m.getPitch() === 0) {
      // North up and flat: a scale and a shift, exact, without a call into the map per marker.
      const c = m.getCenter();
      const [cx, cy] = mercator(c.lng, c.lat);
      const p = m.project(c);
      const ws = TILE * 2 ** m.getZoom();
      return (x, y) => [p.x + (x - cx) * ws, p.y + (y - cy) * ws];
    }
    return (x, y, lonlat) => { const q = m.project(lonlat); return [q.x, q.y]; };
  }

  measure() {
    const box = this.map.getCanvas();
    this.size = [box.clientWidth, box.clientHeight];
  }

  draw() {
    const m = this.map, c = this.canvas, g = this.g;
    const [w, h] = this.size, dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
      c.style.width = `${w}px`; c.style.height = `${h}px`;
    }
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const project = this.projector();
    const zoom = m.getZoom();
    const hits = [];
    const inView = (x, y) => x >= -MARGIN_PX && y >= -MARGIN_PX && x <= w + MARGIN_PX && y <= h + MARGIN_PX;
    const points = [];
    // Clusters first, single incidents above them (as the layers were ordered), records on top.
    for (const p of this.incidents) {
      const [x, y] = project(p.x, p.y, p.f.geometry.coordinates);
      if (!inView(x, y)) continue;
      const q = p.f.properties;
      if (!q.cluster) { points.push([x, y, p.f]); continue; }
      const r = clusterRadius(q.point_count);
      disc(g, x, y, r, clusterFill(q.viol, q.point_count), '#5b2a86', 1.4);
      const label = this.label(q.point_count_abbreviated, dpr);
      g.drawImage(label, x - label.width / dpr / 2, y - label.height / dpr / 2, label.width / dpr, label.height / dpr);
      hits.push({ layer: 'clusters', x, y, r, f: p.f });
    }
    for (const [x, y, f] of points) {
      const q = f.properties;
      const r = pointRadius(zoom, q.n);
      const v = q.v === 1;
      disc(g, x, y, r, this.kindColours[q.kind] || '#000', v ? '#1c2430' : '#ffffff', v ? 1.6 : 0.8);
      hits.push({ layer: 'points', x, y, r, f });
    }
    for (const p of this.records) {
      const [x, y] = project(p.x, p.y, p.f.geometry.coordinates);
      if (!inView(x, y)) continue;
      const q = p.f.properties;
      const r = q.type === 'site' ? 6 + Math.min(6, q.missing || 0) : 5;
      disc(g, x, y, r, '#ffffff', this.recordColours[q.type] || '#000', 3);
      hits.push({ layer: 'record-points', x, y, r, f: p.f });
    }
    this.hits = hits;
  }
}

function placed(f) {
  const [lon, lat] = f.geometry.coordinates;
  const [x, y] = mercator(lon, lat);
  return { x, y, f };
}

function disc(g, x, y, r, fill, stroke, width) {
  g.beginPath();
  g.arc(x, y, r, 0, 2 * Math.PI);
  g.fillStyle = fill;
  g.fill();
  g.lineWidth = width;
  g.strokeStyle = stroke;
  g.stroke();
}
