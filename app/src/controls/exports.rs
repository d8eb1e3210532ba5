//! What a pane's run can be taken away as: its events or per-second
//! metrics replayed by the server from the recipe, and the charts of every
//! pane as one PNG.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::page::Page;
use crate::pane::state::PaneState;

/// Downloads a pane's run as replayed by the server from its recipe: the
/// recipe is posted as JSON (the server takes no form posts, so no other
/// site can post one), and the answer is saved through a blob link, so the
/// page stays where it is. A refusal (too long a run, too many exports at
/// once) is shown as the page's notice.
pub fn post_export(page: Page, pane: &PaneState, format: &'static str) {
    let body = crate::json::Object::new()
        .raw(
            "recipe",
            &crate::json::recipe(&pane.recipe(page.seed.get_untracked())),
        )
        .str("format", format)
        .done();
    post_export_body(page, body);
}

/// POSTs an export request made elsewhere (a sequence diagram's window and
/// conversation) and saves the answer, saying so meanwhile.
pub fn post_export_body(page: Page, body: String) {
    page.notice.set(Some(
        "Preparing the export: the server replays the run…".into(),
    ));
    leptos::task::spawn_local(async move {
        match fetch_export(&body).await {
            Ok(()) => page.notice.set(None),
            Err(e) => page.notice.set(Some(format!("The export failed: {e}"))),
        }
    });
}

/// POSTs `body` to `/api/export` and saves the answer under the file name
/// the server gives.
async fn fetch_export(body: &str) -> Result<(), String> {
    use crate::class::js_text as js;
    use wasm_bindgen_futures::JsFuture;
    let response = crate::class::fetch("POST", "/api/export", Some(body)).await?;
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(js)?)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        return Err(if text.is_empty() {
            format!("the server answered {}", response.status())
        } else {
            text
        });
    }
    let name = response
        .headers()
        .get("content-disposition")
        .ok()
        .flatten()
        .and_then(|d| {
            d.split("filename=\"")
                .nth(1)
                .map(|n| n.trim_end_matches('"').to_string())
        })
        .unwrap_or_else(|| "switchboard-export".into());
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(js)?)
        .await
        .map_err(js)?
        .unchecked_into();
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
    let doc = document();
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").map_err(js)?.unchecked_into();
    a.set_href(&url);
    a.set_download(&name);
    a.click();
    // The download has started reading the blob by then.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(30),
    );
    Ok(())
}

/// Composes every pane's charts into one PNG and downloads it.
pub fn download_png(page: &Page) {
    let panes = page.panes();
    for p in &panes {
        p.draw_all_charts(page);
    }
    let doc = document();
    let Ok(out) = doc
        .create_element("canvas")
        .map(|e| e.unchecked_into::<web_sys::HtmlCanvasElement>())
    else {
        return;
    };
    let grids: Vec<_> = panes
        .iter()
        .filter_map(|p| p.canvases.get_value())
        .collect();
    let (cw, ch) = grids
        .iter()
        .flat_map(|g| g.charts.iter())
        .fold((1u32, 1u32), |(w, h), c| {
            (w.max(c.el.width()), h.max(c.el.height()))
        });
    // One column per pane, its four charts stacked.
    out.set_width(cw * grids.len().max(1) as u32);
    out.set_height(ch * 4 + 40);
    let Some(ctx) = out
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, out.width() as f64, out.height() as f64);
    ctx.set_fill_style_str("#1d2433");
    ctx.set_font("600 22px system-ui, sans-serif");
    for (i, (g, p)) in grids.iter().zip(&panes).enumerate() {
        let x = (i as u32 * cw) as f64;
        let _ = ctx.fill_text(
            &format!("{} — {}", p.name(), p.pattern.get_untracked().lesson.name),
            x + 12.0,
            28.0,
        );
        for (k, c) in g.charts.iter().enumerate() {
            let _ =
                ctx.draw_image_with_html_canvas_element(&c.el, x, 40.0 + (k as u32 * ch) as f64);
        }
    }
    if let Ok(url) = out.to_data_url_with_type("image/png") {
        if let Ok(a) = doc.create_element("a") {
            let _ = a.set_attribute("href", &url);
            let _ = a.set_attribute(
                "download",
                &format!("switchboard-charts-seed{}.png", page.seed.get_untracked()),
            );
            if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
                a.click();
            }
        }
    }
}
