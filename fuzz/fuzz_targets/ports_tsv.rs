#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| truceline_fuzzing::ports_tsv(data));
