//! Pattern parameters: their specifications, values and validation.
//!
//! Every parameter a pattern accepts is described by a [`ParamSpec`]: id,
//! name, unit, range, default and whether a change applies live. The same
//! specs produce the `/api/patterns` catalogue, the dashboard's controls, the
//! CLI's `--set` parsing and the WebSocket's validation, so a value refused in
//! one place is refused with the same words everywhere.
//!
//! Values are stored as `f64` whatever their kind (booleans as 0/1, choices
//! as the option's index): compact on the wire, and one code path for all.

use std::fmt;

use serde::Serialize;

/// A parameter value as a control message carries it: a number, a boolean
/// or an option id. Typed, so a message holding anything else (an array, an
/// object) is refused while it is parsed instead of being built in memory.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(f64),
    Bool(bool),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{}", fmt_num(*n)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(t) => write!(f, "{}", clip(t)),
        }
    }
}

/// The longest piece of a person's input an error message repeats.
pub const ECHO_CHARS: usize = 40;

/// `s`, or its first [`ECHO_CHARS`] characters and "…": error messages name
/// what was typed without echoing a megabyte back.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    clip_to(s, ECHO_CHARS)
}

/// `s`, or its first `n` characters and "…".
pub fn clip_to(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(n) {
        Some((cut, _)) => format!("{}…", &s[..cut]).into(),
        None => s.into(),
    }
}

/// The kind of a parameter and its admissible values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kind {
    Number {
        min: f64,
        max: f64,
        default: f64,
        /// Slider resolution.
        step: f64,
        /// Only whole numbers are admissible.
        integer: bool,
        /// The range spans decades: the slider should be logarithmic.
        log: bool,
    },
    Bool {
        default: bool,
    },
    Choice {
        options: &'static [&'static str],
        default: usize,
    },
}

/// One parameter of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ParamSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    /// One line for the control's tooltip.
    pub help: &'static str,
    #[serde(flatten)]
    pub kind: Kind,
    /// `true`: a change applies to the running simulation. `false`: the
    /// topology changes, so the run restarts with the new value.
    pub live: bool,
    /// For rates: 0 means "off", and values above 0 but below this are
    /// refused, because their mean gap would be longer than any run (and
    /// would push virtual time towards its end). 0 for other parameters.
    pub off_below: f64,
}

impl ParamSpec {
    /// The same parameter with another range and default: a pattern's own
    /// span for a common parameter (its step and scale unchanged). A spec
    /// that is not a number is returned as it is.
    pub const fn with_range(self, min: f64, max: f64, default: f64) -> ParamSpec {
        let kind = match self.kind {
            Kind::Number {
                step, integer, log, ..
            } => number(min, max, default, step, integer, log),
            other => other,
        };
        ParamSpec { kind, ..self }
    }

    /// The same parameter with another default (see [`ParamSpec::with_range`]).
    pub const fn with_default(self, default: f64) -> ParamSpec {
        let kind = match self.kind {
            Kind::Number {
                min,
                max,
                step,
                integer,
                log,
                ..
            } => number(min, max, default, step, integer, log),
            other => other,
        };
        ParamSpec { kind, ..self }
    }

    pub fn default_value(&self) -> f64 {
        match self.kind {
            Kind::Number { default, .. } => default,
            Kind::Bool { default } => f64::from(u8::from(default)),
            Kind::Choice { default, .. } => default as f64,
        }
    }

    /// The admissible values, in words, for error messages.
    pub fn range_text(&self) -> String {
        match self.kind {
            Kind::Number {
                min, max, integer, ..
            } => {
                let whole = if integer { "a whole number " } else { "" };
                let unit = if self.unit.is_empty() {
                    String::new()
                } else {
                    format!(" {}", self.unit)
                };
                if self.off_below > 0.0 {
                    format!(
                        "0 (off) or {whole}from {} to {}{unit}",
                        fmt_num(self.off_below),
                        fmt_num(max)
                    )
                } else {
                    format!("{whole}from {} to {}{unit}", fmt_num(min), fmt_num(max))
                }
            }
            Kind::Bool { .. } => "true or false".to_string(),
            Kind::Choice { options, .. } => format!("one of {}", options.join(", ")),
        }
    }

