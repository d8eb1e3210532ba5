//! Turns each pattern's lesson (`src/patterns/<pattern>.toml`: what the
//! class reads about it and the controls it gets) into statics:
//! `lessons.rs` (a `Lesson` and the pattern's `ParamSpec` list) and
//! `entries.rs` (its catalogue entry: the lesson, the parameters and the
//! pattern's `figures`, included by `catalogue.rs`). The text is
//! edited as text, checked when `sim` is built (a misspelt parameter or
//! message kind does not compile), and costs nothing to read at run time.
//! Statics, not `const`s: a `const` is copied into every crate that uses
//! it, and the browser's bundle carried every lesson twice (29 KB raw,
//! 3.1 KB brotli).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

use serde::Deserialize;

/// One lesson file as written; every field is required and no other is
/// accepted, so a misspelt key fails the build instead of vanishing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lesson {
    name: String,
    question: String,
    timing: String,
    flow: String,
    delivery: String,
    sees: String,
    law: String,
    kinds: Vec<String>,
    companion: String,
    keyed_by_message: bool,
    /// One thing a party wants, singular and plural.
    wants: [String; 2],
    /// The controls in the order the pane shows them, by parameter id.
    params: Vec<String>,
    /// This pattern's own words and span for some of them.
    #[serde(default)]
    param: BTreeMap<String, Param>,
}

/// A common parameter as this pattern presents it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Param {
    name: Option<String>,
    unit: Option<String>,
    help: Option<String>,
    /// `[min, max]`; needs `default`.
    range: Option<[f64; 2]>,
    default: Option<f64>,
}

/// The Rust expression for parameter `id` as `p` presents it.
fn spec(id: &str, p: Option<&Param>) -> String {
    let base = format!("params::{}", id.to_uppercase());
    let Some(p) = p else { return base };
    let number = match (p.range, p.default) {
        (Some([min, max]), Some(d)) => format!("{base}.with_range({min:?}, {max:?}, {d:?})"),
        (Some(_), None) => panic!("{id}: a range needs a default"),
        (None, Some(d)) => format!("{base}.with_default({d:?})"),
        (None, None) => base,
    };
    let words: Vec<String> = [("name", &p.name), ("unit", &p.unit), ("help", &p.help)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v:?}, ")))
        .collect();
    if words.is_empty() {
        number
    } else {
        format!("ParamSpec {{ {}..{number} }}", words.concat())
    }
}

fn main() {
    let dir = Path::new("src/patterns");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("src/patterns is readable")
        .map(|e| e.expect("src/patterns is readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = String::new();
    let mut entries = String::new();
    for path in &files {
        let text = fs::read_to_string(path).expect("a lesson file is readable");
        let l: Lesson = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let stem = path.file_stem().unwrap().to_string_lossy();
        for (i, id) in l.params.iter().enumerate() {
            assert!(
                !l.params[..i].contains(id),
                "{}: {id} is listed twice in `params`",
                path.display()
            );
        }
        for id in l.param.keys() {
            assert!(
                l.params.contains(id),
                "{}: [param.{id}] is not in `params`",
                path.display()
            );
        }
        let specs: Vec<String> = l
            .params
            .iter()
            .map(|id| spec(id, l.param.get(id)))
            .collect();
        writeln!(
            out,
            "/// The controls of `src/patterns/{stem}.toml`.\n\
             pub static {}_PARAMS: &[ParamSpec] = &[\n    {},\n];",
            stem.to_uppercase(),
            specs.join(",\n    ")
        )
        .unwrap();
        writeln!(
            entries,
            "/// `{stem}`: its lesson file and its figures.\n\
             pub static {c}: PatternInfo = PatternInfo {{\n    \
             id: patterns::{stem}::ID,\n    lesson: &lessons::{c},\n    \
             params: lessons::{c}_PARAMS,\n    figures: patterns::{stem}::figures,\n}};",
            c = stem.to_uppercase(),
        )
        .unwrap();
        let kinds: Vec<String> = l.kinds.iter().map(|k| format!("MsgKind::{k}")).collect();
        writeln!(
            out,
            "/// From `src/patterns/{stem}.toml`.\n\
             pub static {const_name}: Lesson = Lesson {{\n    \
             name: {:?},\n    question: {:?},\n    timing: {:?},\n    flow: {:?},\n    \
             delivery: {:?},\n    sees: {:?},\n    law: {:?},\n    kinds: &[{}],\n    \
             companion: {:?},\n    keyed_by_message: {},\n    wants: [{:?}, {:?}],\n}};",
            l.name,
            l.question,
            l.timing,
            l.flow,
            l.delivery,
            l.sees,
            l.law,
            kinds.join(", "),
            l.companion,
            l.keyed_by_message,
            l.wants[0],
            l.wants[1],
            const_name = stem.to_uppercase(),
        )
        .unwrap();
    }
    let dir = env::var("OUT_DIR").unwrap();
    fs::write(Path::new(&dir).join("lessons.rs"), out).expect("OUT_DIR is writable");
    fs::write(Path::new(&dir).join("entries.rs"), entries).expect("OUT_DIR is writable");
}
