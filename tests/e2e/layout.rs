//! Every screen fits the smallest window (720×520) and a large one
//! (1280×900), light and dark: nothing wider than the window, no word broken
//! in the middle although it would fit on a line of its own, and each new
//! screen starts at its top. Measured in the DOM of the real app; a
//! screenshot of each screen at each size is saved in
//! `target/e2e-screenshots/layout-*.png`. With `UPDATE_SCREENSHOTS=1`
//! (`npm run screenshots`) the main screens are written to
//! `docs/screenshots/` for the README too; a plain run leaves the tree as it was.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use harness::{App, Desktop};

/// Large first: the README's pictures are taken before anything scrolls;
/// the walk then leaves each screen small and scrolled to its end, so the
/// next one shows whether it kept that position.
const SIZES: [(u32, u32); 2] = [(1280, 900), (720, 520)];

/// The light screenshots (at 1280×900) the README shows, by screen name.
const DOCS_LIGHT: [&str; 5] = ["home", "approve", "waiting", "pay-quote", "activity"];
/// And one in the dark theme.
const DOCS_DARK: [&str; 1] = ["home"];

/// Lists what does not fit on the page as it is now, one line each.
///
/// - Overflow: the document, or any box that is not meant to scroll
///   sideways (inputs, text areas, `pre` blocks of JSON), is wider inside
///   than it is (`scrollWidth > clientWidth`).
/// - A word broken inside: its characters sit on more than one line,
///   although it is narrower than half the content column, so it would
///   have fitted on a line of its own (a long URL or key may break).
const MEASURE: &str = r#"
const problems = [];
const name = (el) => {
  const id = el.closest('[data-testid]')?.dataset.testid;
  const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/)[0] : '';
  return `${el.tagName.toLowerCase()}${cls}${id ? ` in [data-testid=${id}]` : ''}`;
};
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth) {
  problems.push(`overflow: the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
}
const scrollsSideways = (el) => ['PRE', 'TEXTAREA', 'INPUT', 'SELECT'].includes(el.tagName);
for (const el of document.body.querySelectorAll('*')) {
  if (el.getClientRects().length === 0 || scrollsSideways(el) || el.closest('.visually-hidden')) continue;
  const style = getComputedStyle(el);
  if (style.display === 'inline' || style.textOverflow === 'ellipsis') continue;
  if (el.scrollWidth > el.clientWidth) {
    problems.push(`overflow: ${name(el)} is ${el.scrollWidth}px wide inside, ${el.clientWidth}px outside: "${el.textContent.trim().slice(0, 60)}"`);
  }
}
const column = document.querySelector('main') ?? document.body;
const columnStyle = getComputedStyle(column);
const columnWidth = column.clientWidth - parseFloat(columnStyle.paddingLeft) - parseFloat(columnStyle.paddingRight);
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const range = document.createRange();
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (!parent || parent.closest('.visually-hidden, script, style, pre, textarea')) continue;
  // Words as a line may not break them: hyphens and dashes are break points.
  for (const match of node.data.matchAll(/[^\s\-\u2010-\u2014\u00ad\u200b]+/g)) {
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    const lines = new Set(rects.map((r) => Math.round(r.top)));
    if (lines.size < 2) continue;
    const width = rects.reduce((sum, r) => sum + r.width, 0);
    if (width < columnWidth / 2) {
      problems.push(`broken word: "${match[0]}" (${Math.round(width)}px) is split over ${lines.size} lines in ${name(parent)}`);
    }
  }
}
return problems;
"#;

/// Resizes the window and waits until the page has the new width.
async fn resize(app: &App, (width, height): (u32, u32)) -> harness::Result<()> {
    let client = app.client();
    let failed = |what: String| {
        move |error| harness::Error::Command {
            doing: what,
            source: error,
        }
    };
    client
        .set_window_rect(0, 0, width, height)
        .await
        .map_err(failed(format!("resizing the window to {width}×{height}")))?;
    let deadline = std::time::Instant::now() + harness::UI_TIMEOUT;
    loop {
        let inner = client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .map_err(failed("reading the window's size".to_owned()))?;
        if inner == serde_json::json!([width, height]) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(harness::Error::NotReady(format!(
                "the window did not become {width}×{height}: the page is {inner}"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Everything the walk found, screen by screen.
#[derive(Debug, Default)]
struct Findings(Vec<String>);

impl Findings {
    /// Whether the screen just opened starts at its top, whatever the last
    /// one was scrolled to.
    async fn at_top(&mut self, app: &App, theme: &str, screen: &str) -> harness::Result<()> {
        let scrolled = app
            .client()
            .execute("return document.querySelector('main').scrollTop;", vec![])
            .await
            .map_err(|source| harness::Error::Command {
                doing: format!("reading where {screen} is scrolled to"),
                source,
            })?;
        if scrolled.as_f64().unwrap_or_default() > 0.0 {
            self.0.push(format!(
                "{screen} ({theme}): opened {scrolled}px down, where the screen before was scrolled to"
            ));
        }
        Ok(())
    }

    /// Measures the screen shown at both sizes, saving a screenshot of each,
    /// and leaves it scrolled to its end.
    async fn screen(&mut self, app: &App, theme: &str, screen: &str) -> harness::Result<()> {
        // The pictures show a screen from its top, whatever the clicks that
        // set it up scrolled into view.
        scroll_main(app, "0", screen).await?;
        for size in SIZES {
            resize(app, size).await?;
            let shot = painted_screenshot(
                app,
                &format!("layout-{theme}-{}x{}-{screen}", size.0, size.1),
            )
            .await?;
            let problems = app
                .client()
                .execute(MEASURE, vec![])
                .await
                .map_err(|source| harness::Error::Command {
                    doing: format!("measuring {screen}"),
                    source,
                })?;
            for problem in problems.as_array().into_iter().flatten() {
                self.0.push(format!(
                    "{screen} at {}×{} ({theme}): {}",
                    size.0,
                    size.1,
                    problem.as_str().unwrap_or_default()
                ));
            }
            let docs = if theme == "light" {
                &DOCS_LIGHT[..]
            } else {
                &DOCS_DARK[..]
            };
            if size == (1280, 900)
                && docs.contains(&screen)
                && std::env::var_os("UPDATE_SCREENSHOTS").is_some()
            {
                let suffix = if theme == "light" { "" } else { "-dark" };
                shrink_into_docs(&shot.path, &format!("{screen}{suffix}.png"))?;
            }
        }
        scroll_main(app, "main.scrollHeight", screen).await
    }
}

/// Scrolls the content column to `to` (a JavaScript expression of `main`).
async fn scroll_main(app: &App, to: &str, screen: &str) -> harness::Result<()> {
    app.client()
        .execute(
            &format!("const main = document.querySelector('main'); main.scrollTop = {to};"),
            vec![],
        )
        .await
        .map(drop)
        .map_err(|source| harness::Error::Command {
            doing: format!("scrolling {screen}"),
            source,
        })
}

/// A screenshot of the window as it is painted now. Right after a resize
/// WebKit can hand over the last frame of the smaller window, with the new
/// part black; the app paints no pure black pixel, and its status bar is in
/// the bottom right corner, so a black corner means "not painted yet": take
/// it again.
async fn painted_screenshot(app: &App, name: &str) -> harness::Result<harness::Screenshot> {
    let deadline = std::time::Instant::now() + harness::UI_TIMEOUT;
    loop {
        let shot = app.screenshot(name).await?;
        if corner(&shot.path)? != [0, 0, 0] {
            return Ok(shot);
        }
        if std::time::Instant::now() > deadline {
            return Err(harness::Error::NotReady(format!(
                "screenshot {name} still shows an unpainted (black) corner"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The colour of the bottom right pixel of a PNG.
fn corner(path: &Path) -> harness::Result<[u8; 3]> {
    let bad = |e: png::DecodingError| {
        harness::Error::NotReady(format!("reading {}: {e}", path.display()))
    };
    let mut reader = png::Decoder::new(std::fs::File::open(path)?)
        .read_info()
        .map_err(bad)?;
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).map_err(bad)?;
    let channels = frame.color_type.samples();
    let last = frame.buffer_size() - channels;
    Ok([pixels[last], pixels[last + 1], pixels[last + 2]])
}

/// Writes a screenshot into `docs/screenshots/`, small since it is
/// committed: the 256 colours used most (flat backgrounds, text, accents)
/// as a palette, every other pixel drawn with the nearest of them, which
/// only touches the edges of anti-aliased letters.
fn shrink_into_docs(from: &Path, name: &str) -> harness::Result<()> {
    let failed = |what: String| {
        move |error: &dyn std::fmt::Display| harness::Error::NotReady(format!("{what}: {error}"))
    };
    let reading = || failed(format!("reading {}", from.display()));
    let mut reader = png::Decoder::new(std::fs::File::open(from)?)
        .read_info()
        .map_err(|e| reading()(&e))?;
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).map_err(|e| reading()(&e))?;
    let channels = frame.color_type.samples();
    // The window is opaque: red, green and blue are the picture.
    let rgb: Vec<[u8; 3]> = pixels[..frame.buffer_size()]
        .chunks(channels)
        .map(|pixel| [pixel[0], pixel[1], pixel[2]])
        .collect();
    let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
    for pixel in &rgb {
        *counts.entry(*pixel).or_default() += 1;
    }
    let mut by_use: Vec<([u8; 3], usize)> = counts.into_iter().collect();
    by_use.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let palette: Vec<[u8; 3]> = by_use.iter().take(256).map(|(colour, _)| *colour).collect();
    let nearest = |colour: [u8; 3]| -> u8 {
        let distance = |other: &[u8; 3]| -> i32 {
            (0..3)
                .map(|i| (i32::from(colour[i]) - i32::from(other[i])).pow(2))
                .sum()
        };
        let index = (0..palette.len())
            .min_by_key(|&i| distance(&palette[i]))
            .unwrap_or_default();
        u8::try_from(index).unwrap_or_default()
    };
    let index: HashMap<[u8; 3], u8> = by_use
        .iter()
        .map(|(colour, _)| (*colour, nearest(*colour)))
        .collect();
    let indexed: Vec<u8> = rgb.iter().map(|pixel| index[pixel]).collect();

    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir)?;
    let to = dir.join(name);
    let writing = || failed(format!("writing {}", to.display()));
    let file = std::io::BufWriter::new(std::fs::File::create(&to)?);
    let mut encoder = png::Encoder::new(file, frame.width, frame.height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette.concat());
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header().map_err(|e| writing()(&e))?;
    writer
        .write_image_data(&indexed)
        .map_err(|e| writing()(&e))?;
    writer.finish().map_err(|e| writing()(&e))?;
    Ok(())
}

/// Waits for the consent window, approves there and returns to the app.
async fn approve_in_wallet(app: &App) -> harness::Result<()> {
    app.switch_to_consent_window().await?;
    app.click("consent-approve").await?;
    app.switch_to_main().await
}

/// Walks every screen once, in the state a person would see it, and
/// measures each at both sizes.
async fn walk(theme: &str, extra: &[(&str, &str)]) -> harness::Result<()> {
    let desktop = Desktop::start_with(extra)?;
    let app = desktop.launch(&[]).await?;
    let dark: serde_json::Value = app
        .client()
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
            vec![],
        )
        .await
        .map_err(|source| harness::Error::Command {
            doing: "asking the page for its colour scheme".into(),
            source,
        })?;
    assert_eq!(
        dark,
        (theme == "dark"),
        "the page's colour scheme is not {theme}"
    );
    let mut found = Findings::default();

    app.find("welcome-sandbox").await?;
    found.screen(&app, theme, "welcome").await?;
    app.click("welcome-sandbox").await?;
    let wallet = app.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk").to_owned();

    // An approval of $13.20 a day, approved in the wallet's window.
    app.click("nav-approve").await?;
    app.find("approve").await?;
    found.at_top(&app, theme, "approve").await?;
    app.type_into("approve-amount", "13.20").await?;
    app.click("approve-repeat-day").await?;
    app.wait_for_text("approve-summary", |text| text.contains("every day"))
        .await?;
    found.screen(&app, theme, "approve").await?;
    app.click("approve-submit").await?;
    approve_in_wallet(&app).await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;
    found.at_top(&app, theme, "approved").await?;
    found.screen(&app, theme, "approved").await?;

    // A payment in another currency: a quote with a rate and a fee, paid.
    app.click("nav-pay").await?;
    app.find("pay-to").await?;
    found.at_top(&app, theme, "pay").await?;
    app.type_into("pay-to", &format!("{base}bob")).await?;
    app.type_into("pay-amount", "10").await?;
    app.click("pay-kind-receive").await?;
    app.click("pay-quote").await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "quoted")
        .await?;
    found.at_top(&app, theme, "pay-quote").await?;
    found.screen(&app, theme, "pay-quote").await?;
    app.click("pay-confirm").await?;
    approve_in_wallet(&app).await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "completed")
        .await?;
    found.screen(&app, theme, "pay-done").await?;

    // Home with both approvals; the daily budget's details open.
    app.click("nav-home").await?;
    app.find("grant-item").await?;
    found.at_top(&app, theme, "home").await?;
    let daily = app.find_all("grant-item").await?.len();
    assert_eq!(daily, 2, "the approval and the payment's grant are listed");
    let opens = app.find_all("grant-open").await?;
    let last = opens.last().expect("two grants").clone();
    last.click()
        .await
        .map_err(|source| harness::Error::Command {
            doing: "opening the daily budget".into(),
            source,
        })?;
    app.find("grant-spent").await?;
    found.screen(&app, theme, "home").await?;

    app.click("nav-activity").await?;
    app.find("activity-item").await?;
    found.at_top(&app, theme, "activity").await?;
    app.click("activity-open").await?;
    app.find("activity-detail").await?;
    found.screen(&app, theme, "activity").await?;

    app.click("nav-profiles").await?;
    app.find("profile-item").await?;
    found.at_top(&app, theme, "profiles").await?;
    found.screen(&app, theme, "profiles").await?;
    app.click("profile-add").await?;
    app.find("connect").await?;
    found.at_top(&app, theme, "connect").await?;
    found.screen(&app, theme, "connect").await?;
    app.click("connect-cancel").await?;

    app.click("nav-about").await?;
    app.find("about-log-file").await?;
    found.at_top(&app, theme, "about").await?;
    found.screen(&app, theme, "about").await?;

    // An approval in progress: the wallet's window open, nothing chosen yet.
    app.click("nav-approve").await?;
    app.type_into("approve-amount", "5").await?;
    app.wait_for_text("approve-summary", |text| text.contains("$5.00"))
        .await?;
    app.click("approve-submit").await?;
    app.wait_for_text("flow-hint", |text| !text.is_empty())
        .await?;
    found.at_top(&app, theme, "waiting").await?;
    found.screen(&app, theme, "waiting").await?;

    app.close().await?;
    assert!(
        found.0.is_empty(),
        "{} layout problems:\n{}",
        found.0.len(),
        found.0.join("\n")
    );
    Ok(())
}

#[tokio::test]
async fn every_screen_fits_small_and_large_windows_in_the_light_theme() -> harness::Result<()> {
    walk("light", &[]).await
}

#[tokio::test]
async fn every_screen_fits_small_and_large_windows_in_the_dark_theme() -> harness::Result<()> {
    walk("dark", &[("GTK_THEME", "Adwaita:dark")]).await
}