    /// Checks an encoded value against the spec.
    pub fn check(&self, v: f64) -> Result<f64, ParamError> {
        let ok = match self.kind {
            Kind::Number {
                min, max, integer, ..
            } => {
                v.is_finite()
                    && v >= min
                    && v <= max
                    && (!integer || v.fract() == 0.0)
                    && (v == 0.0 || v >= self.off_below)
            }
            Kind::Bool { .. } => v == 0.0 || v == 1.0,
            Kind::Choice { options, .. } => {
                v.fract() == 0.0 && v >= 0.0 && (v as usize) < options.len()
            }
        };
        if ok {
            Ok(v)
        } else {
            Err(ParamError::OutOfRange {
                param: self.id,
                value: fmt_num(v),
                range: self.range_text(),
            })
        }
    }

    /// Parses the textual form used by the CLI (`--set id=value`) and URLs.
    pub fn parse_str(&self, s: &str) -> Result<f64, ParamError> {
        let s = s.trim();
        let bad = || ParamError::BadValue {
            param: self.id,
            value: s.to_string(),
            range: self.range_text(),
        };
        let v = match self.kind {
            Kind::Number { .. } => s.parse::<f64>().map_err(|_| bad())?,
            Kind::Bool { .. } => match s {
                "true" | "1" | "on" => 1.0,
                "false" | "0" | "off" => 0.0,
                _ => return Err(bad()),
            },
            Kind::Choice { options, .. } => {
                options.iter().position(|o| *o == s).ok_or_else(bad)? as f64
            }
        };
        self.check(v)
    }

    /// Parses a value from a control message.
    pub fn parse_value(&self, j: &Value) -> Result<f64, ParamError> {
        match (self.kind, j) {
            (Kind::Number { .. }, Value::Number(n)) => self.check(*n),
            (Kind::Bool { .. }, Value::Bool(b)) => Ok(f64::from(u8::from(*b))),
            (_, Value::Text(s)) => self.parse_str(s),
            _ => Err(ParamError::BadValue {
                param: self.id,
                value: j.to_string(),
                range: self.range_text(),
            }),
        }
    }

    /// The value in its textual form (`true`, `exp`, `12.5`).
    pub fn format(&self, v: f64) -> String {
        match self.kind {
            Kind::Number { .. } => fmt_num(v),
            Kind::Bool { .. } => (v != 0.0).to_string(),
            Kind::Choice { options, .. } => {
                options.get(v as usize).copied().unwrap_or("?").to_string()
            }
        }
    }

    /// The value as a control message carries it.
    pub fn to_value(&self, v: f64) -> Value {
        match self.kind {
            Kind::Number { .. } => Value::Number(v),
            Kind::Bool { .. } => Value::Bool(v != 0.0),
            Kind::Choice { .. } => Value::Text(self.format(v)),
        }
    }

    /// The value as JSON (number, boolean or string).
    pub fn to_json(&self, v: f64) -> serde_json::Value {
        match self.kind {
            Kind::Number { integer: true, .. } => serde_json::json!(v as i64),
            Kind::Number { .. } => serde_json::json!(v),
            Kind::Bool { .. } => serde_json::Value::Bool(v != 0.0),
            Kind::Choice { .. } => serde_json::Value::String(self.format(v)),
        }
    }
}

/// Formats a number without a trailing `.0` for whole values.
pub fn fmt_num(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.is_finite() && v != 0.0 && (v.abs() >= 1e15 || v.abs() < 1e-6) {
        // Scientific, so a typed 1e300 is not printed as 301 digits.
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A refused parameter or value, worded for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamError {
    UnknownPattern {
        pattern: String,
        valid: Vec<&'static str>,
    },
    UnknownParam {
        pattern: &'static str,
        param: String,
        valid: Vec<&'static str>,
    },
    OutOfRange {
        param: &'static str,
        value: String,
        range: String,
    },
    BadValue {
        param: &'static str,
        value: String,
        range: String,
    },
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::UnknownPattern { pattern, valid } => {
                write!(
                    f,
                    "unknown pattern '{}'; valid patterns: {}",
                    clip(pattern),
                    valid.join(", ")
                )
            }
            ParamError::UnknownParam {
                pattern,
                param,
                valid,
            } => write!(
                f,
                "unknown parameter '{}' for {pattern}; valid parameters: {}",
                clip(param),
                valid.join(", ")
            ),
            ParamError::OutOfRange {
                param,
                value,
                range,
            } => {
                write!(
                    f,
                    "{param} = {} is out of range: expected {range}",
                    clip(value)
                )
            }
            ParamError::BadValue {
                param,
                value,
                range,
            } => {
                write!(
                    f,
                    "{param} = '{}' is not a valid value: expected {range}",
                    clip(value)
                )
            }
        }
    }
}

