//! A message as one line of JSON with gpsd's field names, order and scaled values
//! (`{"class":"AIS","type":1,"repeat":0,"mmsi":…,"scaled":true,…}`), written directly: a
//! busy feed is millions of lines. Fields not available are left out rather than given gpsd's
//! sentinel numbers; `time` (when received, if the input said) and `own` (an `!AIVDO`
//! sentence) are ours.

use std::fmt::Write;

use crate::Decoded;
use crate::message::Message;

/// Navigational status (ITU-R M.1371-5 table 45; 11–14 as amended for regional use and
/// AIS-SART).
pub const STATUS: [&str; 16] = [
    "Under way using engine",
    "At anchor",
    "Not under command",
    "Restricted maneuverability",
    "Constrained by her draught",
    "Moored",
    "Aground",
    "Engaged in fishing",
    "Under way sailing",
    "Reserved for HSC",
    "Reserved for WIG",
    "Power-driven vessel towing astern",
    "Power-driven vessel pushing ahead or towing alongside",
    "Reserved",
    "AIS-SART is active",
    "Not defined",
];

/// Type of electronic position fixing device.
pub fn epfd_text(n: u8) -> String {
    const NAMES: [&str; 9] = [
        "Undefined",
        "GPS",
        "GLONASS",
        "Combined GPS/GLONASS",
        "Loran-C",
        "Chayka",
        "Integrated navigation system",
        "Surveyed",
        "Galileo",
    ];
    match n {
        0..=8 => NAMES[n as usize].to_string(),
        15 => "Internal GNSS".to_string(),
        n => format!("Reserved ({n})"),
    }
}

/// Ship and cargo type (ITU-R M.1371-5 table 53), in gpsd's words.
pub fn shiptype_text(n: u8) -> &'static str {
    let (tens, units) = (n / 10, (n % 10) as usize);
    macro_rules! family {
        ($name:literal, $last:literal) => {{
            const T: [&str; 10] = [
                concat!($name, " - all ships of this type"),
                concat!($name, " - Hazardous category A"),
                concat!($name, " - Hazardous category B"),
                concat!($name, " - Hazardous category C"),
                concat!($name, " - Hazardous category D"),
                concat!($name, " - Reserved for future use"),
                concat!($name, " - Reserved for future use"),
                concat!($name, " - Reserved for future use"),
                concat!($name, " - Reserved for future use"),
                concat!($name, $last),
            ];
            T[units]
        }};
    }
    match tens {
        0 if units == 0 => "Not available",
        0 | 1 => "Reserved for future use",
        2 => family!("Wing in ground (WIG)", " - Reserved for future use"),
        3 => [
            "Fishing",
            "Towing",
            "Towing: length exceeds 200m or breadth exceeds 25m",
            "Dredging or underwater ops",
            "Diving ops",
            "Military ops",
            "Sailing",
            "Pleasure Craft",
            "Reserved",
            "Reserved",
        ][units],
        4 => family!("High speed craft (HSC)", " - No additional information"),
        5 => [
            "Pilot Vessel",
            "Search and Rescue vessel",
            "Tug",
            "Port Tender",
            "Anti-pollution equipment",
            "Law Enforcement",
            "Spare - Local Vessel",
            "Spare - Local Vessel",
            "Medical Transport",
            "Ship according to RR Resolution No. 18",
        ][units],
        6 => family!("Passenger", " - No additional information"),
        7 => family!("Cargo", " - No additional information"),
        8 => family!("Tanker", " - No additional information"),
        9 => family!("Other Type", " - no additional information"),
        10..=19 => "Reserved for regional use",
        _ => "Reserved for future use",
    }
}

