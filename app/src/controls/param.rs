//! One control per pattern parameter, generated from its [`ParamSpec`].
//!
//! Numbers get a slider (logarithmic where the range spans decades) and a
//! number field for exact values; choices a drop-down; booleans a checkbox.
//! A control can only produce admissible values: the slider maps onto the
//! range and the number field refuses anything the spec refuses, saying why.

use leptos::prelude::*;
use sim::params::{fmt_num, Kind, ParamSpec};

/// Slider positions run from 0 to this.
const SLIDER_STEPS: f64 = 1000.0;

/// How long after the last change an interaction counts as over.
const SETTLE_MS: u64 = 700;

/// Slider position (0..=1) to value, for a number spec.
pub fn from_position(spec: &ParamSpec, pos: f64) -> f64 {
    let Kind::Number {
        min,
        max,
        step,
        integer,
        log,
        ..
    } = spec.kind
    else {
        return pos;
    };
    let pos = pos.clamp(0.0, 1.0);
    let raw = if log {
        let s0 = step.max((max - min) * 1e-5);
        min + s0 * ((1.0 + (max - min) / s0).powf(pos) - 1.0)
    } else {
        min + (max - min) * pos
    };
    snap(raw, min, max, step, integer)
}

/// Value to slider position (0..=1), the inverse of [`from_position`].
pub fn to_position(spec: &ParamSpec, v: f64) -> f64 {
    let Kind::Number {
        min,
        max,
        step,
        log,
        ..
    } = spec.kind
    else {
        return 0.0;
    };
    if max <= min {
        return 0.0;
    }
    let p = if log {
        let s0 = step.max((max - min) * 1e-5);
        ((1.0 + (v - min) / s0).ln() / (1.0 + (max - min) / s0).ln()).clamp(0.0, 1.0)
    } else {
        (v - min) / (max - min)
    };
    p.clamp(0.0, 1.0)
}

/// Rounds to a sensible precision for the value's size, within the range.
fn snap(v: f64, min: f64, max: f64, step: f64, integer: bool) -> f64 {
    let v = if integer {
        v.round()
    } else {
        // Three significant digits, but never finer than the step.
        let mag = 10f64
            .powf(v.abs().max(1e-12).log10().floor() - 2.0)
            .max(step);
        (v / mag).round() * mag
    };
    let v = (v * 1e9).round() / 1e9;
    v.clamp(min, max)
}

/// The value with its unit, as shown beside the control.
pub fn shown(spec: &ParamSpec, v: f64) -> String {
    match spec.kind {
        Kind::Number { .. } if spec.id == "loss" => format!("{:.1} %", v * 100.0),
        Kind::Number { .. } if spec.unit.is_empty() => fmt_num(v),
        Kind::Number { .. } => format!("{} {}", fmt_num(v), spec.unit),
        _ => spec.format(v),
    }
}

