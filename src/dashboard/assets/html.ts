/**
 * The dashboard's one page. No inline script or style (the Content-Security-Policy forbids both): the page loads
 * `dashboard.js` and `dashboard.css` from the Worker itself, and holds no data until the admin API answers.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Portico</title>
<link rel="stylesheet" href="/_portico/dashboard.css">
<script src="/_portico/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>Portico</h1>
  <form id="pick" hidden>
    <label>API <select id="api" data-testid="api"></select></label>
    <label>Stage <select id="stage" data-testid="stage"></select></label>
    <label>Window <select id="minutes"><option value="15" selected>15 min</option><option value="60">1 h</option><option value="360">6 h</option><option value="1440">24 h</option></select></label>
    <span id="source" class="muted" data-testid="source"></span>
    <button type="button" id="signout">Sign out</button>
  </form>
</header>
<main>
  <section id="signin" data-testid="signin">
    <h2>Sign in</h2>
    <p class="muted">The admin token (the Worker's <code>ADMIN_TOKEN</code> secret). It is sent once; the session is an HttpOnly cookie.</p>
    <form id="signin-form">
      <input type="password" id="token" name="token" autocomplete="current-password" placeholder="admin token" required data-testid="token">
      <button type="submit" data-testid="signin-submit">Sign in</button>
    </form>
    <p id="signin-error" class="error" role="alert" data-testid="signin-error"></p>
  </section>
  <div id="app" hidden>
    <section class="row">
      <div class="panel" id="split-panel">
        <h2>Traffic split</h2>
        <div id="split" class="split" data-testid="split"></div>
        <p id="split-text" data-testid="split-text"></p>
        <p id="auto-text" class="muted" data-testid="auto-text"></p>
      </div>
      <div class="panel" id="versions-panel">
        <h2>Versions</h2>
        <table id="versions" data-testid="versions"><thead><tr><th>Version</th><th>Role</th><th>Published</th><th>Description</th></tr></thead><tbody></tbody></table>
      </div>
    </section>
    <section id="charts" class="grid" data-testid="charts"></section>
    <section class="row">
      <div class="panel" id="ws-panel" data-testid="ws-panel">
        <h2>Live WebSocket connections</h2>
        <p id="ws-text" class="muted" data-testid="ws-text"></p>
        <ul id="ws-versions" class="plain" data-testid="ws-versions"></ul>
      </div>
      <div class="panel" id="shadow-panel" data-testid="shadow-panel">
        <h2>Shadow evaluation</h2>
        <div id="shadow"></div>
      </div>
    </section>
    <section class="panel">
      <h2>Deploy and rollback history</h2>
      <table id="history" data-testid="history"><thead><tr><th>When</th><th>Action</th><th>Version</th><th>Description</th></tr></thead><tbody></tbody></table>
    </section>
    <p id="error" class="error" role="alert" data-testid="error"></p>
  </div>
</main>
</body>
</html>
`;
