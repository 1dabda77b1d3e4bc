/**
 * The dashboard's HTML shell: the components of `client/` render everything into `#root` (the
 * page is public; the data needs the key the browser holds). No inline script or style, so it
 * runs under a CSP of `script-src 'self'; style-src 'self'`.
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
<noscript><p class="notice">This dashboard needs JavaScript to load data from the API.</p></noscript>
<div id="root" data-icon="${attr(assets.icon)}"></div>
</body>
</html>
`;
}
