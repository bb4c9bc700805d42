#!/usr/bin/env python3
"""An independent verifier of a Truceline evidence log.

Written from the texts of RFC 9162 (sections 2.1.1, 2.1.3.2, 2.1.4.2), C2SP signed-note,
tlog-checkpoint and tlog-cosignature, sharing no code with the log it checks. Needs only the
standard library, `hashlib`, and `cryptography` for Ed25519.

    truceline_verify.py URL [--log-key VKEY] [--witness VKEY ...] [--samples N] [--tiles]

Fetches the log's key, its signed checkpoint and every leaf (or, with --tiles, every C2SP
tlog-tiles hash tile, each level checked against the one below); recomputes the root; checks inclusion proofs for sampled leaves and consistency proofs from sampled earlier
sizes against the signed root; checks each given witness's cosignature. Exits 0 when everything
holds and 1 with the first failure otherwise.
"""

import argparse
import os
import base64
import hashlib
import json
import random
import struct
import sys
import urllib.error
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class VerifyError(Exception):
    pass


# ---- RFC 9162 2.1.1: the Merkle tree hash --------------------------------------------------

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """MTH over leaf hashes, by the recursive definition (iteratively, by the same split)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def roots_of_prefixes(leaves, sizes):
    """MTH of leaves[:s] for each s, computed with a stack of complete subtrees."""
    wanted = set(sizes)
    out = {}
    stack = []  # (height, hash)
    for i, leaf in enumerate(leaves):
        h, height = leaf, 0
        while stack and stack[-1][0] == height:
            h = node_hash(stack.pop()[1], h)
            height += 1
        stack.append((height, h))
        if i + 1 in wanted:
            r = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                r = node_hash(left, r)
            out[i + 1] = r
    return out


# ---- RFC 9162 2.1.3.2: verifying an inclusion proof ----------------------------------------

def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        raise VerifyError(f"leaf {index} is beyond tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerifyError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerifyError("inclusion proof too short")
    if r != root:
        raise VerifyError(f"inclusion proof of leaf {index} does not lead to the root")


# ---- RFC 9162 2.1.4.2: verifying a consistency proof ---------------------------------------

def verify_consistency(first, second, first_hash, second_hash, proof):
    if first == second:
        if proof or first_hash != second_hash:
            raise VerifyError("equal sizes need an empty proof and equal roots")
        return
    if first == 0 or first > second:
        raise VerifyError(f"bad sizes {first}, {second}")
    if not proof:
        raise VerifyError("empty consistency proof")
    if first & (first - 1) == 0:
        proof = [first_hash] + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise VerifyError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerifyError("consistency proof too short")
    if fr != first_hash:
        raise VerifyError(f"consistency proof does not lead to the root at size {first}")
    if sr != second_hash:
        raise VerifyError(f"consistency proof does not lead to the root at size {second}")


# ---- C2SP signed-note, tlog-checkpoint, tlog-cosignature -----------------------------------

def parse_vkey(vkey: str):
    name, key_id_hex, b64 = vkey.strip().split("+", 2)
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != 33:
        raise VerifyError("verifier key is not an algorithm byte and 32 bytes")
    alg, pub = raw[0], raw[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pub).digest()[:4]
    if key_id.hex() != key_id_hex:
        raise VerifyError(f"verifier key id of {name} does not match its key")
    return name, alg, key_id, Ed25519PublicKey.from_public_bytes(pub)


def open_note(note: str):
    """Splits a signed note into its text and (name, key id, signature bytes) lines."""
    i = note.rfind("\n\n")
    if i < 0:
        raise VerifyError("no blank line before the signatures")
    text, sigs = note[: i + 1], note[i + 2 :]
    lines = []
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            raise VerifyError("signature line does not start with an em dash")
        name, b64 = line[2:].split(" ", 1)
        raw = base64.b64decode(b64, validate=True)
        lines.append((name, raw[:4], raw[4:]))
    return text, lines


def check_signature(text, lines, vkey):
    """Returns the cosignature time (0 for a plain signature) of the matching line."""
    name, alg, key_id, pub = parse_vkey(vkey)
    for n, kid, sig in lines:
        if n != name or kid != key_id:
            continue
        try:
            if alg == 0x01:
                pub.verify(sig, text.encode())
                return 0
            if alg == 0x04 and len(sig) == 72:
                (t,) = struct.unpack(">Q", sig[:8])
                pub.verify(sig[8:], f"cosignature/v1\ntime {t}\n".encode() + text.encode())
                return t
        except InvalidSignature:
            pass
    raise VerifyError(f"no valid signature by {name}")


def parse_checkpoint(text: str):
    lines = text.split("\n")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    if len(root) != 32 or str(size) != lines[1]:
        raise VerifyError("malformed checkpoint")
    return origin, size, root


# ---- talking to the log --------------------------------------------------------------------

# The leaves are the records themselves (observers and all): reading them needs an account that
# may read restricted data. The key, checkpoints and proofs are public.
TOKEN = os.environ.get("TRUCELINE_TOKEN")


def fetch(url: str) -> bytes:
    req = urllib.request.Request(url)
    if TOKEN:
        req.add_header("Authorization", "Bearer " + TOKEN)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def fetch_json(url: str):
    return json.loads(fetch(url))


def b64s(values):
    return [base64.b64decode(v, validate=True) for v in values]


# ---- C2SP tlog-tiles ---------------------------------------------------------------------

TILE_WIDTH = 256


def tile_index(n: int) -> str:
    """N in groups of three digits, every group but the last behind "x"."""
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_url(api: str, level, n: int, width: int) -> str:
    url = f"{api}/tile/{level}/{tile_index(n)}"
    return url + (f".p/{width}" if width < TILE_WIDTH else "")


def fold(hashes):
    """The hash of a complete subtree from its 2^k nodes one level down, paired up."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def hashes_from_tiles(api: str, size: int):
    """Every leaf hash of the log of `size` leaves from its level-0 tiles, each higher level's
    tiles checked against the level below; returns the leaf hashes and the tiles read."""
    level, count, below, read = 0, size, None, 0
    leaves = None
    while count:
        got = []
        for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, count - n * TILE_WIDTH)
            data = fetch(tile_url(api, level, n, width))
            read += 1
            if len(data) != 32 * width:
                raise VerifyError(f"tile {level}/{n} has {len(data)} bytes, not {32 * width}")
            got.extend(data[i:i + 32] for i in range(0, len(data), 32))
        if below is not None:
            for k, h in enumerate(got):
                if fold(below[k * TILE_WIDTH:(k + 1) * TILE_WIDTH]) != h:
                    raise VerifyError(f"tile level {level}: hash {k} is not its 256 below")
        if leaves is None:
            leaves = got
        below, level, count = got, level + 1, count // TILE_WIDTH
    return leaves or [], read