#[component]
pub fn ParamControl(
    spec: &'static ParamSpec,
    index: usize,
    values: RwSignal<Vec<f64>>,
    /// Applies a new value (to one pane, or every pane that has it).
    on_set: Callback<f64>,
    /// A value to mark on the slider: the stability limit on the rate.
    #[prop(into, optional)]
    limit: Signal<Option<f64>>,
    /// Told the value once the interaction has ended (a slider let go, an
    /// arrow key's run over): the page says what the change does.
    #[prop(optional)]
    settled: Option<Callback<f64>>,
) -> impl IntoView {
    let value = move || {
        values.with(|v| {
            v.get(index)
                .copied()
                .unwrap_or_else(|| spec.default_value())
        })
    };
    let apply = move |v: f64| on_set.run(v);
    // The end of an interaction: a drag's release or the last of a run of
    // key presses (each fires `change`), a moment after it.
    let pending = StoredValue::new_local(None::<leptos::prelude::TimeoutHandle>);
    let settle = move |v: f64| {
        let Some(cb) = settled else { return };
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(
            move || cb.run(v),
            std::time::Duration::from_millis(SETTLE_MS),
        );
        pending.set_value(h.ok());
    };
    let id = format!("param-{}", spec.id);
    let restart_note = if spec.live { "" } else { " (restarts the run)" };
    let title = format!("{}{restart_note}", spec.help);
    match spec.kind {
        Kind::Number { min, max, step, .. } => {
            let problem = RwSignal::new(None::<String>);
            let has_problem = Memo::new(move |_| problem.with(Option::is_some));
            (view! {
                <div class="param" title=title.clone()>
                    <label for=id.clone()>
                        <span class="param-name">{spec.name}</span>
                        <span class="param-value" data-testid=format!("value-{}", spec.id)>{move || shown(spec, value())}</span>
                    </label>
                    <div class="param-inputs">
                        <div class="slider">
                        <input
                            type="range"
                            id=id.clone()
                            data-param=spec.id
                            min="0"
                            max=SLIDER_STEPS.to_string()
                            step="1"
                            aria-valuetext=move || crate::describe::respond::value_text(spec, value())
                            prop:value=move || (to_position(spec, value()) * SLIDER_STEPS).round().to_string()
                            on:input=move |ev| {
                                if let Ok(pos) = event_target_value(&ev).parse::<f64>() {
                                    problem.set(None);
                                    apply(from_position(spec, pos / SLIDER_STEPS));
                                }
                            }
                            on:change=move |ev| {
                                if let Ok(pos) = event_target_value(&ev).parse::<f64>() {
                                    settle(from_position(spec, pos / SLIDER_STEPS));
                                }
                            }
                        />
                        {move || {
                            limit
                                .get()
                                .filter(|l| l.is_finite() && *l >= min && *l <= max)
                                .map(|l| {
                                    let left = format!("left: {:.2}%", to_position(spec, l) * 100.0);
                                    let title = format!("Stability limit: {} — above it the queue grows without bound", shown(spec, l));
                                    view! {
                                        <span class="limit-mark" role="img" style=left title=title.clone() aria-label=title data-testid=format!("limit-{}", spec.id)></span>
                                    }
                                })
                        }}
                        </div>
                        <input
                            type="number"
                            class="param-exact"
                            aria-label=format!("{} exact value", spec.name)
                            min=fmt_num(min)
                            max=fmt_num(max)
                            step=fmt_num(step)
                            prop:value=move || fmt_num(value())
                            on:change=move |ev| {
                                let text = event_target_value(&ev);
                                match spec.parse_str(&text) {
                                    Ok(v) => {
                                        problem.set(None);
                                        apply(v);
                                        settle(v);
                                    }
                                    Err(e) => problem.set(Some(e.to_string())),
                                }
                            }
                        />
                    </div>
                    {move || has_problem.get().then(|| view! {
                        <p class="param-problem" role="alert">{move || problem.get().unwrap_or_default()}</p>
                    }.into_any())}
                </div>
            }).into_any()
        }
        Kind::Choice { options, .. } => (view! {
            <div class="param" title=title.clone()>
                <label for=id.clone()><span class="param-name">{spec.name}</span></label>
                <select
                    id=id.clone()
                    data-param=spec.id
                    on:change=move |ev| {
                        if let Ok(v) = spec.parse_str(&event_target_value(&ev)) {
                            apply(v);
                        }
                    }
                >
                    {options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| {
                            view! { <option value=*o selected=move || value() as usize == i>{*o}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
        }).into_any(),
        Kind::Bool { .. } => (view! {
            <div class="param param-bool" title=title.clone()>
                <label>
                    <input
                        type="checkbox"
                        data-param=spec.id
                        prop:checked=move || value() != 0.0
                        on:change=move |ev| apply(if event_target_checked(&ev) { 1.0 } else { 0.0 })
                    />
                    <span class="param-name">{spec.name}</span>
                </label>
            </div>
        }).into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::params::{LOSS, RATE, SERVICE_MS, WORKERS};

    #[test]
    fn slider_ends_reach_the_range_ends() {
        for spec in [RATE, SERVICE_MS, WORKERS, LOSS] {
            let Kind::Number { min, max, .. } = spec.kind else {
                unreachable!()
            };
            assert_eq!(from_position(&spec, 0.0), min, "{}", spec.id);
            assert_eq!(from_position(&spec, 1.0), max, "{}", spec.id);
        }
    }

    #[test]
    fn every_slider_position_is_admissible_and_round_trips() {
        for spec in [RATE, SERVICE_MS, WORKERS, LOSS] {
            for k in 0..=1000 {
                let v = from_position(&spec, k as f64 / 1000.0);
                assert!(spec.check(v).is_ok(), "{} at {k}: {v}", spec.id);
                let back = to_position(&spec, v);
                let again = from_position(&spec, back);
                let tolerance = (v.abs() * 0.02).max(1.0);
                assert!(
                    (again - v).abs() <= tolerance,
                    "{}: {v} → {back} → {again}",
                    spec.id
                );
            }
        }
    }

    #[test]
    fn defaults_sit_inside_the_slider() {
        let p = to_position(&RATE, 80.0);
        assert!(p > 0.2 && p < 0.8, "{p}");
    }

    #[test]
    fn shown_values_carry_units() {
        assert_eq!(shown(&RATE, 80.0), "80 req/s");
        assert_eq!(shown(&LOSS, 0.05), "5.0 %");
        assert_eq!(shown(&WORKERS, 4.0), "4");
    }
}
