//! What the pattern test files share.

use sim::{find_pattern, ParamSet};

/// `pattern`'s defaults with `sets` (id, value as a link would write it)
/// applied; a refused value fails the test.
pub fn params(pattern: &str, sets: &[(&str, &str)]) -> ParamSet {
    let mut p = find_pattern(pattern).unwrap().defaults();
    for (k, v) in sets {
        p.set_str(k, v).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    }
    p
}
