//! The page's settings as a query string: what a shared link carries.
//!
//! `?pattern=A&vs=B,C&seed=7&rate=120&b.workers=8&preset=black-friday`:
//! pane A's pattern, up to two more panes to compare, the seed every pane
//! shares (so they see the same arrivals and service draws), plain
//! parameters for every pane that has them, `b.`/`c.` parameters for one
//! pane only, and the scenario preset whose prompt opens first. Faults are
//! parameters, so they travel the same way. A run's history follows
//! (`sim::link`): its live changes (`ch=`, `b.ch=`), bookmarks (`bm=`) and
//! the moment shown (`t=`). Pure string work: tested natively, used by the
//! browser.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use sim::link::{parse_changes, Bookmark, LinkChange, MAX_BOOKMARKS};
use sim::{find_pattern, ParamSet, ParamSpec, PatternInfo};

/// Most panes side by side.
pub const MAX_PANES: usize = 3;
/// Query prefix of each pane's own parameters.
pub const PREFIX: [&str; MAX_PANES] = ["", "b.", "c."];
/// Pane names on screen.
pub const PANE_NAMES: [&str; MAX_PANES] = ["A", "B", "C"];
/// The same names in lower case, as the page's test ids and the elements a
/// shortcut looks up carry them (`pane-a`, `show-b`, `scope-c`).
pub const PANE_IDS: [&str; MAX_PANES] = ["a", "b", "c"];

/// One pane's pattern and parameter values.
#[derive(Clone, Debug)]
pub struct PaneSettings {
    pub info: &'static PatternInfo,
    /// Values at the start of the run.
    pub values: Vec<f64>,
    /// The run's live changes, in time order.
    pub changes: Vec<LinkChange>,
}

/// Everything a link restores.
#[derive(Clone, Debug)]
pub struct PageSettings {
    pub panes: Vec<PaneSettings>,
    pub seed: u64,
    pub preset: Option<String>,
    /// What in the link was refused, in the words of the validation.
    pub problems: Vec<String>,
    /// `room=<code>`: follow (or present) a classroom room.
    pub room: Option<String>,
    /// `fork=<code>`: explore a private copy of a room.
    pub fork: Option<String>,
    /// `t=<seconds>`: open the run paused at that moment.
    pub at: Option<f64>,
    /// `bm=<seconds>:<label>`, in time order.
    pub bookmarks: Vec<Bookmark>,
    /// `real=<id>`: the last pane plays back this real run the server
    /// keeps, beside the model in the panes before it.
    pub real: Option<String>,
}

/// What a link adds after the settings for a run's history: each pane's
/// live changes and the bookmarks.
pub fn history_query(changes: &[Vec<LinkChange>], bookmarks: &[Bookmark]) -> String {
    let mut q = String::new();
    for (pane, list) in changes.iter().enumerate().take(MAX_PANES) {
        for c in list {
            q.push_str(&format!("&{}ch={}", PREFIX[pane], c.text()));
        }
    }
    for b in bookmarks {
        q.push_str(&format!(
            "&bm={}",
            utf8_percent_encode(&b.text(), NON_ALPHANUMERIC)
        ));
    }
    q
}

/// The query a pane's WebSocket session starts from.
pub fn pane_query(info: &PatternInfo, values: &[f64], seed: u64) -> String {
    let mut q = format!("pattern={}&seed={seed}", info.id);
    for (spec, &v) in info.params.iter().zip(values) {
        if v != spec.default_value() {
            q.push_str(&format!("&{}={}", spec.id, spec.format(v)));
        }
    }
    q
}

/// The query that reproduces every pane (non-default values only).
/// What a pane other than the first gets for `spec` from the link's plain
/// parameters (those of the first pane): the first pane's value when it has
/// the parameter and the value is admissible here, else the default.
pub fn inherited(first: &PatternInfo, first_values: &[f64], spec: &ParamSpec) -> f64 {
    first
        .params
        .iter()
        .position(|s| s.id == spec.id)
        .and_then(|i| first_values.get(i).copied())
        .filter(|&x| spec.check(x).is_ok())
        .unwrap_or_else(|| spec.default_value())
}

