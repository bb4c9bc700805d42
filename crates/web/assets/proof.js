// Checks, in the browser and without trusting the server, that an incident's observations are in
// the evidence log: each disclosed field against its leaf's committed form (SPEC 4.2), each
// leaf's RFC 9162 inclusion proof folded up to the root of a C2SP checkpoint, and the
// checkpoint's Ed25519 signature against the log key. Only
// WebCrypto is used (SHA-256 and Ed25519), so what this proves rests on the browser alone.
//
// The log key itself comes from the server; a reader who has the mission's published key should
// compare its id (shown with the badge). The key first seen is remembered, and a change is an error.

const enc = new TextEncoder();

export function b64decode(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** RFC 6962 leaf hash: SHA-256(0x00 || leaf). */
export function leafHash(leaf) {
  return sha256(Uint8Array.of(0), leaf);
}

/** The root an inclusion proof leads to (RFC 9162 section 2.1.3.2), or null if it is malformed. */
export async function rootFromInclusionProof(index, size, leafHashBytes, path) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn > sn) return null;
  let r = leafHashBytes;
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

/** A C2SP verifier key `name+hex8+base64(0x01 || key)`, checked against its own id. */
export async function parseVerifierKey(text) {
  // The key's base64 may itself hold '+': only the first two separate fields.
  const [name, id, ...rest] = text.trim().split('+');
  const b64 = rest.join('+');
  if (!name || !id || !b64) throw new Error('log key: expected name+id+key');
  const raw = b64decode(b64);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error('log key: not an Ed25519 key');
  const digest = await sha256(enc.encode(name), Uint8Array.of(10), raw);
  if (hex(digest.slice(0, 4)) !== id) throw new Error('log key: the id does not match the key');
  const key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
  return { name, id, key, text: text.trim() };
}

