//! The maritime picture: what AIS says vessels did. No I/O: decoded messages in, events out.
//!
//! - [`geodesy`]: distances on the sphere for the behaviours' thresholds;
//! - [`shore`]: distance from shore and "on land" for the seas the mission watches;
//! - [`ports`]: the ports whose calls matter, and the nearest one to a position;
//! - [`flags`]: the flag an MMSI claims;
//! - [`sanctions`]: lists in OpenSanctions' maritime layout, matched by IMO then MMSI;
//! - [`detect`]: tracks and behaviours (gap, encounter, loitering, port call, spoofing,
//!   identity change, listed);
//! - [`wake`]: which vessels were near a point at a time, for strikes on ships at sea;
//! - [`simulate`]: traffic with known behaviours, as NMEA a receiver writes;
//! - [`score`]: detected events against the simulator's truth.

pub mod detect;
pub mod flags;
pub mod geodesy;
pub mod ports;
pub mod sanctions;
pub mod score;
pub mod shore;
pub mod simulate;
pub mod wake;

pub use detect::{Config, Detector, Event, Kind, Snapshot};