def fetch_entries(api: str, start: int, end: int):
    """Yields leaves start..end from /entries, a page at a time (none held beyond its page)."""
    at = start
    while at < end:
        page = b64s(fetch_json(f"{api}/entries?start={at}&end={end}")["entries"])
        if not page:
            raise VerifyError(f"the log returned no entries from {at}")
        at += len(page)
        yield from page


def entries_from_bundles(api: str, size: int):
    """The leaves from the entry bundles (each a big-endian u16 length then the entry); a
    bundle the log cannot give (an entry too long for it) read from /entries instead."""
    out = []
    for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - n * TILE_WIDTH)
        try:
            data = fetch(tile_url(api, "entries", n, width))
        except urllib.error.HTTPError as e:
            if e.code != 400:
                raise
            out.extend(fetch_entries(api, n * TILE_WIDTH, n * TILE_WIDTH + width))
            continue
        got, at = [], 0
        while at < len(data):
            (length,) = struct.unpack(">H", data[at:at + 2])
            got.append(data[at + 2:at + 2 + length])
            at += 2 + length
        if len(got) != width or at != len(data):
            raise VerifyError(f"entry bundle {n} holds {len(got)} entries, not {width}")
        out.extend(got)
    return out


# ---- Selective disclosure (SPEC 4.2) --------------------------------------------------------