/** A C2SP checkpoint note: its signed text, origin, size and root, and its signature lines. */
export function parseCheckpoint(note) {
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('checkpoint: no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = text.split('\n');
  if (lines.length < 4) throw new Error('checkpoint: expected origin, size and root');
  const size = BigInt(lines[1]);
  const root = b64decode(lines[2]);
  const sigs = note.slice(split + 2).split('\n').filter((l) => l.startsWith('\u2014 ')).map((l) => {
    const [name, b64] = l.slice(2).split(' ');
    const raw = b64decode(b64);
    return { name, id: hex(raw.slice(0, 4)), sig: raw.slice(4) };
  });
  return { text, origin: lines[0], size, root, sigs };
}

function b64urlDecode(s) {
  return b64decode(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The committed form's canonical bytes (RFC 8785): its shape is fixed, so it is written here
 * rather than by a general canonicaliser; anything else in it is refused.
 */
function committedBytes(c) {
  const keys = c && typeof c === 'object' ? Object.keys(c) : [];
  if (keys.length !== 2 || c.commitment !== 'truceline-sd/1' || !c.fields || typeof c.fields !== 'object') {
    throw new Error('not a truceline-sd/1 committed form');
  }
  // Keys sort by UTF-16 code units in RFC 8785, as Array.prototype.sort does.
  const names = Object.keys(c.fields).sort();
  for (const n of names) {
    if (typeof c.fields[n] !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(c.fields[n])) throw new Error(`the digest of ${n} is not a SHA-256 in base64url`);
  }
  const fields = names.map((n) => `${JSON.stringify(n)}:${JSON.stringify(c.fields[n])}`).join(',');
  return enc.encode(`{"commitment":"truceline-sd/1","fields":{${fields}}}`);
}

/** The parsed checkpoint `cp`'s signature by `key`: undefined if it has none, else whether it verifies. */
async function signatureBy(cp, key) {
  const sig = cp.sigs.find((s) => s.name === key.name && s.id === key.id);
  return sig && crypto.subtle.verify({ name: 'Ed25519' }, key.key, sig.sig, enc.encode(cp.text));
}

/** Whether leaf `bytes` at `index` is proved by `path` (base64 hashes) under the checkpoint `cp`. */
async function provedIn(cp, index, bytes, path) {
  const root = await rootFromInclusionProof(index, cp.size, await leafHash(bytes), path.map(b64decode));
  return !!root && equal(root, cp.root);
}

/**
 * Follows the rotations of the log's key the log announces (`/api/v1/log/keys`) from the key
 * this browser trusted first to `current`: each handover checkpoint signed by the key trusted
 * before it and by the new one, the announcement proved in it. Throws if they do not lead there.
 */
export async function followRotations(pinned, current) {
  const served = await (await fetch('/api/v1/log/keys')).json();
  let key = pinned;
  for (const h of served.rotations || []) {
    const record = JSON.parse(h.record);
    if (record.old !== key) continue;
    const [oldKey, newKey] = [await parseVerifierKey(record.old), await parseVerifierKey(record.new)];
    const cp = parseCheckpoint(h.checkpoint);
    if (!(await signatureBy(cp, oldKey)) || !(await signatureBy(cp, newKey))) {
      throw new Error('a rotation of the log key is not signed by both keys');
    }
    if (!(await provedIn(cp, h.log_index, enc.encode(`{"key_rotation":${h.record}}`), h.proof))) {
      throw new Error('a rotation of the log key is not proved in its checkpoint');
    }
    key = record.new;
  }
  if (key !== current) throw new Error('the log key differs from the one this browser saw first, and no rotation the log announced leads to it');
  return key;
}

async function checkpointUnder(note, keyText, pinned) {
  const key = await parseVerifierKey(keyText);
  if (pinned && pinned !== key.text) await followRotations(pinned, key.text);
  const cp = parseCheckpoint(note);
  const good = await signatureBy(cp, key);
  if (good === undefined) throw new Error('the checkpoint has no signature by the log key');
  if (!good) throw new Error('the checkpoint signature does not verify');
  return { key, cp };
}

/**
 * Verifies an incident's evidence document (SPEC 4.2, as `GET /api/v1/incidents/{id}/evidence`
 * gives it) under the log key `keyText`: the checkpoint's signature; for every item, each
 * disclosure against the digest its field committed to, and the committed form's inclusion under
 * the signed root. Leaves logged before the committed form (`uncommitted`) are checked from the
 * incident's `proof` when the reader has it (the mission's readers), by showing the whole leaf.
 * Resolves to `{ok, verified, total, pending, size, key, witnesses, items, reason}`; `items`
 * holds what each verified leaf discloses and the names it withholds.
 */
export async function verifyEvidence(doc, keyText, pinned, incident) {
  const ids = (incident && incident.observations) || [];
  const total = Math.max(ids.length, doc.items.length + (doc.uncommitted || []).length);
  const fail = (verified, reason, key) => ({ ok: false, verified, total, key, reason });
  let key, cp;
  try { ({ key, cp } = await checkpointUnder(doc.checkpoint, keyText, pinned)); } catch (e) { return fail(0, e.message); }
  let verified = 0;
  const items = [];
  for (const item of doc.items) {
    let bytes;
    try { bytes = committedBytes(item.committed); } catch (e) { return fail(verified, `leaf ${item.log_index}: ${e.message}`, key); }
    const fields = {};
    for (const d of item.disclosures) {
      const raw = b64urlDecode(d);
      let parsed;
      try { parsed = JSON.parse(new TextDecoder().decode(raw)); } catch { parsed = null; }
      if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[1] !== 'string') {
        return fail(verified, `leaf ${item.log_index}: a disclosure is not [salt, name, value]`, key);
      }
      const [, name, value] = parsed;
      if (item.committed.fields[name] !== b64url(await sha256(raw)) || name in fields) {
        return fail(verified, `leaf ${item.log_index}: the disclosure of ${name} is not one the committed form holds`, key);
      }
      fields[name] = value;
    }
    if (!(await provedIn(cp, item.log_index, bytes, item.proof))) return fail(verified, `leaf ${item.log_index}: the inclusion proof does not lead to the signed root`, key);
    const withheld = Object.keys(item.committed.fields).filter((n) => !(n in fields)).sort();
    items.push({ log_index: item.log_index, fields, withheld });
    verified++;
  }
  const plain = new Map(((incident && incident.proof && incident.proof.leaves) || []).map((l) => [l.index, l]));
  const wanted = new Set(ids);
  for (const index of doc.uncommitted || []) {
    const leaf = plain.get(index);
    if (!leaf) continue;
    const bytes = b64decode(leaf.leaf);
    let record;
    try { record = JSON.parse(new TextDecoder().decode(bytes)); } catch { record = null; }
    const id = record && record.observation && record.observation.id;
    if (!wanted.has(id)) return fail(verified, `leaf ${index} is not one of this incident's observations`, key);
    if (!(await provedIn(cp, index, bytes, leaf.hashes))) return fail(verified, `leaf ${index}: the inclusion proof does not lead to the signed root`, key);
    wanted.delete(id);
    verified++;
  }
  // Observations newer than the checkpoint are proved by the next one (signed every second).
  // Cosignature lines by other names than the log's: the witnesses the log says vouched for
  // this checkpoint (their keys are not known here; `truceline_verify.py --witness` checks them).
  const witnesses = [...new Set(cp.sigs.filter((s) => s.name !== key.name).map((s) => s.name))];
  return {
    ok: verified > 0, verified, total, pending: total - verified, size: Number(cp.size), key, witnesses, items,
    reason: verified > 0 ? null : 'no observation of this incident is in the checkpoint yet',
  };
}