/// Type of aid to navigation (ITU-R M.1371-5 table 74), in gpsd's words.
pub const AID_TYPE: [&str; 32] = [
    "Unspecified",
    "Reference point",
    "RACON",
    "Fixed offshore structure",
    "Spare, Reserved for future use.",
    "Light, without sectors",
    "Light, with sectors",
    "Leading Light Front",
    "Leading Light Rear",
    "Beacon, Cardinal N",
    "Beacon, Cardinal E",
    "Beacon, Cardinal S",
    "Beacon, Cardinal W",
    "Beacon, Port hand",
    "Beacon, Starboard hand",
    "Beacon, Preferred Channel port hand",
    "Beacon, Preferred Channel starboard hand",
    "Beacon, Isolated danger",
    "Beacon, Safe water",
    "Beacon, Special mark",
    "Cardinal Mark N",
    "Cardinal Mark E",
    "Cardinal Mark S",
    "Cardinal Mark W",
    "Port hand Mark",
    "Starboard hand Mark",
    "Preferred Channel Port hand",
    "Preferred Channel Starboard hand",
    "Isolated danger",
    "Safe Water",
    "Special Mark",
    "Light Vessel / LANBY / Rigs",
];

struct W<'a>(&'a mut String);

impl W<'_> {
    fn key(&mut self, k: &str) {
        self.0.push_str(",\"");
        self.0.push_str(k);
        self.0.push_str("\":");
    }
    fn u<T: itoa::Integer>(&mut self, k: &str, v: Option<T>) {
        if let Some(v) = v {
            self.key(k);
            self.0.push_str(itoa::Buffer::new().format(v));
        }
    }
    fn b(&mut self, k: &str, v: Option<bool>) {
        if let Some(v) = v {
            self.key(k);
            self.0.push_str(if v { "true" } else { "false" });
        }
    }
    /// A number with at most `decimals` places, trailing zeros dropped. Written from integers:
    /// every value here is a whole number of the message's own unit.
    fn f(&mut self, k: &str, v: Option<f64>, decimals: u32) {
        if let Some(v) = v {
            self.key(k);
            let scale = 10i64.pow(decimals);
            let n = (v * scale as f64).round() as i64;
            if n < 0 {
                self.0.push('-');
            }
            let (whole, mut frac) = ((n / scale).unsigned_abs(), (n % scale).unsigned_abs());
            self.0.push_str(itoa::Buffer::new().format(whole));
            if frac != 0 {
                let mut digits = decimals;
                while frac % 10 == 0 {
                    frac /= 10;
                    digits -= 1;
                }
                self.0.push('.');
                let mut b = itoa::Buffer::new();
                let text = b.format(frac);
                for _ in text.len()..digits as usize {
                    self.0.push('0');
                }
                self.0.push_str(text);
            }
        }
    }
    fn s(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.key(k);
            self.0.push('"');
            for c in v.chars() {
                match c {
                    '"' => self.0.push_str("\\\""),
                    '\\' => self.0.push_str("\\\\"),
                    c if (c as u32) < 0x20 => {
                        let _ = write!(self.0, "\\u{:04x}", c as u32);
                    }
                    c => self.0.push(c),
                }
            }
            self.0.push('"');
        }
    }
}