def b64url_nopad(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    if "=" in text:
        raise VerifyError("a disclosure is padded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(value) -> bytes:
    """RFC 8785 for the values a committed form and its disclosures hold (strings, integers,
    decimals as JSON writes them, objects, arrays)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      allow_nan=False).encode()


def verify_evidence(doc, log_key):
    """Checks an evidence document; returns what each item discloses and withholds."""
    text, sig_lines = open_note(doc["checkpoint"])
    check_signature(text, sig_lines, log_key)
    origin, size, root = parse_checkpoint(text)
    out = []
    for n, item in enumerate(doc["items"], 1):
        c = item["committed"]
        if set(c) != {"commitment", "fields"} or c["commitment"] != "truceline-sd/1":
            raise VerifyError(f"item {n}: not a truceline-sd/1 committed form")
        digests = {}
        for name, d in c["fields"].items():
            if not isinstance(d, str) or len(d) != 43:
                raise VerifyError(f"item {n}: field {name}: not a digest")
            digests[d] = name
        i = item["log_index"]
        leaf = leaf_hash(canonical(c))
        verify_inclusion(i, size, leaf, b64s(item["proof"]), root)
        shown = {}
        for k, d in enumerate(item["disclosures"], 1):
            raw = b64url_decode(d)
            name = digests.get(b64url_nopad(hashlib.sha256(raw).digest()))
            if name is None:
                raise VerifyError(f"item {n}, disclosure {k}: its digest is not committed")
            salt, said, value = json.loads(raw)
            if said != name or canonical([salt, said, value]) != raw:
                raise VerifyError(f"item {n}, disclosure {k}: not the disclosure of {name}")
            if name in shown:
                raise VerifyError(f"item {n}: {name} disclosed twice")
            shown[name] = value
        out.append({"log_index": i, "fields": shown,
                    "withheld": sorted(set(c["fields"]) - set(shown))})
    return {"origin": origin, "size": size, "items": out,
            "uncommitted": doc.get("uncommitted", [])}


def evidence_in_tiles(doc, base):
    """Reads the log of the evidence's checkpoint from the server's public tiles alone:
    its root must be the signed one, and each item's leaf must be the tiles' leaf at its index."""
    text, _ = open_note(doc["checkpoint"])
    _, size, root = parse_checkpoint(text)
    leaves, read = hashes_from_tiles(base.rstrip("/") + "/api/v1/log", size)
    if mth(leaves) != root:
        raise VerifyError(f"the tiles of the log of {size} leaves do not hash to the signed root")
    for n, item in enumerate(doc["items"], 1):
        if leaves[item["log_index"]] != leaf_hash(canonical(item["committed"])):
            raise VerifyError(f"item {n}: leaf {item['log_index']} in the tiles is another")
    return {"tiles_read": read, "root_from_tiles": "matches the signed checkpoint"}


def follow_rotations(api, trusted):
    """The log's current key, reached from `trusted` through the rotations the log announces
    (/keys): each handover checkpoint signed by the key trusted before it and by the new key,
    and the announcement (a key_rotation leaf naming the two) proved in it. Returns the current
    key and the rotations followed."""
    served = fetch_json(api + "/keys")
    key, followed = trusted.strip(), []
    for n, h in enumerate(served["rotations"], 1):
        record = json.loads(h["record"])
        if record["old"] != key and not followed:
            continue  # a rotation before the key trusted: vouched for by that key's handover
        if record["old"] != key:
            raise VerifyError(f"rotation {n} replaces {record['old']}, not the key trusted then")
        text, sigs = open_note(h["checkpoint"])
        check_signature(text, sigs, key)
        check_signature(text, sigs, record["new"])
        _, size, root = parse_checkpoint(text)
        leaf = b'{"key_rotation":' + h["record"].encode() + b"}"
        verify_inclusion(h["log_index"], size, leaf_hash(leaf), b64s(h["proof"]), root)
        key = record["new"]
        followed.append({"to": key, "from_size": size})
    if key != served["key"].strip() and trusted.strip() != served["key"].strip():
        raise VerifyError("the log's key is not reached from the key given by rotations it announced")
    return served["key"].strip(), followed


def verify_log(base, log_key=None, witnesses=(), samples=20, seed=1, tiles=False):
    api = base.rstrip("/") + "/api/v1/log"
    served_key = fetch(api + "/key").decode().strip()
    log_key = (log_key or served_key).strip()
    rotations = []
    if log_key != served_key:
        log_key, rotations = follow_rotations(api, log_key)
    note = fetch(api + "/checkpoint").decode()
    text, sig_lines = open_note(note)
    check_signature(text, sig_lines, log_key)
    origin, size, root = parse_checkpoint(text)
    if origin != parse_vkey(log_key)[0]:
        raise VerifyError("the checkpoint's origin is not the key's name")
    cosigned = {}
    for w in witnesses:
        cosigned[parse_vkey(w)[0]] = check_signature(text, sig_lines, w)

    leaves = []
    tiles_read = 0
    if tiles:
        # The public tiles alone; with a token, the entry bundles hash to the leaf tiles.
        leaves, tiles_read = hashes_from_tiles(api, size)
        if TOKEN:
            for i, data in enumerate(entries_from_bundles(api, size)):
                if leaf_hash(data) != leaves[i]:
                    raise VerifyError(f"entry {i} does not hash to its leaf tile's hash")
    if not tiles:
        for data in fetch_entries(api, 0, size):
            json.loads(data)  # every leaf is JSON
            leaves.append(leaf_hash(data))
    rng = random.Random(seed)
    sizes = sorted({1, size} | {rng.randint(1, size) for _ in range(samples)}) if size else []
    roots = roots_of_prefixes(leaves, sizes)
    if size and roots[size] != root:
        raise VerifyError("the root recomputed from the %s is not the signed root"
                          % ("tiles" if tiles else "entries"))

    indexes = sorted({0, size - 1} | {rng.randrange(size) for _ in range(samples)}) if size else []
    for i in indexes:
        p = fetch_json(f"{api}/proof/inclusion?index={i}&size={size}")
        verify_inclusion(i, size, leaves[i], b64s(p["hashes"]), root)
    for m in sizes:
        if m == size:
            continue
        p = fetch_json(f"{api}/proof/consistency?from={m}&to={size}")
        verify_consistency(m, size, roots[m], root, b64s(p["hashes"]))
    return {
        "origin": origin,
        "size": size,
        "root": base64.b64encode(root).decode(),
        "inclusion_proofs": len(indexes),
        "consistency_proofs": len([m for m in sizes if m != size]),
        "cosigned_by": cosigned,
        "tiles_read": tiles_read,
        "key_rotations": rotations,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--log-key")
    ap.add_argument("--witness", action="append", default=[])
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--token", help="an analyst's or chief's API token, to read the leaves "
                    "(also read from TRUCELINE_TOKEN)")
    ap.add_argument("--tiles", action="store_true", help="read the log from its C2SP tiles "
                    "(public) instead of its entries; with a token, check the entry bundles too")
    ap.add_argument("--evidence", metavar="FILE|URL", help="check an evidence document "
                    "(SPEC 4.2) against --log-key instead of the whole log; unless URL is -, "
                    "also read that server's public tiles and check the document against them")
    a = ap.parse_args()
    global TOKEN
    TOKEN = a.token or TOKEN
    if a.evidence:
        try:
            if a.evidence.startswith(("http://", "https://")):
                doc = fetch_json(a.evidence)
            else:
                with open(a.evidence, encoding="utf-8") as f:
                    doc = json.load(f)
            if not a.log_key:
                raise VerifyError("--log-key: evidence is checked against a key you trust")
            result = verify_evidence(doc, a.log_key)
            if a.url != "-":
                result["tiles"] = evidence_in_tiles(doc, a.url)
            print(json.dumps(result, indent=1))
        except (VerifyError, ValueError, KeyError, TypeError) as e:
            print(f"verification failed: {e}", file=sys.stderr)
            sys.exit(1)
        return
    try:
        print(json.dumps(verify_log(a.url, a.log_key, a.witness, a.samples, tiles=a.tiles),
                         indent=1))
    except (VerifyError, ValueError, KeyError) as e:
        print(f"verification failed: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
