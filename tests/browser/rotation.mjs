// The dashboard's own check of a rotation of the log key (assets/proof.js), run under Node's
// WebCrypto with `/api/v1/log/keys` answered from a file:
//   node rotation.mjs CASES.json
// CASES.json: [{"name", "served": {...as /api/v1/log/keys...}, "pinned", "current"}]. Prints,
// as its last line, each case's outcome: the key followed to, or the error.
import { readFileSync } from "node:fs";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { followRotations } = await import("../../crates/web/assets/proof.js");
const out = {};
for (const c of cases) {
  globalThis.fetch = async (url) => {
    if (url !== "/api/v1/log/keys") throw new Error(`unexpected fetch ${url}`);
    return { ok: true, json: async () => c.served };
  };
  try {
    out[c.name] = { followed_to: await followRotations(c.pinned, c.current) };
  } catch (e) {
    out[c.name] = { refused: e.message };
  }
}
console.log(JSON.stringify(out));