/// A pane added beside the others by "+ Compare": `info`, with the values
/// it inherits from the first pane.
pub fn with_companion(
    panes: &[(&'static PatternInfo, Vec<f64>)],
    info: &'static PatternInfo,
) -> Vec<(&'static PatternInfo, Vec<f64>)> {
    let mut out = panes.to_vec();
    if let Some((first, first_values)) = panes.first() {
        let values = info
            .params
            .iter()
            .map(|spec| inherited(first, first_values, spec))
            .collect();
        out.insert(1, (info, values));
    }
    out
}

pub fn page_query(panes: &[(&'static PatternInfo, Vec<f64>)], seed: u64) -> String {
    let Some((first, first_values)) = panes.first() else {
        return format!("seed={seed}");
    };
    let mut q = format!("pattern={}", first.id);
    if panes.len() > 1 {
        let rest: Vec<&str> = panes[1..].iter().map(|(i, _)| i.id).collect();
        q.push_str(&format!("&vs={}", rest.join(",")));
    }
    q.push_str(&format!("&seed={seed}"));
    for (spec, &v) in first.params.iter().zip(first_values) {
        if v != spec.default_value() {
            q.push_str(&format!("&{}={}", spec.id, spec.format(v)));
        }
    }
    for (pane, (info, values)) in panes.iter().enumerate().skip(1) {
        for (spec, &v) in info.params.iter().zip(values) {
            if v != inherited(first, first_values, spec) {
                q.push_str(&format!("&{}{}={}", PREFIX[pane], spec.id, spec.format(v)));
            }
        }
    }
    q
}

fn pairs(search: &str) -> Vec<(String, String)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding of what links carry (`+` is a space; a `%` that starts
/// no escape stays as it is).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Reads a link's query. Unknown patterns fall back to `default`; refused
/// values keep the default and are reported in `problems`.
pub fn parse(search: &str, default: &'static PatternInfo) -> PageSettings {
    let pairs = pairs(search);
    let mut problems = Vec::new();
    let find = |id: &str, problems: &mut Vec<String>| match find_pattern(id.trim()) {
        Ok(info) => Some(info),
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    let first = pairs
        .iter()
        .find(|(k, _)| k == "pattern")
        .and_then(|(_, id)| find(id, &mut problems))
        .unwrap_or(default);
    let mut infos = vec![first];
    if let Some((_, list)) = pairs.iter().find(|(k, _)| k == "vs") {
        for id in list.split(',').filter(|s| !s.trim().is_empty()) {
            if infos.len() == MAX_PANES {
                problems.push(format!("at most {MAX_PANES} patterns side by side"));
                break;
            }
            if let Some(info) = find(id, &mut problems) {
                infos.push(info);
            }
        }
    }
    let mut sets: Vec<ParamSet> = infos.iter().map(|i| i.defaults()).collect();
    let mut seed = 1;
    let mut preset = None;
    let mut at = None;
    let mut bookmarks = Vec::new();
    let mut changes = Vec::new();
    for (pane, info) in infos.iter().enumerate() {
        let key = format!("{}ch", PREFIX[pane]);
        let (list, refused) = parse_changes(
            info,
            pairs
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str()),
        );
        problems.extend(refused);
        changes.push(list);
    }
    // Plain parameters first, then each pane's own, whatever the order.
    for own in [false, true] {
        for (k, v) in &pairs {
            match k.as_str() {
                "pattern" | "vs" => {}
                "seed" if !own => match v.parse() {
                    Ok(s) => seed = s,
                    Err(_) => problems.push(format!(
                        "seed = '{}' is not a whole number",
                        sim::params::clip(v)
                    )),
                },
                "preset" if !own => preset = Some(v.clone()),
                "t" if !own => match v.parse::<f64>() {
                    Ok(t) if t.is_finite() && t >= 0.0 => at = Some(t),
                    _ => problems.push(format!(
                        "t = '{}' is not a moment of the run: expected seconds from 0",
                        sim::params::clip(v)
                    )),
                },
                "bm" if !own => match Bookmark::parse(v) {
                    Ok(_) if bookmarks.len() == MAX_BOOKMARKS => {}
                    Ok(b) => bookmarks.push(b),
                    Err(e) => problems.push(e),
                },
                "seed" | "preset" | "room" | "fork" | "t" | "bm" | "ch" | "b.ch" | "c.ch"
                | "real" => {}
                _ => {
                    let pane = PREFIX[1..]
                        .iter()
                        .position(|p| k.starts_with(p))
                        .map(|i| i + 1);
                    match (pane, own) {
                        (Some(p), true) => {
                            let id = &k[PREFIX[p].len()..];
                            match sets.get_mut(p) {
                                Some(set) => {
                                    if let Err(e) = set.set_str(id, v) {
                                        problems.push(e.to_string());
                                    }
                                }
                                None => problems.push(format!(
                                    "'{}' names pane {} but the link compares fewer patterns",
                                    sim::params::clip(k),
                                    PANE_NAMES[p]
                                )),
                            }
                        }
                        (None, false) => {
                            // Every pane that has the parameter takes it; a
                            // value refused anywhere is reported once.
                            let mut known = false;
                            let mut refused = None;
                            for set in sets.iter_mut() {
                                if set.specs().iter().any(|s| s.id == k) {
                                    known = true;
                                    if let Err(e) = set.set_str(k, v) {
                                        refused.get_or_insert(e.to_string());
                                    }
                                }
                            }
                            if let Some(e) = refused {
                                problems.push(e);
                            } else if !known {
                                if let Err(e) = sets[0].set_str(k, v) {
                                    problems.push(e.to_string());
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let real = real_of(&pairs);
    if real.is_some() && infos.len() < 2 {
        problems
            .push("a real run plays beside its model: the link needs a second pane (vs=)".into());
    }
    PageSettings {
        real: real.filter(|_| infos.len() > 1),
        panes: infos
            .into_iter()
            .zip(sets)
            .zip(changes)
            .map(|((info, set), changes)| PaneSettings {
                info,
                values: set.values().to_vec(),
                changes,
            })
            .collect(),
        seed,
        preset,
        problems,
        room: code_of(&pairs, "room"),
        fork: code_of(&pairs, "fork"),
        at,
        bookmarks: {
            bookmarks.sort_by_key(|b| b.at);
            bookmarks
        },
    }
}

/// A real run's id from the link: 16 hex digits, as the server writes it.
fn real_of(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == "real")
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .filter(|v| v.len() == 16 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A room's join code from the link, as the server spells it.
fn code_of(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| {
            v.chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::catalogue;

    fn rr() -> &'static PatternInfo {
        find_pattern("request-response").unwrap()
    }

    /// `real=` names a kept real run for the last pane: 16 hex digits,
    /// beside a model (a link with one pane says why it is ignored).
    #[test]
    fn a_real_run_is_read_from_the_link() {
        let q = "?pattern=request-response&vs=request-response&seed=3&real=00FF00ff00ff00ff";
        let s = parse(q, catalogue()[0]);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.real.as_deref(), Some("00ff00ff00ff00ff"));
        assert_eq!(parse("?vs=sse&real=12", catalogue()[0]).real, None);
        let alone = parse(
            "?pattern=request-response&real=00ff00ff00ff00ff",
            catalogue()[0],
        );
        assert_eq!(alone.real, None);
        assert!(
            alone.problems[0].contains("beside its model"),
            "{:?}",
            alone.problems
        );
    }

    #[test]
    fn a_page_round_trips_through_its_query() {
        let mq = find_pattern("message-queue").unwrap();
        let mut a = rr().defaults();
        a.set_str("rate", "150").unwrap();
        a.set_str("outage_s", "20").unwrap();
        let mut b = mq.defaults();
        b.set_str("rate", "150").unwrap();
        b.set_str("consumers", "7").unwrap();
        let panes = vec![(rr(), a.values().to_vec()), (mq, b.values().to_vec())];
        let q = page_query(&panes, 42);
        assert!(
            q.starts_with("pattern=request-response&vs=message-queue&seed=42"),
            "{q}"
        );
        assert!(
            q.contains("&rate=150") && q.contains("&b.consumers=7"),
            "{q}"
        );
        assert!(!q.contains("b.rate"), "shared values are written once: {q}");
        let back = parse(&format!("?{q}"), catalogue()[0]);
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        assert_eq!(back.seed, 42);
        assert_eq!(back.panes.len(), 2);
        assert_eq!(back.panes[0].values, a.values());
        assert_eq!(back.panes[1].values, b.values());
    }

    #[test]
    fn a_runs_history_round_trips_through_its_link() {
        let mq = find_pattern("message-queue").unwrap();
        let panes = vec![
            (rr(), rr().defaults().values().to_vec()),
            (mq, mq.defaults().values().to_vec()),
        ];
        let rate =
            |info: &'static PatternInfo| info.params.iter().find(|s| s.id == "rate").unwrap();
        let changes = vec![
            vec![LinkChange {
                at: 12_500_000_001,
                spec: rate(rr()),
                value: 240.0,
            }],
            vec![LinkChange {
                at: 3_000_000_000,
                spec: rate(mq),
                value: 90.5,
            }],
        ];
        let marks = vec![
            Bookmark::new(4_000_000_000, "the queue tips over & grows"),
            Bookmark::new(9_100_000_000, ""),
        ];
        let q = page_query(&panes, 7) + &history_query(&changes, &marks);
        assert!(
            q.contains("&ch=12.500000001:rate:240&b.ch=3:rate:90.5&bm="),
            "{q}"
        );
        let back = parse(&format!("?{q}&t=13.5"), catalogue()[0]);
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        assert_eq!(back.panes[0].changes, changes[0]);
        assert_eq!(back.panes[1].changes, changes[1]);
        assert_eq!(back.bookmarks, marks);
        assert_eq!(back.at, Some(13.5));
        let bad = parse("?ch=1:workers:nine&bm=later:x", catalogue()[0]);
        assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
    }

    #[test]
    fn the_same_pattern_twice_with_other_settings() {
        let q = "pattern=request-response&vs=request-response&workers=2&b.workers=6";
        let s = parse(q, catalogue()[0]);
        let w = |p: &PaneSettings| {
            let i = p
                .info
                .params
                .iter()
                .position(|s| s.id == "workers")
                .unwrap();
            p.values[i]
        };
        assert_eq!((w(&s.panes[0]), w(&s.panes[1])), (2.0, 6.0));
        let again = page_query(
            &s.panes
                .iter()
                .map(|p| (p.info, p.values.clone()))
                .collect::<Vec<_>>(),
            s.seed,
        );
        assert!(
            again.contains("&workers=2") && again.contains("&b.workers=6"),
            "{again}"
        );
    }

    #[test]
    fn compare_adds_the_companion_second_and_keeps_each_panes_own_values() {
        let q = "pattern=request-response&vs=request-response&workers=2&b.workers=6&rate=150";
        let s = parse(q, catalogue()[0]);
        let panes: Vec<_> = s.panes.iter().map(|p| (p.info, p.values.clone())).collect();
        let mq = find_pattern(rr().lesson.companion).unwrap();
        let q = page_query(&with_companion(&panes, mq), s.seed);
        assert!(
            q.starts_with("pattern=request-response&vs=message-queue,request-response&"),
            "{q}"
        );
        // The pane that was second is third now, its own workers with it;
        // the new pane inherits the shared rate.
        let back = parse(&q, catalogue()[0]);
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        let get = |p: &PaneSettings, id: &str| {
            p.values[p.info.params.iter().position(|s| s.id == id).unwrap()]
        };
        assert_eq!(get(&back.panes[2], "workers"), 6.0, "{q}");
        assert_eq!(get(&back.panes[0], "workers"), 2.0, "{q}");
        assert_eq!(get(&back.panes[1], "rate"), 150.0, "{q}");
    }

    #[test]
    fn bad_links_are_reported_and_keep_defaults() {
        let s = parse(
            "pattern=nope&vs=carrier-pigeon&rate=-3&seed=x&c.rate=5&preset=black-friday",
            catalogue()[0],
        );
        assert_eq!(s.panes.len(), 1);
        assert_eq!(s.panes[0].info.id, catalogue()[0].id);
        assert_eq!(s.panes[0].values, catalogue()[0].defaults().values());
        assert_eq!(s.problems.len(), 5, "{:?}", s.problems);
        assert_eq!(s.preset.as_deref(), Some("black-friday"));
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(decode("a%2Cb+c"), "a,b c");
        assert_eq!(decode("100%"), "100%");
        let s = parse(
            "pattern=request-response&vs=short-polling%2Cwebsocket",
            catalogue()[0],
        );
        assert_eq!(s.panes.len(), 3);
    }
}
