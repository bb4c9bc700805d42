#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| truceline_fuzzing::ais_nmea(data));
