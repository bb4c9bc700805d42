//! Sanctions lists in OpenSanctions' maritime CSV layout
//! (`type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases`), matched against the
//! vessels seen: first by IMO number, whose check digit is verified (a mistyped or invented
//! number matches nothing), then by MMSI. OpenSanctions' data is CC BY-NC: it is not bundled;
//! users load the file they are licensed to use.
//!
//! ```
//! use truceline_maritime::sanctions::{imo_valid, List};
//! assert!(imo_valid(9_074_729));
//! assert!(!imo_valid(9_074_728));
//! let csv = "type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases\n\
//!            VESSEL,EXAMPLE TANKER,IMO9074729,sanction,ru,cm,613000001,ex-1,,eu_fsf;gb_hmt,\n";
//! let list = List::parse(csv.as_bytes()).unwrap();
//! assert_eq!(list.by_imo(9_074_729).unwrap().caption, "EXAMPLE TANKER");
//! assert_eq!(list.by_mmsi(613_000_001).unwrap().id, "ex-1");
//! ```

use rustc_hash::FxHashMap;

/// One listed vessel.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub id: String,
    pub caption: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mmsi: Vec<u32>,
    pub risk: String,
    pub flag: String,
    pub datasets: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// Why a list was refused.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("sanctions list: {0}")]
    Csv(#[from] csv::Error),
    #[error(
        "sanctions list: the header lacks column {0:?} (expected OpenSanctions' maritime layout: type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases)"
    )]
    Column(&'static str),
}

/// A list, indexed by IMO number and MMSI.
#[derive(Debug, Clone, Default)]
pub struct List {
    entries: Vec<Entry>,
    imo: FxHashMap<u32, usize>,
    mmsi: FxHashMap<u32, usize>,
    /// Entries whose IMO number fails its check digit (kept, matched by MMSI only).
    pub bad_imo: usize,
}

/// An IMO ship number's check digit from its first six digits (100000–999999): the digits
/// weighted 7 to 2, summed, mod 10.
pub fn imo_check_digit(first_six: u32) -> u32 {
    (0..6)
        .map(|k| first_six / 10u32.pow(5 - k) % 10 * (7 - k))
        .sum::<u32>()
        % 10
}

/// Whether a seven-digit IMO number's last digit is its check digit.
pub fn imo_valid(imo: u32) -> bool {
    (1_000_000..10_000_000).contains(&imo) && imo_check_digit(imo / 10) == imo % 10
}

fn values(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', ',']).map(str::trim).filter(|v| !v.is_empty())
}

impl List {
    pub fn parse(reader: impl std::io::Read) -> Result<List, ListError> {
        let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let h = r.headers()?.clone();
        let col = |name: &'static str| {
            h.iter()
                .position(|c| c == name)
                .ok_or(ListError::Column(name))
        };
        let (c_caption, c_imo, c_mmsi, c_id) =
            (col("caption")?, col("imo")?, col("mmsi")?, col("id")?);
        let opt = |name: &str| h.iter().position(|c| c == name);
        let (c_risk, c_flag, c_url, c_ds) = (opt("risk"), opt("flag"), opt("url"), opt("datasets"));
        let mut list = List::default();
        for rec in r.records() {
            let rec = rec?;
            let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").to_string();
            let imos: Vec<u32> = values(rec.get(c_imo).unwrap_or(""))
                .filter_map(|v| v.trim_start_matches("IMO").trim().parse().ok())
                .collect();
            let valid = imos.iter().copied().find(|i| imo_valid(*i));
            if valid.is_none() && !imos.is_empty() {
                list.bad_imo += 1;
            }
            let mmsi: Vec<u32> = values(rec.get(c_mmsi).unwrap_or(""))
                .filter_map(|v| v.parse().ok())
                .collect();
            let e = Entry {
                id: get(Some(c_id)),
                caption: get(Some(c_caption)),
                imo: valid,
                mmsi,
                risk: get(c_risk),
                flag: get(c_flag),
                datasets: values(&get(c_ds)).map(str::to_string).collect(),
                url: get(c_url),
            };
            let i = list.entries.len();
            if let Some(imo) = e.imo {
                list.imo.entry(imo).or_insert(i);
            }
            for m in &e.mmsi {
                list.mmsi.entry(*m).or_insert(i);
            }
            list.entries.push(e);
        }
        Ok(list)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn by_imo(&self, imo: u32) -> Option<&Entry> {
        self.imo.get(&imo).map(|&i| &self.entries[i])
    }

    pub fn by_mmsi(&self, mmsi: u32) -> Option<&Entry> {
        self.mmsi.get(&mmsi).map(|&i| &self.entries[i])
    }

    /// The entry's position in [`Self::entries`], by IMO number.
    pub fn imo_index(&self, imo: u32) -> Option<usize> {
        self.imo.get(&imo).copied()
    }

    /// The entry's position in [`Self::entries`], by MMSI.
    pub fn mmsi_index(&self, mmsi: u32) -> Option<usize> {
        self.mmsi.get(&mmsi).copied()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imo_with_a_wrong_check_digit_matches_nothing_but_its_mmsi_still_does() {
        let csv = "type,caption,imo,risk,countries,flag,mmsi,id,url,datasets,aliases\n\
                   VESSEL,A,IMO9074728,sanction,ru,ru,273000001,a,,eu,\n\
                   VESSEL,B,9321483;IMO1234567,sanction,,pa,,b,,us_ofac_sdn;gb_hmt,\n";
        let l = List::parse(csv.as_bytes()).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l.bad_imo, 1);
        assert!(l.by_imo(9_074_728).is_none());
        assert_eq!(l.by_mmsi(273_000_001).unwrap().caption, "A");
        assert_eq!(
            l.by_imo(9_321_483).unwrap().datasets,
            vec!["us_ofac_sdn", "gb_hmt"]
        );
    }

    #[test]
    fn a_file_in_another_layout_is_refused_naming_the_column() {
        let e = List::parse("name,imo\nX,9074729\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("\"caption\""), "{e}");
    }
}
