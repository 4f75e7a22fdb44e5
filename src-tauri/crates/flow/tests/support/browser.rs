//! The person's browser on the sandbox's consent page, for the flow tests:
//! a cookie-keeping HTTP client that follows the wallet's redirects by hand.

/// A client that keeps cookies and follows no redirect by itself.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Location` a redirect points at.
pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Opens `redirect`, chooses `choice` (`accept` or `reject`) on the consent
/// page, and returns the finish link the wallet sends the browser to.
pub(crate) async fn consent(redirect: &str, choice: &str) -> String {
    let http = browser();
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