impl std::error::Error for ParamError {}

/// The current values of one pattern's parameters, in spec order.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSet {
    pattern: &'static str,
    specs: &'static [ParamSpec],
    values: Vec<f64>,
}

impl ParamSet {
    /// Every parameter at its default.
    pub fn defaults(pattern: &'static str, specs: &'static [ParamSpec]) -> Self {
        ParamSet {
            pattern,
            specs,
            values: specs.iter().map(ParamSpec::default_value).collect(),
        }
    }

    pub fn pattern(&self) -> &'static str {
        self.pattern
    }

    pub fn specs(&self) -> &'static [ParamSpec] {
        self.specs
    }

    /// Encoded values in spec order (what the wire carries).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Looks up a spec by id, with the error a person should see.
    pub fn spec(&self, id: &str) -> Result<(usize, &'static ParamSpec), ParamError> {
        self.specs
            .iter()
            .enumerate()
            .find(|(_, s)| s.id == id)
            .ok_or_else(|| ParamError::UnknownParam {
                pattern: self.pattern,
                param: id.to_string(),
                valid: self.specs.iter().map(|s| s.id).collect(),
            })
    }

    /// The value of `id`. Panics only on a programming error: patterns ask
    /// for their own parameter ids.
    pub fn get(&self, id: &str) -> f64 {
        match self.spec(id) {
            Ok((i, _)) => self.values[i],
            Err(e) => panic!("pattern asked for a parameter it does not declare: {e}"),
        }
    }

    pub fn get_bool(&self, id: &str) -> bool {
        self.get(id) != 0.0
    }

    /// Sets an encoded value after checking it; on error nothing changes.
    pub fn set(&mut self, id: &str, v: f64) -> Result<(), ParamError> {
        let (i, spec) = self.spec(id)?;
        self.values[i] = spec.check(v)?;
        Ok(())
    }

    /// Parses and sets a textual value (CLI `--set`, URL query).
    pub fn set_str(&mut self, id: &str, s: &str) -> Result<(), ParamError> {
        let (i, spec) = self.spec(id)?;
        self.values[i] = spec.parse_str(s)?;
        Ok(())
    }

    /// Replaces every value from an encoded list (a reconnecting viewer).
    pub fn set_all(&mut self, values: &[f64]) -> Result<(), ParamError> {
        let mut next = self.clone();
        for (spec, &v) in self.specs.iter().zip(values) {
            next.set(spec.id, v)?;
        }
        *self = next;
        Ok(())
    }

    /// Takes over every value of `other` whose parameter this set also has
    /// and whose value is admissible here; the rest keep their values. Used
    /// when switching pattern, so the settings that still apply are kept.
    pub fn adopt(&mut self, other: &ParamSet) {
        for (spec, &v) in other.specs.iter().zip(&other.values) {
            if self.spec(spec.id).is_ok() {
                let _ = self.set(spec.id, v);
            }
        }
    }

    /// `{id: value}` as JSON, in spec order.
    pub fn to_json(&self) -> serde_json::Value {
        let map = self
            .specs
            .iter()
            .zip(&self.values)
            .map(|(s, &v)| (s.id.to_string(), s.to_json(v)))
            .collect();
        serde_json::Value::Object(map)
    }
}

// ---- The common parameters of the brief ------------------------------------

const fn number(min: f64, max: f64, default: f64, step: f64, integer: bool, log: bool) -> Kind {
    Kind::Number {
        min,
        max,
        default,
        step,
        integer,
        log,
    }
}

