//! The person's browser on the sandbox's consent page, for the flow tests:
//! a cookie-keeping HTTP client that follows the wallet's redirects by hand.

/// A client that keeps cookies and follows no redirect by itself.
pub(crate) fn browser() -> reqwest::Client {
    browser_trusting(None)
}

/// [`browser`], also trusting the certificate authority in the PEM file
/// `ca` (an https sandbox's).
pub(crate) fn browser_trusting(ca: Option<&std::path::Path>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).unwrap();
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
    }
    builder.build().unwrap()
}

/// The `Location` a redirect points at.
pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Opens `redirect`, chooses `choice` (`accept` or `reject`) on the consent
/// page, and returns the finish link the wallet sends the browser to.
pub(crate) async fn consent(redirect: &str, choice: &str) -> String {
    consent_in(&browser(), redirect, choice).await
}

/// [`consent`] in the browser `http`.
pub(crate) async fn consent_in(http: &reqwest::Client, redirect: &str, choice: &str) -> String {
    let start = http.get(redirect).send().await.unwrap();
    let page = url::Url::parse(redirect)
        .unwrap()
        .join(&location(&start))
        .unwrap();
    let chosen = http
        .post(page.clone())
        .form(&[("choice", choice)])
        .send()
        .await
        .unwrap();
    let step = page.join(&location(&chosen)).unwrap();
    location(&http.get(step).send().await.unwrap())
}

/// Approves on the consent page; the finish link back.
pub(crate) async fn approve(redirect: &str) -> String {
    consent(redirect, "accept").await
}
