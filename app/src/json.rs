//! JSON in the page without a JSON library in the WASM.
//!
//! The page reads the little JSON the server sends it (room descriptions,
//! error and inspect text frames) with the browser's own `JSON.parse`, and
//! writes the few bodies it sends (controls, recipes, a class's start)
//! here: strings and fractional numbers are encoded by the browser's
//! `JSON.stringify` (exact escaping, shortest round-trip numbers), whole
//! numbers by Rust, so a seed past 2^53 stays exact. serde_json cost the
//! bundle ~20 KB brotli (README, "The bundle's largest parts") for this;
//! the server's build and the tests use it for the same two encoders.

use sim::params::Value;
use sim::wire::{Control, Recipe};
use wasm_bindgen::{JsCast, JsValue};

/// A JSON string literal (quotes and escapes included).
#[cfg(target_arch = "wasm32")]
pub fn quote(s: &str) -> String {
    js_sys::JSON::stringify(&JsValue::from_str(s))
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_else(|| "\"\"".into())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A JSON number (`null` when not finite, as both encoders write it).
#[cfg(target_arch = "wasm32")]
fn number(v: f64) -> String {
    js_sys::JSON::stringify(&JsValue::from_f64(v))
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_else(|| "null".into())
}

#[cfg(not(target_arch = "wasm32"))]
fn number(v: f64) -> String {
    serde_json::to_string(&v).unwrap_or_else(|_| "null".into())
}

/// A JSON object written field by field.
pub struct Object {
    text: String,
}

impl Default for Object {
    fn default() -> Self {
        Object { text: "{".into() }
    }
}

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    /// A field whose value is already JSON text.
    pub fn raw(mut self, key: &str, json: &str) -> Object {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        self.text.push_str(&quote(key));
        self.text.push(':');
        self.text.push_str(json);
        self
    }

    pub fn str(self, key: &str, v: &str) -> Object {
        self.raw(key, &quote(v))
    }

    pub fn num(self, key: &str, v: f64) -> Object {
        self.raw(key, &number(v))
    }

    /// A whole number, exact past 2^53 (seeds, virtual nanoseconds).
    pub fn int(self, key: &str, v: u64) -> Object {
        self.raw(key, &v.to_string())
    }

    pub fn bool(self, key: &str, v: bool) -> Object {
        self.raw(key, if v { "true" } else { "false" })
    }

    /// The field only when there is a value.
    pub fn opt_int(self, key: &str, v: Option<u64>) -> Object {
        match v {
            Some(v) => self.int(key, v),
            None => self,
        }
    }

    pub fn opt_str(self, key: &str, v: Option<&str>) -> Object {
        match v {
            Some(v) => self.str(key, v),
            None => self,
        }
    }

    pub fn done(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// A JSON array of items already written as JSON text.
pub fn array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

fn numbers(values: &[f64]) -> String {
    array(values.iter().map(|&v| number(v)))
}

/// A control as the server's WebSocket takes it (`sim::wire::Control`).
pub fn control(c: &Control) -> String {
    let o = Object::new();
    match c {
        Control::Set { param, value } => {
            let o = o.str("type", "set").str("param", param);
            match value {
                Value::Number(v) => o.num("value", *v),
                Value::Bool(b) => o.bool("value", *b),
                Value::Text(t) => o.str("value", t),
            }
        }
        Control::Play => o.str("type", "play"),
        Control::Pause => o.str("type", "pause"),
        Control::Speed { value } => o.str("type", "speed").num("value", *value),
        Control::Step => o.str("type", "step"),
        Control::Seek { t } => o.str("type", "seek").num("t", *t),
        Control::StepBack => o.str("type", "step_back"),
        Control::Live => o.str("type", "live"),
        Control::Pattern { id } => o.str("type", "pattern").str("id", id),
        Control::Reset { seed } => o.str("type", "reset").opt_int("seed", *seed),
        Control::Inspect { req, msg } => o
            .str("type", "inspect")
            .opt_int("req", *req)
            .opt_int("msg", *msg),
        Control::Sweep {
            param,
            from,
            to,
            points,
            reps,
            secs,
            figure,
            csv,
        } => o
            .str("type", "sweep")
            .str("param", param)
            .num("from", *from)
            .num("to", *to)
            .int("points", u64::from(*points))
            .int("reps", u64::from(*reps))
            .num("secs", *secs)
            .str("figure", figure)
            .str("csv", csv),
        Control::Story { req, msg } => o
            .str("type", "story")
            .opt_int("req", *req)
            .opt_int("msg", *msg),
        Control::Bookmarks { list } => o
            .str("type", "bookmarks")
            .raw("list", &array(list.iter().map(|t| quote(t)))),
    }
    .done()
}

/// A run's recipe as `POST /api/export` and `POST /api/rooms` take it.
pub fn recipe(r: &Recipe) -> String {
    Object::new()
        .str("pattern", &r.pattern)
        .int("seed", r.seed)
        .raw("values", &numbers(&r.values))
        .raw(
            "changes",
            &array(r.changes.iter().map(|c| {
                Object::new()
                    .int("at", c.at)
                    .raw("values", &numbers(&c.values))
                    .done()
            })),
        )
        .int("until", r.until)
        .done()
}

/// The largest whole number a JavaScript number holds exactly (2^53 − 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// JSON the server sent, as the browser parsed it. Reading a missing field
/// or one of another type gives `None`, never a panic.
#[derive(Clone, Debug)]
pub struct Json(JsValue);

impl Json {
    /// `None` when the text is not JSON.
    pub fn parse(text: &str) -> Option<Json> {
        js_sys::JSON::parse(text).ok().map(Json)
    }

    /// The field `key` of an object (`undefined` if there is none).
    pub fn get(&self, key: &str) -> Json {
        Json(if self.0.is_object() {
            js_sys::Reflect::get(&self.0, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        })
    }

    pub fn str(&self) -> Option<String> {
        self.0.as_string()
    }

    pub fn bool(&self) -> Option<bool> {
        self.0.as_bool()
    }

    pub fn f64(&self) -> Option<f64> {
        self.0.as_f64().filter(|v| v.is_finite())
    }

    /// A whole number the browser can hold exactly (counts, request ids).
    pub fn u64(&self) -> Option<u64> {
        self.0
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= MAX_SAFE_INTEGER)
            .map(|v| v as u64)
    }

    /// The items of an array (`None` if it is not one).
    pub fn items(&self) -> Option<Vec<Json>> {
        self.0
            .dyn_ref::<js_sys::Array>()
            .map(|a| a.iter().map(Json).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::wire::Change;

    /// Every control the page sends reads back, through the server's own
    /// parser, as the same control.
    #[test]
    fn controls_read_back_as_sent() {
        let controls = [
            Control::Set {
                param: "rate".into(),
                value: Value::Number(120.5),
            },
            Control::Set {
                param: "rate".into(),
                value: Value::Number(1e-7),
            },
            Control::Set {
                param: "resume".into(),
                value: Value::Bool(true),
            },
            Control::Set {
                param: "service_dist".into(),
                value: Value::Text("log\"normal\\\n".into()),
            },
            Control::Play,
            Control::Pause,
            Control::Speed { value: 0.25 },
            Control::Step,
            Control::Pattern {
                id: "long-polling".into(),
            },
            Control::Reset { seed: None },
            Control::Reset {
                seed: Some(u64::MAX),
            },
            Control::Inspect {
                req: Some(12),
                msg: None,
            },
            Control::Inspect {
                req: None,
                msg: Some(40),
            },
            Control::Inspect {
                req: None,
                msg: None,
            },
            Control::Bookmarks {
                list: vec!["12.5:the \"first\" timeout".into(), "3:".into()],
            },
            Control::Sweep {
                param: "rate".into(),
                from: 10.0,
                to: 95.5,
                points: 5,
                reps: 4,
                secs: 30.0,
                figure: "wait_ms.mean".into(),
                csv: "10,wait_ms.mean,11.5,0.2,4,11.1\n10,wait_ms.p95,30,1,4,\n".into(),
            },
            Control::Story {
                req: Some(3),
                msg: None,
            },
        ];
        for c in controls {
            let text = control(&c);
            assert_eq!(Control::parse(&text).as_ref(), Ok(&c), "{text}");
        }
    }

    /// A recipe reads back whole, seeds past 2^53 included.
    #[test]
    fn recipes_read_back_as_sent() {
        for seed in [0, 7, 1 << 53, (1 << 53) + 1, u64::MAX] {
            let r = Recipe {
                pattern: "webhooks".into(),
                seed,
                values: vec![80.0, 0.05, 1e-9, 20000.0],
                changes: vec![
                    Change {
                        at: 1_500_000_000,
                        values: vec![120.0, 0.1, 1e-9, 3.0],
                    },
                    Change {
                        at: u64::MAX / 2,
                        values: vec![],
                    },
                ],
                until: 3_600_000_000_000,
            };
            let text = recipe(&r);
            let back: Recipe =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(back, r, "{text}");
        }
    }

    #[test]
    fn objects_and_arrays_are_json() {
        let text = Object::new()
            .str("link", "pattern=a&seed=1")
            .raw(
                "recipes",
                &array([recipe(&Recipe::default()), recipe(&Recipe::default())]),
            )
            .bool("playing", false)
            .opt_str("preset", None)
            .done();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["recipes"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["playing"], false);
        assert!(v.get("preset").is_none());
        assert_eq!(array([]), "[]");
        assert_eq!(Object::new().done(), "{}");
    }
}