pub const RATE: ParamSpec = ParamSpec {
    id: "rate",
    name: "Offered load",
    unit: "req/s",
    help: "Requests per second offered by all clients together (Poisson arrivals).",
    kind: number(0.0, 20_000.0, 80.0, 0.1, false, true),
    live: true,
    off_below: 0.001,
};

pub const CLIENTS: ParamSpec = ParamSpec {
    id: "clients",
    name: "Clients",
    unit: "",
    help: "Number of client nodes sharing the offered load.",
    kind: number(1.0, 50.0, 4.0, 1.0, true, false),
    live: false,
    off_below: 0.0,
};

pub const SERVICE_MS: ParamSpec = ParamSpec {
    id: "service_ms",
    name: "Service time",
    unit: "ms",
    help: "Mean time one worker spends on one request.",
    kind: number(0.01, 10_000.0, 10.0, 0.01, false, true),
    live: true,
    off_below: 0.0,
};

pub const SERVICE_DIST: ParamSpec = ParamSpec {
    id: "service_dist",
    name: "Service-time distribution",
    unit: "",
    help: "exp: memoryless (M/M/c); const: every request takes the mean; lognormal: a long right tail.",
    kind: Kind::Choice {
        options: crate::dist::ServiceDist::IDS,
        default: 0,
    },
    live: true,
    off_below: 0.0,
};

pub const WORKERS: ParamSpec = ParamSpec {
    id: "workers",
    name: "Workers",
    unit: "",
    help: "Requests the service works on in parallel.",
    kind: number(1.0, 256.0, 1.0, 1.0, true, false),
    live: true,
    off_below: 0.0,
};

pub const QUEUE_CAP: ParamSpec = ParamSpec {
    id: "queue_cap",
    name: "Queue capacity",
    unit: "",
    help: "Requests that may wait for a worker; past it the service answers 503.",
    kind: number(0.0, 100_000.0, 100.0, 1.0, true, true),
    live: true,
    off_below: 0.0,
};

pub const NET_MS: ParamSpec = ParamSpec {
    id: "net_ms",
    name: "Network latency",
    unit: "ms",
    help: "One-way latency of every link.",
    kind: number(0.0, 5_000.0, 20.0, 0.1, false, true),
    live: true,
    off_below: 0.0,
};

pub const JITTER_MS: ParamSpec = ParamSpec {
    id: "jitter_ms",
    name: "Jitter",
    unit: "ms",
    help: "Extra one-way latency drawn uniformly from 0 to this, per message.",
    kind: number(0.0, 5_000.0, 5.0, 0.1, false, true),
    live: true,
    off_below: 0.0,
};

pub const LOSS: ParamSpec = ParamSpec {
    id: "loss",
    name: "Loss",
    unit: "",
    help: "Probability that a message is lost on a link.",
    kind: number(0.0, 1.0, 0.0, 0.001, false, false),
    live: true,
    off_below: 0.0,
};

