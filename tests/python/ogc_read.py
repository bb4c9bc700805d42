"""Reads every collection of an OGC API - Features service with OWSLib, page by page.

    python ogc_read.py BASE_URL [TOKEN]

Prints one JSON object: for each collection the service lists, how many items its pages held,
how many pages there were, and the ids; then what one item read by id says.
"""
import json
import sys

from owslib.ogcapi.features import Features

base = sys.argv[1]
headers = {"Authorization": f"Bearer {sys.argv[2]}"} if len(sys.argv) > 2 and sys.argv[2] else {}
w = Features(base, headers=headers)
out = {"conformance": w.conformance()["conformsTo"], "collections": {}}
for c in w.collections()["collections"]:
    cid = c["id"]
    ids, pages, kwargs = [], 0, {"limit": 250}
    while True:
        page = w.collection_items(cid, **kwargs)
        pages += 1
        ids += [f["id"] for f in page["features"]]
        nxt = [l["href"] for l in page.get("links", []) if l["rel"] == "next"]
        if not nxt:
            break
        # The next link's cursor, as OWSLib passes query parameters.
        kwargs = {"limit": 250, "cursor": nxt[0].split("cursor=")[1].split("&")[0]}
    one = w.collection_item(cid, ids[0]) if ids else None
    out["collections"][cid] = {
        "count": len(ids), "pages": pages, "ids": ids,
        "first": one and {"id": one["id"], "type": one["type"], "geometry": one["geometry"]["type"]},
    }
print(json.dumps(out))
