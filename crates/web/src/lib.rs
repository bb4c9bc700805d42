//! The browser side of Truceline: the analysts' dashboard (`/`) and the monitors' offline field
//! form (`/field/`), with the map library they run on, compiled into the binary.
//!
//! A mission may have no internet at all, so nothing here is fetched from elsewhere: no CDN, no
//! tile server, no web font. The map's base layers (borders, oblasts) and the agreement's layers
//! come from the server's own API. The pages are plain ES modules with no build step; the map
//! library is MapLibre GL JS, installed from npm at the version `package-lock.json` pins.
//!
//! This crate only holds and names the files; the server routes to them.
//!
//! ```
//! let page = truceline_web::asset("/").unwrap();
//! assert_eq!(page.mime, "text/html; charset=utf-8");
//! assert!(std::str::from_utf8(page.body).unwrap().contains("<title>"));
//! assert!(truceline_web::asset("/assets/maplibre-gl.mjs").is_some());
//! assert!(truceline_web::asset("/nothing-here").is_none());
//! ```

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One file served to browsers.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub mime: &'static str,
    pub body: &'static [u8],
    /// A strong validator of the body: the first 16 bytes of its SHA-256, quoted, as an `ETag`.
    pub etag: &'static str,
}

macro_rules! file {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path))
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// URL path, MIME type, body.
const FILES: &[(&str, &str, &[u8])] = &[
    ("/", HTML, file!("assets/index.html")),
    ("/field/", HTML, file!("assets/field.html")),
    // The service worker sits in /field/ so that its scope is the form and nothing else.
    ("/field/sw.js", JS, file!("assets/sw.js")),
    (
        "/field/manifest.webmanifest",
        "application/manifest+json",
        file!("assets/manifest.webmanifest"),
    ),
    ("/assets/dashboard.js", JS, file!("assets/dashboard.js")),
    ("/assets/field.js", JS, file!("assets/field.js")),
    ("/assets/proof.js", JS, file!("assets/proof.js")),
    ("/assets/incidents.js", JS, file!("assets/incidents.js")),
    ("/assets/cluster.js", JS, file!("assets/cluster.js")),
    ("/assets/overlay.js", JS, file!("assets/overlay.js")),
    ("/assets/i18n.js", JS, file!("assets/i18n.js")),
    ("/assets/style.css", CSS, file!("assets/style.css")),
    (
        "/assets/icon.svg",
        "image/svg+xml",
        file!("assets/icon.svg"),
    ),
    (
        "/assets/maplibre-gl.mjs",
        JS,
        file!("node_modules/maplibre-gl/dist/maplibre-gl.mjs"),
    ),
    (
        "/assets/maplibre-gl-worker.mjs",
        JS,
        file!("node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs"),
    ),
    (
        "/assets/maplibre-gl.css",
        CSS,
        file!("node_modules/maplibre-gl/dist/maplibre-gl.css"),
    ),
    (
        "/assets/maplibre-gl.LICENSE.txt",
        "text/plain; charset=utf-8",
        file!("node_modules/maplibre-gl/LICENSE.txt"),
    ),
];

static ASSETS: LazyLock<Vec<(&'static str, Asset)>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(path, mime, body)| {
            let d = Sha256::digest(body);
            let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
            let etag: &'static str = Box::leak(format!("\"{hex}\"").into_boxed_str());
            (path, Asset { mime, body, etag })
        })
        .collect()
});

/// The file served at `path` (the URL path, query removed), if any.
pub fn asset(path: &str) -> Option<Asset> {
    // Module workers are loaded with `?v=<version>` by MapLibre; the query is not ours to route.
    let path = path.split('?').next().unwrap_or(path);
    ASSETS.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
}

/// Every path this crate serves.
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(p, _, _)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_present_and_typed() {
        for p in paths() {
            let a = asset(p).unwrap();
            assert!(!a.body.is_empty(), "{p} is empty");
            assert!(a.etag.len() == 34, "{p}: {}", a.etag);
        }
    }

    #[test]
    fn pages_load_nothing_from_elsewhere() {
        // The mission may be offline: every script, style and image must come from us.
        for p in paths().filter(|p| !p.contains("maplibre")) {
            let text = std::str::from_utf8(asset(p).unwrap().body).unwrap();
            let stripped = text.replace("http://www.w3.org/", "");
            for bad in ["http://", "https://", "//cdn", "fonts.googleapis"] {
                assert!(!stripped.contains(bad), "{p} refers to {bad}…");
            }
        }
    }

    #[test]
    fn the_service_worker_caches_what_the_form_loads() {
        let sw = std::str::from_utf8(asset("/field/sw.js").unwrap().body).unwrap();
        let form = std::str::from_utf8(asset("/field/").unwrap().body).unwrap();
        for needed in [
            "/assets/field.js",
            "/assets/i18n.js",
            "/assets/style.css",
            "/field/manifest.webmanifest",
        ] {
            assert!(sw.contains(needed), "sw.js does not cache {needed}");
        }
        assert!(form.contains("/assets/field.js"));
    }
}
