// Grid clustering of incidents for one zoom level, done on the page in one pass over the rows.
//
// MapLibre's own clustering (supercluster in its worker) indexes every zoom level of every point
// at each `setData`: seconds for 100,000 incidents with software rendering, and again for every
// filter change. A map shows one zoom at a time, so the page bins only the rows passing the
// filter into square cells of `cellPx` screen pixels at the current whole zoom (Elasticsearch's
// geotile grid, in effect) and hands MapLibre a few thousand features. A cell's marker sits at
// its members' mean position, not the cell's centre, so the grid does not show.
//
//   const features = gridCluster(store, rows, 6, 48);   // at zoom 6, 48-px cells
//   features.filter((f) => f.properties.cluster).length // the clusters; the rest are single incidents

import { unmercator } from '/assets/incidents.js';

/** MapLibre's tiles are 512 px: the world is 512·2^zoom pixels across. */
const TILE = 512;

/** The most cells binned through an array (16 MB of Int32): zooms up to 8 with 48-px cells. */
const DENSE_CELLS = 1 << 22;
let slotsBuffer = new Int32Array(0);
function denseSlots(n) {
  if (slotsBuffer.length < n) slotsBuffer = new Int32Array(n);
  return slotsBuffer;
}

/** `1234` → `1.2k`, as MapLibre abbreviates cluster counts. */
export function abbreviate(n) {
  if (n >= 10000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${Math.round(n / 100) / 10}k`;
  return String(n);
}

/** A single incident as a map feature. */
export function pointFeature(store, i) {
  const c = store.cols;
  return {
    type: 'Feature', geometry: { type: 'Point', coordinates: [c.lon[i], c.lat[i]] },
    // The row, not the id: ids are read from the store only when one is opened.
    properties: { row: i, kind: store.kinds[c.kind[i]], n: c.n[i], v: c.v[i] > 0 ? 1 : 0 },
  };
}

/**
 * The rows (row numbers of `store`) at whole zoom `zoom`, binned into `cellPx` cells. A cell with
 * one incident gives that incident's point; a cell with more gives a cluster with `point_count`,
 * `point_count_abbreviated`, `events` (the sum of counts) and `viol` (how many with violations).
 * `bbox` ([x0, y0, x1, y1] in Web-Mercator units) leaves out the rows outside it.
 */
export function gridCluster(store, rows, zoom, cellPx, bbox) {
  const c = store.cols;
  const cells = (TILE * 2 ** Math.floor(zoom)) / cellPx;
  // Zoomed out, a cell's number indexes an array (cleared after, only where it was written);
  // zoomed in, the cells are too many for one and a Map keeps the few that are used.
  const grid = Math.ceil(cells) ** 2;
  const slots = grid <= DENSE_CELLS ? denseSlots(grid) : null;
  const at = slots ? null : new Map();
  // Per cell: members, events, violations, sum of x, sum of y, the first member's row.
  const acc = [];
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const x = c.mx[i], y = c.my[i];
    if (bbox && (x < bbox[0] || x > bbox[2] || y < bbox[1] || y > bbox[3])) continue;
    const key = Math.floor(x * cells) * Math.ceil(cells) + Math.floor(y * cells);
    let a = slots ? slots[key] - 1 : at.get(key) ?? -1;
    if (a < 0) {
      a = acc.length;
      if (slots) slots[key] = a + 1; else at.set(key, a);
      acc.push([0, 0, 0, 0, 0, i, key]);
    }
    const cell = acc[a];
    cell[0] += 1;
    cell[1] += c.n[i];
    cell[2] += c.v[i] > 0 ? 1 : 0;
    cell[3] += x;
    cell[4] += y;
  }
  if (slots) for (const cell of acc) slots[cell[6]] = 0;
  const features = new Array(acc.length);
  for (let a = 0; a < acc.length; a++) {
    const [count, events, viol, sx, sy, first] = acc[a];
    if (count === 1) { features[a] = pointFeature(store, first); continue; }
    features[a] = {
      type: 'Feature', geometry: { type: 'Point', coordinates: unmercator(sx / count, sy / count) },
      properties: { cluster: true, point_count: count, point_count_abbreviated: abbreviate(count), events, viol },
    };
  }
  return features;
}
