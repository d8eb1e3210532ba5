//! A run's history as a link carries it: each live change as
//! `ch=<seconds>:<parameter>:<value>` (`b.ch=` for pane B), the moment shown
//! as `t=<seconds>` and bookmarks as `bm=<seconds>:<label>`, times exact to
//! the nanosecond ([`crate::time::exact_secs`]). The page writes them and
//! the server reads them back, so a link opens the same run at the same
//! moment, whatever happened in it.

use crate::catalogue::PatternInfo;
use crate::params::{clip, ParamSpec};
use crate::time::{exact_secs, parse_exact_secs, Time};
pub use crate::wire::Bookmark;
use crate::wire::Change;

/// Most live changes one link carries per pane (a lesson has a few dozen;
/// the server refuses a run with more rather than replay an essay).
pub const MAX_LINK_CHANGES: usize = 200;

/// Most bookmarks one run keeps, and the longest label (in characters).
pub const MAX_BOOKMARKS: usize = 50;
pub const MAX_LABEL: usize = 60;

/// One live change of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkChange {
    pub at: Time,
    pub spec: &'static ParamSpec,
    pub value: f64,
}

impl LinkChange {
    /// `12.5:rate:120`.
    pub fn text(&self) -> String {
        format!(
            "{}:{}:{}",
            exact_secs(self.at),
            self.spec.id,
            self.spec.format(self.value)
        )
    }
}

/// The changes of a run, one per parameter changed, from its start values
/// and its history of whole value lists.
pub fn changes_of(info: &PatternInfo, start: &[f64], history: &[Change]) -> Vec<LinkChange> {
    let mut before = start.to_vec();
    let mut out = Vec::new();
    for c in history {
        for ((spec, old), &new) in info.params.iter().zip(before.iter_mut()).zip(&c.values) {
            if *old != new {
                out.push(LinkChange {
                    at: c.at,
                    spec,
                    value: new,
                });
                *old = new;
            }
        }
    }
    out
}

/// Reads one `ch=` value for a run of `info`: a known live parameter, a
/// value inside its range, an exact time.
pub fn parse_change(info: &PatternInfo, text: &str) -> Result<LinkChange, String> {
    let bad = |why: &str| format!("ch = '{}' is not a live change: {why}", clip(text));
    let mut parts = text.splitn(3, ':');
    let (Some(at), Some(id), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected <seconds>:<parameter>:<value>"));
    };
    let at = parse_exact_secs(at).ok_or_else(|| bad("the time is not seconds from 0"))?;
    let spec = info
        .params
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| bad(&format!("{} has no parameter '{}'", info.id, clip(id))))?;
    if !spec.live {
        return Err(bad(&format!(
            "{} restarts the run, so it cannot change during one",
            spec.id
        )));
    }
    let value = spec.parse_str(value).map_err(|e| bad(&e.to_string()))?;
    Ok(LinkChange { at, spec, value })
}

/// Reads every change of a link in order of time (a stable sort: two at
/// the same moment keep the link's order). More than
/// [`MAX_LINK_CHANGES`] is refused whole.
pub fn parse_changes<'a>(
    info: &PatternInfo,
    texts: impl IntoIterator<Item = &'a str>,
) -> (Vec<LinkChange>, Vec<String>) {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for text in texts {
        if out.len() == MAX_LINK_CHANGES {
            problems.push(format!(
                "a link carries at most {MAX_LINK_CHANGES} live changes per pane; the rest were left out"
            ));
            break;
        }
        match parse_change(info, text) {
            Ok(c) => out.push(c),
            Err(e) => problems.push(e),
        }
    }
    out.sort_by_key(|c| c.at);
    (out, problems)
}

impl Bookmark {
    /// A bookmark with its label cut to [`MAX_LABEL`] characters, control
    /// characters removed.
    pub fn new(at: Time, label: &str) -> Bookmark {
        Bookmark {
            at,
            label: label
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_LABEL)
                .collect::<String>()
                .trim()
                .to_string(),
        }
    }

    /// `12.5:first timeout` (the label still to be percent-encoded).
    pub fn text(&self) -> String {
        format!("{}:{}", exact_secs(self.at), self.label)
    }

    /// Reads [`Bookmark::text`] back.
    pub fn parse(text: &str) -> Result<Bookmark, String> {
        let (at, label) = text.split_once(':').unwrap_or((text, ""));
        let at = parse_exact_secs(at).ok_or_else(|| {
            format!(
                "bm = '{}' is not a bookmark: expected <seconds>:<label>",
                clip(text)
            )
        })?;
        Ok(Bookmark::new(at, label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::find_pattern;
    use crate::time::MS;

    #[test]
    fn a_runs_changes_round_trip_through_their_text() {
        let info = find_pattern("request-response").unwrap();
        let start = info.defaults().values().to_vec();
        let mut later = start.clone();
        let rate = info.params.iter().position(|s| s.id == "rate").unwrap();
        later[rate] = 240.0;
        let history = [Change {
            at: 12_345 * MS + 6,
            values: later,
        }];
        let changes = changes_of(info, &start, &history);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].text(), "12.345000006:rate:240");
        let (back, problems) = parse_changes(
            info,
            changes
                .iter()
                .map(|c| c.text())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, changes);
    }

    #[test]
    fn bad_changes_say_why() {
        let info = find_pattern("request-response").unwrap();
        for (text, why) in [
            ("x:rate:3", "seconds"),
            ("1:nope:3", "no parameter 'nope'"),
            ("1:rate:-5", "rate"),
            ("1:rate", "expected"),
            ("1:clients:3", "restarts the run"),
        ] {
            let e = parse_change(info, text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
        let many: Vec<String> = (0..MAX_LINK_CHANGES + 5)
            .map(|i| format!("{i}:rate:10"))
            .collect();
        let (kept, problems) = parse_changes(info, many.iter().map(String::as_str));
        assert_eq!(kept.len(), MAX_LINK_CHANGES);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn bookmarks_keep_their_label_short_and_clean() {
        let b = Bookmark::parse("20.5:first timeout: see the queue").unwrap();
        assert_eq!(b.at, 20_500 * MS);
        assert_eq!(b.label, "first timeout: see the queue");
        assert_eq!(Bookmark::parse(&b.text()).unwrap(), b);
        let long = Bookmark::new(0, &"x\u{7}".repeat(200));
        assert_eq!(long.label.chars().count(), MAX_LABEL);
        assert!(!long.label.contains('\u{7}'));
        assert!(Bookmark::parse("soon:hi").is_err());
        assert_eq!(Bookmark::parse("3").unwrap().label, "");
    }
}
