//! Whatever a page sends: `Control::parse` over arbitrary bytes and over
//! control-shaped JSON with arbitrary fields never panics, and its refusals
//! stay short (the input is named, not echoed whole).

use proptest::prelude::*;
use sim::wire::Control;

/// The longest refusal text, in characters: a sentence and a clipped echo
/// or two.
const MAX_ERROR: usize = 300;

fn check(text: &str) -> Result<(), TestCaseError> {
    match Control::parse(text) {
        Ok(c) => {
            // What parses also serialises and parses back (floats may
            // differ in the last place: serde_json's default parsing).
            let again = Control::parse(&c.to_json()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(std::mem::discriminant(&again), std::mem::discriminant(&c));
        }
        Err(e) => prop_assert!(
            e.chars().count() <= MAX_ERROR,
            "{} chars: {}",
            e.chars().count(),
            e
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn control_shaped_messages_never_panic(
        kind in prop_oneof![
            Just("set".to_string()), Just("play".to_string()), Just("speed".to_string()),
            Just("pattern".to_string()), Just("reset".to_string()), "[a-z]{0,20}", ".{0,3000}",
        ],
        param in ".{0,5000}",
        value in prop_oneof![
            any::<f64>().prop_map(|v| v.to_string()),
            Just("1e999".to_string()), Just("-0".to_string()), Just("null".to_string()),
            Just("[1,2,3]".to_string()), Just("{\"a\":{\"b\":[]}}".to_string()),
            ".{0,200}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            "[\\[{]{0,2000}",
        ],
        extra in prop_oneof![Just(String::new()), Just(",\"x\":1".to_string()), Just(",\"seed\":18446744073709551616".to_string())],
    ) {
        let kind = serde_json::to_string(&kind).unwrap();
        let param = serde_json::to_string(&param).unwrap();
        check(&format!(r#"{{"type":{kind},"param":{param},"value":{value}{extra}}}"#))?;
        check(&format!(r#"{{"type":{kind},"id":{param}{extra}}}"#))?;
        check(&format!(r#"{{"type":{kind},"value":{value}}}"#))?;
    }
}

#[test]
fn deep_nesting_and_long_names_are_refused_briefly() {
    for text in [
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!(r#"{{"type":"{}"}}"#, "w".repeat(16_000)),
        format!(
            r#"{{"type":"set","param":"rate","value":"{}"}}"#,
            "9".repeat(16_000)
        ),
        format!(
            r#"{{"type":"set","param":"rate","value":1,"{}":2}}"#,
            "k".repeat(16_000)
        ),
    ] {
        let e = Control::parse(&text).err();
        if let Some(e) = e {
            assert!(
                e.chars().count() <= MAX_ERROR,
                "{} chars",
                e.chars().count()
            );
        }
    }
}
