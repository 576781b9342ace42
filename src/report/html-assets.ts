/**
 * The inline stylesheet and script of report.html. The file must work when mailed, attached to a
 * ticket or opened from an air-gapped bundle, so nothing is fetched: no fonts, no CDNs. The
 * script only filters and collapses; the page reads in full without it.
 */

export const HTML_STYLE = `
:root {
  --fg: #1d2330; --muted: #5b6476; --line: #d9dee7; --bg: #ffffff; --panel: #f6f8fb;
  --ok: #1e7b34; --ok-bg: #d7f0dd; --bad: #b3261e; --bad-bg: #f9d6d3; --warn: #8a5a00; --warn-bg: #fbeccb;
  --skip: #596273; --skip-bg: #e6e9ee; --err: #6b2fa0; --err-bg: #ead9f7; --info: #1f5fa8; --info-bg: #dbe8f8;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 0 24px 48px; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 0.8rem; padding-bottom: 0.3rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.08rem; margin: 1.4rem 0 0.5rem; }
h4 { font-size: 0.82rem; margin: 1rem 0 0.35rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
code, pre, .mono { font-family: var(--mono); font-size: 0.86em; }
code { background: var(--panel); padding: 0.05em 0.3em; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: #1d2330; color: #e8ecf3; padding: 10px 14px; border-radius: 6px; overflow-x: auto; margin: 0.3rem 0; }
pre code { background: none; padding: 0; color: inherit; }
table { border-collapse: collapse; margin: 0.4rem 0 0.8rem; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
thead th { background: var(--panel); font-size: 0.85rem; }
.muted { color: var(--muted); }
.banner { padding: 22px 24px 18px; color: #fff; }
.banner > div { max-width: 1132px; margin: 0 auto; }
.banner.healthy { background: linear-gradient(135deg, #17692d, #2e9a4b); }
.banner.degraded { background: linear-gradient(135deg, #8a4b00, #c77700); }
.banner.broken { background: linear-gradient(135deg, #8c1d18, #c53a2f); }
.banner.inconclusive { background: linear-gradient(135deg, #4a4f57, #737a84); }
.banner .verdict { font-size: 2rem; font-weight: 800; letter-spacing: 0.04em; }
.banner .headline { font-size: 1.1rem; margin-top: 2px; }
.banner dl { display: flex; flex-wrap: wrap; gap: 4px 26px; margin: 12px 0 0; font-size: 0.9rem; opacity: 0.95; }
.banner dl > div { display: flex; gap: 6px; }
.banner dt { font-weight: 600; }
.banner dt::after { content: ":"; }
.banner dd { margin: 0; }
.banner .description { margin: 10px 0 0; font-style: italic; }
nav { background: var(--panel); border-bottom: 1px solid var(--line); }
nav > div { max-width: 1132px; margin: 0 auto; padding: 8px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 0.9rem; }
nav a { color: var(--info); text-decoration: none; }
.rc { border: 1px solid var(--line); border-left: 6px solid var(--bad); border-radius: 6px; padding: 12px 18px 14px; margin: 14px 0; background: #fff; }
.rc h3 { margin: 0.2rem 0 0.4rem; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; }
.rc .category { font-family: var(--mono); color: var(--bad); }
.rc .summary { font-size: 1.02rem; margin: 0.3rem 0 0.6rem; }
.meter { display: inline-block; width: 90px; height: 8px; background: var(--line); border-radius: 4px; vertical-align: middle; overflow: hidden; }
.meter > span { display: block; height: 100%; background: var(--bad); }
.evidence td { font-family: var(--mono); font-size: 0.82rem; overflow-wrap: anywhere; white-space: pre-wrap; }
.evidence td.observed { color: var(--bad); }
.evidence td.expected { color: var(--ok); }
.explains li { margin: 2px 0; }
.ok-note { padding: 12px 16px; border-radius: 6px; background: var(--ok-bg); color: var(--ok); font-weight: 600; }
.heatmap td, .heatmap th, .routes td, .routes th { text-align: center; white-space: nowrap; font-size: 0.85rem; }
.heatmap th[scope="row"], .routes th[scope="row"] { text-align: right; background: var(--panel); }
.cell { font-family: var(--mono); min-width: 92px; }
.cell.pass, .cell.ok, .cell.local { background: var(--ok-bg); color: var(--ok); }
.cell.fail, .cell.missing, .cell.wrong { background: var(--bad-bg); color: var(--bad); font-weight: 700; }
.cell.skipped, .cell.unknown { background: var(--skip-bg); color: var(--skip); }
.cell.error { background: var(--err-bg); color: var(--err); font-weight: 700; }
.cell.none { background: #fff; color: var(--line); }
.cell.local { opacity: 0.8; }
.cell.lat-ok { background: var(--ok-bg); color: var(--ok); }
.cell.lat-warm { background: var(--warn-bg); color: var(--warn); }
.cell.lat-hot, .cell.lat-down { background: var(--bad-bg); color: var(--bad); font-weight: 700; }
.cell.lat-lossy { background: var(--warn-bg); color: var(--bad); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 0.85rem; margin: 0.3rem 0 0.6rem; }
.legend span.cell { display: inline-block; min-width: 0; padding: 1px 8px; border-radius: 4px; }
.matrices { display: flex; flex-wrap: wrap; gap: 4px 28px; }
.matrices > div { min-width: 0; max-width: 100%; overflow-x: auto; }
.notes { font-size: 0.84rem; margin: 0 0 0.8rem; }
ul.notes { padding-left: 1.2rem; }
details.notes { max-width: 1130px; }
details.notes summary { cursor: pointer; color: var(--bad); }
details.notes ul { padding-left: 1.2rem; margin: 0.3rem 0; }
.notes li { font-family: var(--mono); overflow-wrap: anywhere; }
.badge { display: inline-block; min-width: 64px; text-align: center; font-size: 0.72rem; font-weight: 700; text-transform: uppercase; padding: 1px 6px; border-radius: 10px; margin-right: 6px; }
.badge.critical { background: var(--bad); color: #fff; }
.badge.error { background: var(--bad-bg); color: var(--bad); }
.badge.warning { background: var(--warn-bg); color: var(--warn); }
.badge.info { background: var(--info-bg); color: var(--info); }
.badge.pass { background: var(--ok-bg); color: var(--ok); }
.badge.fail { background: var(--bad-bg); color: var(--bad); }
.badge.skipped { background: var(--skip-bg); color: var(--skip); }
.badge.error-outcome { background: var(--err-bg); color: var(--err); }
.findings { list-style: none; padding: 0; margin: 0; }
.finding { border-bottom: 1px solid var(--line); padding: 7px 0; }
.finding .subject { color: var(--muted); font-size: 0.88rem; }
.finding details { margin: 4px 0 0 76px; font-size: 0.86rem; }
.finding summary { cursor: pointer; color: var(--muted); }
.finding .evidence { margin-top: 4px; }
.filters { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; padding: 8px 12px; background: var(--panel); border-radius: 6px; font-size: 0.9rem; }
.filters input[type="search"] { padding: 3px 8px; border: 1px solid var(--line); border-radius: 4px; min-width: 240px; }
details.rules > summary { cursor: pointer; font-weight: 600; padding: 6px 0; }
.pattern-score { font-size: 1.15rem; font-weight: 700; }
footer { max-width: 1180px; margin: 0 auto; padding: 16px 24px 32px; color: var(--muted); font-size: 0.82rem; border-top: 1px solid var(--line); }
[hidden] { display: none !important; }
@media print { nav, .filters { display: none; } details { display: block; } .rc { break-inside: avoid; } }
`;

/**
 * Shows the filter bar (hidden without JS, since it would do nothing), filters findings by
 * severity and text, and opens or closes every <details> at once.
 */
export const HTML_SCRIPT = `
(function () {
  var bar = document.getElementById('finding-filters');
  if (!bar) return;
  bar.hidden = false;
  var boxes = bar.querySelectorAll('input[type="checkbox"]');
  var text = bar.querySelector('input[type="search"]');
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var q = (text.value || '').toLowerCase();
    document.querySelectorAll('li.finding').forEach(function (li) {
      var show = on[li.getAttribute('data-severity')] !== false &&
        (q === '' || li.textContent.toLowerCase().indexOf(q) !== -1);
      li.hidden = !show;
    });
    document.querySelectorAll('section.layer').forEach(function (s) {
      s.hidden = s.querySelectorAll('li.finding:not([hidden])').length === 0;
    });
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  text.addEventListener('input', apply);
  document.querySelectorAll('button[data-details]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var open = btn.getAttribute('data-details') === 'open';
      document.querySelectorAll('details').forEach(function (d) { d.open = open; });
    });
  });
})();
`;