/// Appends `d` as one line of JSON (without the newline) to `out`.
pub fn write(d: &Decoded, out: &mut String) {
    let m: &Message = &d.message;
    let mut b = itoa::Buffer::new();
    out.push_str("{\"class\":\"AIS\",\"type\":");
    out.push_str(b.format(m.msg_type));
    out.push_str(",\"repeat\":");
    out.push_str(b.format(m.repeat));
    out.push_str(",\"mmsi\":");
    out.push_str(b.format(m.mmsi));
    out.push_str(",\"scaled\":true");
    let mut w = W(out);
    if let Some(t) = d.time_ms {
        w.key("time");
        let _ = write!(w.0, "\"{}\"", crate::rfc3339_ms(t));
    }
    if d.own {
        w.b("own", Some(true));
    }
    let pos = |w: &mut W, m: &Message, decimals: u32| {
        w.f("lon", m.lon, decimals);
        w.f("lat", m.lat, decimals);
    };
    // Speed to second, as position reports of class A and B give them.
    let motion = |w: &mut W, m: &Message| {
        w.f("speed", m.speed, 1);
        w.b("accuracy", m.accuracy);
        pos(w, m, 7);
        w.f("course", m.course, 1);
        w.u("heading", m.heading);
        w.u("second", m.second);
    };
    let status = |w: &mut W, m: &Message| {
        w.u("status", m.status);
        w.s("status_text", m.status.map(|s| STATUS[s as usize & 15]));
    };
    let dims = |w: &mut W, m: &Message| {
        w.u("to_bow", m.to_bow);
        w.u("to_stern", m.to_stern);
        w.u("to_port", m.to_port);
        w.u("to_starboard", m.to_starboard);
    };
    let epfd = |w: &mut W, m: &Message| {
        w.u("epfd", m.epfd);
        w.s("epfd_text", m.epfd.map(epfd_text).as_deref());
    };
    let shiptype = |w: &mut W, m: &Message| {
        w.u("shiptype", m.shiptype);
        w.s("shiptype_text", m.shiptype.map(shiptype_text));
    };
    match m.msg_type {
        1..=3 => {
            status(&mut w, m);
            match m.turn {
                Some(t) if t >= 720.0 => w.s("turn", Some("fastright")),
                Some(t) if t <= -720.0 => w.s("turn", Some("fastleft")),
                t => w.f("turn", t, 2),
            }
            motion(&mut w, m);
            w.u("maneuver", m.maneuver);
            w.b("raim", m.raim);
            w.u("radio", m.radio);
        }
        4 | 11 => {
            w.s("timestamp", m.timestamp.as_deref());
            w.b("accuracy", m.accuracy);
            pos(&mut w, m, 7);
            epfd(&mut w, m);
            w.b("raim", m.raim);
            w.u("radio", m.radio);
        }
        5 => {
            w.u("imo", m.imo);
            w.u("ais_version", m.ais_version);
            w.s("callsign", m.callsign.as_deref());
            w.s("shipname", m.shipname.as_deref());
            shiptype(&mut w, m);
            dims(&mut w, m);
            epfd(&mut w, m);
            w.s("eta", m.eta.as_deref());
            w.f("draught", m.draught, 1);
            w.s("destination", m.destination.as_deref());
            w.u("dte", m.dte.map(u8::from));
        }
        9 => {
            w.u("alt", m.alt);
            w.f("speed", m.speed, 0);
            w.b("accuracy", m.accuracy);
            pos(&mut w, m, 7);
            w.f("course", m.course, 1);
            w.u("second", m.second);
            w.u("regional", m.regional);
            w.u("dte", m.dte.map(u8::from));
            w.b("raim", m.raim);
            w.u("radio", m.radio);
        }
        18 | 19 => {
            w.u("reserved", m.reserved);
            motion(&mut w, m);
            w.u("regional", m.regional);
            if m.msg_type == 18 {
                w.b("cs", m.cs);
                w.b("display", m.display);
                w.b("dsc", m.dsc);
                w.b("band", m.band);
                w.b("msg22", m.msg22);
                w.b("raim", m.raim);
                w.u("radio", m.radio);
            } else {
                w.s("shipname", m.shipname.as_deref());
                shiptype(&mut w, m);
                dims(&mut w, m);
                epfd(&mut w, m);
                w.b("raim", m.raim);
                w.u("dte", m.dte.map(u8::from));
                w.b("assigned", m.assigned);
            }
        }
        21 => {
            w.u("aid_type", m.aid_type);
            w.s(
                "aid_type_text",
                m.aid_type.map(|a| AID_TYPE[a as usize & 31]),
            );
            w.s("name", m.name.as_deref());
            pos(&mut w, m, 7);
            w.b("accuracy", m.accuracy);
            dims(&mut w, m);
            epfd(&mut w, m);
            w.u("second", m.second);
            w.u("regional", m.regional);
            w.b("off_position", m.off_position);
            w.b("raim", m.raim);
            w.b("virtual_aid", m.virtual_aid);
        }
        24 => {
            w.s("shipname", m.shipname.as_deref());
            shiptype(&mut w, m);
            w.s("vendorid", m.vendorid.as_deref());
            w.u("model", m.model);
            w.u("serial", m.serial);
            w.s("callsign", m.callsign.as_deref());
            w.u("mothership_mmsi", m.mothership_mmsi);
            dims(&mut w, m);
        }
        27 => {
            status(&mut w, m);
            w.b("accuracy", m.accuracy);
            // Its unit is 1/600°: six decimals keep it whole.
            pos(&mut w, m, 6);
            w.f("speed", m.speed, 0);
            w.f("course", m.course, 0);
            w.b("raim", m.raim);
            w.b("gnss", m.gnss);
        }
        _ => {}
    }
    out.push('}');
}
