"""A TAK client made with PyPI's pytak: connects to a Cursor on Target port, sends a ping and
each event given, then reads what the server sends for a while.

    python cot_client.py tcp://HOST:PORT SECONDS [CALLSIGN LAT LON REMARKS]...
    python cot_client.py PACKAGE.zip SECONDS [...]

Given a TAK data package (`truceline users cert`) instead of a URL, it connects as pytak does
with one (`PREF_PACKAGE`): the URL, the client certificate and the authority to trust, with
the server's certificate and name checked.

With COT_UNTIL set, it stops as soon as an event whose remarks contain that text arrives
(SECONDS is then the most it waits).

Prints one JSON object: the events received (type, uid, remarks, ce) and how many were sent.
"""
import asyncio
import configparser
import json
import os
import sys
import warnings
import xml.etree.ElementTree as ET

warnings.simplefilter("ignore")
import pytak  # noqa: E402


async def main():
    url, seconds, rest = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    config = configparser.ConfigParser()
    if url.endswith(".zip"):
        config["c"] = {k: v for k, v in pytak.read_pref_package(url).items() if v}
    else:
        config["c"] = {"COT_URL": url}
    reader, writer = await pytak.protocol_factory(config["c"])
    sent = 0
    writer.write(pytak.gen_cot(lat=0.0, lon=0.0, uid="takPing", cot_type="t-x-c-t", stale=20))
    for i in range(0, len(rest), 4):
        callsign, lat, lon, remarks = rest[i:i + 4]
        event = ET.fromstring(pytak.gen_cot(
            lat=float(lat), lon=float(lon), ce=25, uid=f"ANDROID-{callsign}-{i}",
            cot_type="b-m-p-s-m", stale=3600, callsign=callsign))
        detail = event.find("detail")
        ET.SubElement(detail, "remarks").text = remarks
        writer.write(ET.tostring(event))
        sent += 1
    await writer.drain()
    received, buf = [], b""
    until = os.environ.get("COT_UNTIL")
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), timeout=max(0.05, end - loop.time()))
        except asyncio.TimeoutError:
            break
        if not chunk:
            break
        buf += chunk
        while b"</event>" in buf:
            one, buf = buf.split(b"</event>", 1)
            one += b"</event>"
            one = one[one.index(b"<event"):]
            e = ET.fromstring(one)
            p = e.find("point")
            r = e.find("detail/remarks")
            received.append({"type": e.get("type"), "uid": e.get("uid"), "how": e.get("how"),
                             "ce": p is not None and float(p.get("ce")), "remarks": r is not None and r.text,
                             "xml": one.decode()})
        if until and any(until in (e["remarks"] or "") for e in received):
            break
    writer.close()
    print(json.dumps({"sent": sent, "received": received}))


asyncio.run(main())
