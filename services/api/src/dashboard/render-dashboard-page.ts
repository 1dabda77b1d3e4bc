/**
 * The dashboard's HTML shell. Everything that depends on data is filled in by the script
 * (the page is public; the data needs the key the browser holds). No inline script or style,
 * so it runs under a CSP of `script-src 'self'; style-src 'self'`.
 */

export interface DashboardPageAssets {
  script: string;
  style: string;
  icon: string;
}

const attr = (value: string) =>
  value.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

export function renderDashboardPage(assets: DashboardPageAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>BlueMoxon · image pipeline</title>
<link rel="icon" href="${attr(assets.icon)}" type="image/svg+xml">
<link rel="stylesheet" href="${attr(assets.style)}">
<script type="module" src="${attr(assets.script)}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <div class="top-inner">
    <p class="brand"><img src="${attr(assets.icon)}" alt="" width="28" height="28"> BlueMoxon <span>image pipeline</span></p>
    <nav class="top-links" aria-label="API">
      <a href="/docs">API docs</a>
      <button type="button" id="forget-key" class="link-button" hidden>Forget key</button>
    </nav>
  </div>
</header>
<main id="main" class="wrap">
  <noscript><p class="notice">This dashboard needs JavaScript to load data from the API.</p></noscript>

  <section id="key-section" class="card key-card" aria-labelledby="key-title" hidden>
    <h1 id="key-title">Connect to the API</h1>
    <p>Enter an API key (one of the keys in the API key secret). It stays in this browser only and is sent as <code>X-API-Key</code>.</p>
    <form id="key-form" class="row-form">
      <label for="api-key">API key</label>
      <div class="row">
        <input id="api-key" name="apiKey" type="password" autocomplete="off" spellcheck="false" required aria-describedby="key-error">
        <button type="submit">Save key</button>
      </div>
      <p id="key-error" class="form-error" role="alert"></p>
    </form>
  </section>

  <div id="app" hidden>
    <section class="card controls" aria-labelledby="import-title">
      <h1 id="import-title">Import an eBay listing</h1>
      <form id="import-form" class="row-form">
        <label for="listing-url">Listing URL or item id</label>
        <div class="row">
          <input id="listing-url" name="url" type="text" inputmode="url" autocomplete="off" spellcheck="false" required
            placeholder="https://www.ebay.com/itm/315209876543" aria-describedby="import-error import-result">
          <button type="submit" id="import-button">Import</button>
        </div>
        <p id="import-error" class="form-error" role="alert"></p>
        <p id="import-result" class="form-result" role="status"></p>
      </form>
    </section>

    <section class="toolbar" aria-label="Pipeline">
      <p id="summary" class="summary">Loading…</p>
      <!-- Not a live region: it changes every poll, which a screen reader would read out each time. -->
      <p id="live" class="live"><span class="dot" aria-hidden="true"></span><span id="live-text">Connecting…</span></p>
      <div class="toolbar-actions">
        <button type="button" id="refresh" class="secondary">Refresh</button>
        <button type="button" id="retry-failed" class="secondary">Retry failed jobs</button>
      </div>
    </section>
    <p id="action-message" class="action-message" role="status"></p>
    <p id="load-error" class="banner-error" role="alert" hidden></p>

    <section aria-labelledby="books-title">
      <h2 id="books-title" class="section-title">Recent books</h2>
      <p id="empty" class="empty" hidden>No books yet. Import a listing above.</p>
      <div id="books" class="books"></div>
      <p class="more"><button type="button" id="more-books" class="secondary" hidden>Show more books</button></p>
    </section>
  </div>
</main>
</body>
</html>
`;
}
