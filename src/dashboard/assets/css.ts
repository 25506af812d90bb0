/** The dashboard's stylesheet (served as `/_portico/dashboard.css`; the CSP allows no inline styles). */
export const DASHBOARD_CSS = `
:root { --stable: #2563eb; --canary: #ea580c; --other: #6b7280; --bg: #f8fafc; --panel: #fff; --line: #e2e8f0; --text: #0f172a; --muted: #64748b; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--text); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #0f172a; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header form { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
header select, header button { font: inherit; }
main { padding: 16px 20px; max-width: 1400px; margin: 0 auto; }
h2 { font-size: 14px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 14px; }
.row { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 14px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 14px; margin-bottom: 14px; }
.grid .panel { margin: 0; }
.muted { color: var(--muted); }
.error { color: var(--bad); min-height: 1em; }
ul.plain { list-style: none; padding: 0; margin: 4px 0 0; font-size: 13px; }
#signin { max-width: 420px; margin: 60px auto; }
#signin input { width: 100%; padding: 8px; font: inherit; margin: 8px 0; }
.split { display: flex; height: 28px; border-radius: 6px; overflow: hidden; background: var(--line); }
.split div { color: #fff; font-size: 12px; display: flex; align-items: center; justify-content: center; white-space: nowrap; overflow: hidden; }
.split .stable { background: var(--stable); }
.split .canary { background: var(--canary); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
svg.chart { width: 100%; height: 150px; display: block; }
svg.chart .axis { stroke: var(--line); }
svg.chart text { fill: var(--muted); font-size: 10px; }
svg.chart .stable { stroke: var(--stable); fill: none; stroke-width: 2; }
svg.chart .canary { stroke: var(--canary); fill: none; stroke-width: 2; }
svg.chart .other { stroke: var(--other); fill: none; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.chart .p99 { stroke-dasharray: 5 3; }
.legend { display: flex; gap: 12px; font-size: 12px; color: var(--muted); }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; background: var(--other); }
.legend .stable::before { background: var(--stable); }
.legend .canary::before { background: var(--canary); }
.kind { margin: 6px 0; }
.kind summary { cursor: pointer; }
.clean { color: #15803d; font-weight: 600; }
.dirty { color: var(--bad); font-weight: 600; }
`;
