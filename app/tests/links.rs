//! Whatever a link holds: the page's link parser over arbitrary text and
//! over link-shaped queries with arbitrary keys and values never panics,
//! keeps only admissible values, names what it refused briefly, and what it
//! keeps survives a round trip through the link it writes.

use app::url::{page_query, parse, MAX_PANES};
use proptest::prelude::*;
use sim::catalogue;

fn check(search: &str) -> Result<(), TestCaseError> {
    let s = parse(search, catalogue()[0]);
    prop_assert!(!s.panes.is_empty() && s.panes.len() <= MAX_PANES);
    for p in &s.panes {
        for (spec, &v) in p.info.params.iter().zip(&p.values) {
            prop_assert!(spec.check(v).is_ok(), "{} = {v} kept", spec.id);
        }
    }
    for problem in &s.problems {
        prop_assert!(
            problem.chars().count() <= 600,
            "{} chars",
            problem.chars().count()
        );
    }
    // What was kept is written back and read again unchanged.
    let panes: Vec<_> = s.panes.iter().map(|p| (p.info, p.values.clone())).collect();
    let again = parse(&page_query(&panes, s.seed), catalogue()[0]);
    prop_assert_eq!(again.seed, s.seed);
    prop_assert!(again.problems.is_empty(), "{:?}", again.problems);
    for (a, b) in again.panes.iter().zip(&s.panes) {
        prop_assert_eq!(a.info.id, b.info.id);
        prop_assert_eq!(&a.values, &b.values);
    }
    Ok(())
}

fn key() -> impl Strategy<Value = String> {
    let ids: Vec<String> = catalogue()
        .iter()
        .flat_map(|i| i.params.iter().map(|p| p.id.to_string()))
        .chain(
            [
                "pattern",
                "vs",
                "seed",
                "preset",
                "b.rate",
                "c.workers",
                "b.",
                "z.x",
            ]
            .map(String::from),
        )
        .collect();
    prop_oneof![proptest::sample::select(ids), ".{0,40}"]
}

fn value() -> impl Strategy<Value = String> {
    let ids: Vec<String> = catalogue().iter().map(|i| i.id.to_string()).collect();
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        Just("1e-300".to_string()),
        Just("NaN".to_string()),
        Just("%FF%FE".to_string()),
        Just("18446744073709551616".to_string()),
        proptest::sample::select(ids.clone()),
        proptest::collection::vec(proptest::sample::select(ids), 0..6).prop_map(|v| v.join(",")),
        ".{0,300}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn link_shaped_queries_keep_only_admissible_values(
        pairs in proptest::collection::vec((key(), value()), 0..24),
    ) {
        let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        check(&format!("?{}", q.join("&")))?;
    }
}
