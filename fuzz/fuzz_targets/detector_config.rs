#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| truceline_fuzzing::detector_config(data));
