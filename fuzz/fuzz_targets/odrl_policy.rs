//! Any text as an ODRL policy (JSON-LD and Turtle, as datasets carry them): parsing, the
//! plain-words rendering the console shows, serialisation, and evaluation of a request.
//! (The body: `hanse_fuzz::targets::odrl_policy`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::odrl_policy(data));