pub const TIMEOUT_MS: ParamSpec = ParamSpec {
    id: "timeout_ms",
    name: "Client timeout",
    unit: "ms",
    help: "How long a client waits for a response before giving up on an attempt.",
    kind: number(1.0, 120_000.0, 2_000.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const RETRIES: ParamSpec = ParamSpec {
    id: "retries",
    name: "Retries",
    unit: "",
    help: "Attempts after the first when a request times out or is refused.",
    kind: number(0.0, 10.0, 0.0, 1.0, true, false),
    live: true,
    off_below: 0.0,
};

pub const BACKOFF_MS: ParamSpec = ParamSpec {
    id: "backoff_ms",
    name: "Back-off",
    unit: "ms",
    help: "Base delay before a retry; doubles each attempt, with full jitter.",
    kind: number(0.0, 60_000.0, 100.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const UPDATE_RATE: ParamSpec = ParamSpec {
    id: "update_rate",
    name: "Update rate",
    unit: "updates/s",
    help: "New data produced on the server side per second (Poisson).",
    kind: number(0.0, 1_000.0, 2.0, 0.01, false, true),
    live: true,
    off_below: 0.001,
};

pub const POLL_MS: ParamSpec = ParamSpec {
    id: "poll_ms",
    name: "Poll interval",
    unit: "ms",
    help: "How often each client asks the server for news.",
    kind: number(10.0, 60_000.0, 1_000.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const HOLD_MS: ParamSpec = ParamSpec {
    id: "hold_ms",
    name: "Hold time",
    unit: "ms",
    help: "How long the server holds a poll open waiting for data before answering empty.",
    kind: number(10.0, 120_000.0, 20_000.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const DROPS_PER_MIN: ParamSpec = ParamSpec {
    id: "drops_per_min",
    name: "Connection drops",
    unit: "per min",
    help: "How often each client's connection drops (Poisson, per client).",
    kind: number(0.0, 600.0, 2.0, 0.1, false, true),
    live: true,
    off_below: 0.01,
};

pub const RECONNECT_MS: ParamSpec = ParamSpec {
    id: "reconnect_ms",
    name: "Reconnect delay",
    unit: "ms",
    help: "How long a client waits after a drop before reconnecting (the stream's retry).",
    kind: number(0.0, 60_000.0, 1_000.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const RESUME: ParamSpec = ParamSpec {
    id: "resume",
    name: "Resume with Last-Event-ID",
    unit: "",
    help: "On reconnect the client says which event it saw last and the server replays what it missed.",
    kind: Kind::Bool { default: true },
    live: true,
    off_below: 0.0,
};

pub const FANOUT: ParamSpec = ParamSpec {
    id: "fanout",
    name: "Fan-out",
    unit: "backends",
    help: "Backends the gateway calls in parallel for every request.",
    kind: number(1.0, 16.0, 8.0, 1.0, true, false),
    live: false,
    off_below: 0.0,
};

pub const GATEWAY_MS: ParamSpec = ParamSpec {
    id: "gateway_ms",
    name: "Gateway time",
    unit: "ms",
    help: "Time the gateway spends combining the branches' answers.",
    kind: number(0.0, 1_000.0, 1.0, 0.1, false, true),
    live: true,
    off_below: 0.0,
};

pub const CONSUMERS: ParamSpec = ParamSpec {
    id: "consumers",
    name: "Consumers",
    unit: "",
    help: "Competing consumers taking work from the queue, one message at a time each.",
    kind: number(1.0, 32.0, 2.0, 1.0, true, false),
    live: false,
    off_below: 0.0,
};

pub const PREFETCH: ParamSpec = ParamSpec {
    id: "prefetch",
    name: "Prefetch",
    unit: "msgs",
    help: "Unacknowledged messages the broker lets each consumer hold; 1 leaves a consumer idle for a round trip after every message.",
    kind: number(1.0, 100.0, 10.0, 1.0, true, false),
    live: true,
    off_below: 0.0,
};

pub const VISIBILITY_MS: ParamSpec = ParamSpec {
    id: "visibility_ms",
    name: "Visibility timeout",
    unit: "ms",
    help: "How long a delivered message stays invisible; unacknowledged by then, it is delivered again.",
    kind: number(10.0, 600_000.0, 5_000.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const CRASHES_PER_MIN: ParamSpec = ParamSpec {
    id: "crashes_per_min",
    name: "Consumer crashes",
    unit: "per min",
    help: "How often each consumer crashes (Poisson), losing what it holds.",
    kind: number(0.0, 120.0, 0.0, 0.1, false, true),
    live: true,
    off_below: 0.01,
};

pub const RESTART_MS: ParamSpec = ParamSpec {
    id: "restart_ms",
    name: "Restart time",
    unit: "ms",
    help: "How long a crashed consumer stays down.",
    kind: number(0.0, 60_000.0, 2_000.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const IDEMPOTENCY: ParamSpec = ParamSpec {
    id: "idempotency",
    name: "Idempotent receiver",
    unit: "",
    help: "The receiver remembers event ids and applies each event once, however often it is delivered.",
    kind: Kind::Bool { default: false },
    live: true,
    off_below: 0.0,
};

pub const SPIKE_AT_S: ParamSpec = ParamSpec {
    id: "spike_at_s",
    name: "Spike starts at",
    unit: "s",
    help: "Virtual time at which a load spike begins.",
    kind: number(0.0, 3_600.0, 10.0, 1.0, false, false),
    live: true,
    off_below: 0.0,
};

pub const SPIKE_S: ParamSpec = ParamSpec {
    id: "spike_s",
    name: "Spike length",
    unit: "s",
    help: "How long the load spike lasts (0: no spike).",
    kind: number(0.0, 3_600.0, 0.0, 1.0, false, false),
    live: true,
    off_below: 0.0,
};

pub const SPIKE_X: ParamSpec = ParamSpec {
    id: "spike_x",
    name: "Spike size",
    unit: "×",
    help: "The offered load during the spike, as a multiple of the rate.",
    kind: number(1.0, 20.0, 3.0, 0.1, false, false),
    live: true,
    off_below: 0.0,
};

pub const OUTAGE_AT_S: ParamSpec = ParamSpec {
    id: "outage_at_s",
    name: "Outage starts at",
    unit: "s",
    help: "Virtual time at which the service goes down.",
    kind: number(0.0, 100_000.0, 10.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const OUTAGE_S: ParamSpec = ParamSpec {
    id: "outage_s",
    name: "Outage length",
    unit: "s",
    help: "How long the service stays down, refusing everything (0: no outage).",
    kind: number(0.0, 3_600.0, 0.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const SUBSCRIBERS: ParamSpec = ParamSpec {
    id: "subscribers",
    name: "Subscribers",
    unit: "",
    help: "Subscribers to the topic; each gets a copy of every event.",
    kind: number(1.0, 20.0, 4.0, 1.0, true, false),
    live: false,
    off_below: 0.0,
};

pub const SLOW_FACTOR: ParamSpec = ParamSpec {
    id: "slow_factor",
    name: "Slow subscriber",
    unit: "× service time",
    help: "How many times slower the last subscriber handles each event (1: no slow subscriber).",
    kind: number(1.0, 100.0, 8.0, 0.1, false, true),
    live: true,
    off_below: 0.0,
};

pub const BUFFER: ParamSpec = ParamSpec {
    id: "buffer",
    name: "Subscriber buffer",
    unit: "events",
    help: "Events that may wait for each subscriber.",
    kind: number(1.0, 100_000.0, 50.0, 1.0, true, true),
    live: true,
    off_below: 0.0,
};

pub const SLOW_POLICY: ParamSpec = ParamSpec {
    id: "slow_policy",
    name: "When a buffer is full",
    unit: "",
    help: "drop-oldest: the oldest waiting event is dropped; block: the subscriber's backlog keeps growing (buffer limit 50,000 — oldest dropped as overflow).",
    kind: Kind::Choice {
        options: &["drop-oldest", "block"],
        default: 0,
    },
    live: true,
    off_below: 0.0,
};

pub const HEARTBEAT_MS: ParamSpec = ParamSpec {
    id: "heartbeat_ms",
    name: "Heartbeat interval",
    unit: "ms",
    help: "How often each connection exchanges a ping/pong to prove it is alive.",
    kind: number(100.0, 120_000.0, 5_000.0, 1.0, false, true),
    live: true,
    off_below: 0.0,
};

pub const STAGES: ParamSpec = ParamSpec {
    id: "stages",
    name: "Services in the chain",
    unit: "",
    help: "Order → Payment → Inventory → Shipping (→ Invoice → Notify): how many take part.",
    kind: number(2.0, 6.0, 4.0, 1.0, true, false),
    live: false,
    off_below: 0.0,
};

pub const FAIL_RATE: ParamSpec = ParamSpec {
    id: "fail_rate",
    name: "Step failure rate",
    unit: "",
    help:
        "Probability that a service's step fails, starting the compensation of the steps before it.",
    kind: number(0.0, 1.0, 0.02, 0.001, false, false),
    live: true,
    off_below: 0.0,
};

pub const SLOW_STAGE: ParamSpec = ParamSpec {
    id: "slow_stage",
    name: "Stalled service",
    unit: "",
    help: "Which service in the chain is slowed down (0: none).",
    kind: number(0.0, 6.0, 0.0, 1.0, true, false),
    live: true,
    off_below: 0.0,
};

pub const SLOWDOWN: ParamSpec = ParamSpec {
    id: "slowdown",
    name: "Slowdown factor",
    unit: "×",
    help: "How many times slower the service works (1: normal speed).",
    kind: number(1.0, 1_000.0, 10.0, 0.1, false, true),
    live: true,
    off_below: 0.0,
};

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[RATE, WORKERS, SERVICE_DIST];

    #[test]
    fn defaults_then_valid_changes() {
        let mut p = ParamSet::defaults("request-response", SPECS);
        assert_eq!(p.get("rate"), 80.0);
        p.set_str("rate", "900").unwrap();
        p.set_str("service_dist", "lognormal").unwrap();
        assert_eq!(p.get("rate"), 900.0);
        assert_eq!(p.get("service_dist"), 2.0);
        assert_eq!(p.to_json()["service_dist"], "lognormal");
    }

    #[test]
    fn refusals_name_the_parameter_and_its_range() {
        let mut p = ParamSet::defaults("request-response", SPECS);
        let before = p.clone();
        let e = p.set_str("rate", "-5").unwrap_err().to_string();
        assert_eq!(
            e,
            "rate = -5 is out of range: expected 0 (off) or from 0.001 to 20000 req/s"
        );
        let e = p.set_str("workers", "1.5").unwrap_err().to_string();
        assert!(e.contains("a whole number from 1 to 256"), "{e}");
        let e = p.set_str("bogus", "1").unwrap_err().to_string();
        assert!(
            e.contains("unknown parameter 'bogus'") && e.contains("rate, workers"),
            "{e}"
        );
        let e = p.set_str("service_dist", "pareto").unwrap_err().to_string();
        assert!(e.contains("one of exp, const, lognormal"), "{e}");
        let e = p.set_str("rate", "fast").unwrap_err().to_string();
        assert!(e.contains("'fast' is not a valid value"), "{e}");
        assert_eq!(p, before, "a refused value changes nothing");
    }

    #[test]
    fn adopting_keeps_shared_settings_only() {
        let mut a = ParamSet::defaults("a", SPECS);
        a.set_str("rate", "300").unwrap();
        a.set_str("workers", "7").unwrap();
        const OTHER: &[ParamSpec] = &[RATE, LOSS];
        let mut b = ParamSet::defaults("b", OTHER);
        b.adopt(&a);
        assert_eq!(b.get("rate"), 300.0);
        assert_eq!(b.get("loss"), 0.0);
        assert_eq!(b.pattern(), "b");
    }

    #[test]
    fn tiny_rates_are_refused_but_zero_is_off() {
        let mut p = ParamSet::defaults("request-response", SPECS);
        for tiny in ["1e-300", "0.0001", "5e-324"] {
            let e = p.set_str("rate", tiny).unwrap_err().to_string();
            assert!(
                e.ends_with("expected 0 (off) or from 0.001 to 20000 req/s"),
                "{e}"
            );
        }
        p.set_str("rate", "0").unwrap();
        p.set_str("rate", "0.001").unwrap();
        assert_eq!(p.get("rate"), 0.001);
    }

    #[test]
    fn control_values_are_checked_by_kind() {
        let s = &WORKERS;
        assert_eq!(s.parse_value(&Value::Number(4.0)), Ok(4.0));
        assert!(s.parse_value(&Value::Number(0.0)).is_err());
        assert!(s.parse_value(&Value::Bool(true)).is_err());
        assert_eq!(s.parse_value(&Value::Text("7".into())), Ok(7.0));
    }

    #[test]
    fn errors_echo_at_most_a_clip_of_the_input() {
        let mut p = ParamSet::defaults("request-response", SPECS);
        let long = "x".repeat(1 << 20);
        for e in [
            p.set_str(&long, "1").unwrap_err(),
            p.set_str("rate", &long).unwrap_err(),
        ] {
            let text = e.to_string();
            assert!(text.len() < 300, "{} bytes", text.len());
            assert!(
                text.contains(&format!("{}…", "x".repeat(ECHO_CHARS))),
                "{text}"
            );
        }
        assert_eq!(clip("héllo"), "héllo");
    }
}
