//! Any text as an ODRL policy (JSON-LD and Turtle, as datasets carry them): parsing, the
//! plain-words rendering the console shows, serialisation, and evaluation of a request.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let parsed = if selector & 1 == 0 {
        hanse_policy::parse_json_ld(text)
    } else {
        hanse_policy::parse_turtle(text)
    };
    let Ok(policies) = parsed else {
        return;
    };
    for policy in &policies {
        let _ = hanse_policy::plain_words(policy, Some("https://data.example/dataset/consumption"));
        let _ = hanse_policy::to_turtle(policy);
        let request = hanse_policy::Request {
            assignee: Some("https://consortium.example/member/university".into()),
            action: "http://www.w3.org/ns/odrl/2/use".into(),
            target: Some("https://data.example/dataset/consumption".into()),
            purpose: Some("https://w3id.org/dpv#AcademicResearch".into()),
            ..Default::default()
        };
        let mut world = hanse_policy::WorldState::at(hanse_policy::DateTime::now());
        world.group_size = Some(u64::from(selector >> 1));
        world.use_count = Some(u64::from(selector));
        let _ = hanse_policy::evaluate(policy, &request, &world);
    }
});
