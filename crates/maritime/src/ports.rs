//! The ports whose calls the mission follows, and the nearest of them to a position.
//!
//! `data/ports.tsv` is bundled (its header says where the positions come from); a mission loads
//! its own list in the same layout with [`Ports::parse`].
//!
//! ```
//! let ports = truceline_maritime::ports::Ports::bundled();
//! let (i, d) = ports.nearest_within(37.84, 44.67, 3_000.0).unwrap();
//! assert_eq!(ports.get(i).name, "Novorossiysk");
//! assert!(d < 1_000.0);
//! assert!(ports.nearest_within(34.0, 43.3, 3_000.0).is_none());
//! ```

use rustc_hash::FxHashMap;

use crate::geodesy::distance_m;

const BUNDLED: &str = include_str!("../data/ports.tsv");
/// Grid cell, degrees.
const CELL: f64 = 0.1;
/// A port is found by queries up to this far from it.
const REACH_M: f64 = 15_000.0;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Port {
    pub name: String,
    pub country: String,
    pub lon: f64,
    pub lat: f64,
    pub sea: String,
}

/// Why a port list was refused.
#[derive(Debug, thiserror::Error)]
#[error("ports line {line}: {message}")]
pub struct PortsError {
    pub line: usize,
    pub message: String,
}

/// The ports, indexed by a grid of cells for "which port is within 3 km".
#[derive(Debug, Clone)]
pub struct Ports {
    ports: Vec<Port>,
    grid: FxHashMap<(i32, i32), Vec<u16>>,
}

fn key(lon: f64, lat: f64) -> (i32, i32) {
    ((lon / CELL).floor() as i32, (lat / CELL).floor() as i32)
}

impl Ports {
    pub fn bundled() -> Ports {
        Ports::parse(BUNDLED).expect("the bundled ports parse")
    }

    /// Tab-separated `name, country, lon, lat, sea` with a header line; `#` lines are comments.
    pub fn parse(text: &str) -> Result<Ports, PortsError> {
        let mut ports = Vec::new();
        let mut header = false;
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if !header {
                header = true;
                continue;
            }
            let err = |message: String| PortsError {
                line: i + 1,
                message,
            };
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 5 {
                return Err(err(format!(
                    "{} fields, expected 5 (name, country, lon, lat, sea)",
                    f.len()
                )));
            }
            let num = |s: &str, what: &str, lim: f64| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.abs() <= lim)
                    .ok_or_else(|| {
                        err(format!("{what}: expected degrees within ±{lim}, got {s:?}"))
                    })
            };
            ports.push(Port {
                name: f[0].to_string(),
                country: f[1].to_string(),
                lon: num(f[2], "lon", 180.0)?,
                lat: num(f[3], "lat", 90.0)?,
                sea: f[4].to_string(),
            });
        }
        if ports.len() > u16::MAX as usize {
            return Err(PortsError {
                line: 0,
                message: "more than 65,535 ports".into(),
            });
        }
        let mut grid: FxHashMap<(i32, i32), Vec<u16>> = FxHashMap::default();
        for (i, p) in ports.iter().enumerate() {
            // Every cell a query within REACH_M of the port can fall in.
            let dlat = REACH_M / 111_000.0;
            let dlon = dlat / p.lat.to_radians().cos().max(0.05);
            let (x0, y0) = key(p.lon - dlon, p.lat - dlat);
            let (x1, y1) = key(p.lon + dlon, p.lat + dlat);
            for x in x0..=x1 {
                for y in y0..=y1 {
                    grid.entry((x, y)).or_default().push(i as u16);
                }
            }
        }
        Ok(Ports { ports, grid })
    }

    pub fn len(&self) -> usize {
        self.ports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    pub fn get(&self, i: usize) -> &Port {
        &self.ports[i]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter()
    }

    /// The nearest port within `m` metres (at most 15 km), with its distance.
    #[inline]
    pub fn nearest_within(&self, lon: f64, lat: f64, m: f64) -> Option<(usize, f64)> {
        let cands = self.grid.get(&key(lon, lat))?;
        let mut best: Option<(usize, f64)> = None;
        for &i in cands {
            let p = &self.ports[i as usize];
            let d = distance_m(lon, lat, p.lon, p.lat);
            if d <= m.min(REACH_M) && best.is_none_or(|(_, b)| d < b) {
                best = Some((i as usize, d));
            }
        }
        best
    }

    /// Metres to a given port.
    pub fn distance_to(&self, i: usize, lon: f64, lat: f64) -> f64 {
        let p = &self.ports[i];
        distance_m(lon, lat, p.lon, p.lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shore::Shore;

    #[test]
    fn every_bundled_port_lies_at_sea_near_the_coast() {
        let ports = Ports::bundled();
        let shore = Shore::bundled();
        assert!(ports.len() >= 30);
        for p in ports.iter() {
            assert_eq!(
                shore.on_land(p.lon, p.lat),
                Some(false),
                "{} is on land",
                p.name
            );
            let d = shore.distance_m(p.lon, p.lat).unwrap();
            assert!(d < 8_000.0, "{} is {d:.0} m from the coast", p.name);
        }
    }

    #[test]
    fn a_malformed_list_is_refused_naming_the_line_and_field() {
        let e =
            Ports::parse("name\tcountry\tlon\tlat\tsea\nX\tRU\t200\t45\tBlack Sea\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ports line 2: lon: expected degrees within ±180, got \"200\""
        );
        let e = Ports::parse("h\nX\tRU\t20\n").unwrap_err();
        assert!(e.to_string().contains("3 fields"), "{e}");
    }
}
