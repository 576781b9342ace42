/**
 * The live dashboard: one self-contained page (styles and script inline, nothing fetched from
 * elsewhere), served at `/`. The script reads the same JSON as everyone else (`/api/report`,
 * `/api/view`, `/api/history`) and re-renders on every `report` event of `/api/events`.
 * Cluster data (pod names, log lines, policy names) is attacker-controlled: the script only ever
 * sets textContent, never HTML, and the page's Content-Security-Policy allows exactly its own
 * inline style and script (by hash) and requests to its own origin.
 */
import { createHash } from 'node:crypto';
import { HTML_STYLE } from '../report/html-assets.ts';

const DASHBOARD_STYLE = `${HTML_STYLE}
header.banner .status { font-size: 0.85rem; opacity: 0.9; margin-top: 6px; }
header.banner.waiting { background: linear-gradient(135deg, #2d3d5c, #4b5f86); }
.stale-note { background: var(--warn-bg); color: var(--warn); padding: 8px 14px; border-radius: 6px; margin-top: 14px; font-weight: 600; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 32px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
.heat td.cell { min-width: 64px; }
#heatmap { overflow-x: auto; }
.heat td.self { background: var(--panel); color: var(--line); }
.timeline { list-style: none; padding: 0; margin: 0; }
.timeline li { border-left: 4px solid var(--bad); padding: 4px 10px; margin: 6px 0; background: var(--panel); }
.timeline li.resolved { border-left-color: var(--ok); }
.timeline .when { color: var(--muted); font-size: 0.82rem; }
.nodes { list-style: none; padding: 0; margin: 0; }
.nodes > li { border: 1px solid var(--line); border-left: 6px solid var(--ok); border-radius: 6px; padding: 6px 12px; margin: 8px 0; }
.nodes > li.problem { border-left-color: var(--bad); }
.nodes > li.warning { border-left-color: var(--warn); }
.nodes > li.unknown { border-left-color: var(--skip); }
.nodes ul { margin: 4px 0 0; padding-left: 1.1rem; font-size: 0.86rem; }
`;

/** Pure rendering from JSON into the DOM; strings go through textContent only. */
const DASHBOARD_SCRIPT = `
(function () {
  'use strict';
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(id) { var e = document.getElementById(id); e.replaceChildren(); return e; }
  function subjectText(s) { return s.kind + '/' + (s.namespace ? s.namespace + '/' : '') + s.name; }
  function getJson(path) {
    return fetch(path, { cache: 'no-store' }).then(function (r) { return r.ok ? r.json() : null; });
  }

  function renderBanner(report, status) {
    var b = document.getElementById('banner');
    b.className = 'banner ' + (report ? report.verdict : 'waiting');
    document.getElementById('verdict').textContent = report ? report.verdict.toUpperCase() : 'WAITING';
    var head = 'waiting for the first analysis';
    if (report) {
      var n = report.rootCauses.length;
      head = n === 0 ? 'no root cause' : n + ' root cause' + (n === 1 ? '' : 's') + ': ' +
        report.rootCauses.map(function (rc) { return rc.category + ' on ' + subjectText(rc.subject); }).join('; ');
    }
    document.getElementById('headline').textContent = head;
    var st = 'source: ' + (status && status.source ? status.source : '?');
    if (status && status.status) {
      var s = status.status;
      if (s.state === 'fresh') st += ' · analyzed ' + s.analyzedAt + ' in ' + s.durationMs + ' ms';
      if (s.state === 'stale') st += ' · STALE: last good ' + s.analyzedAt;
      if (s.state === 'waiting' && s.lastError) st += ' · last attempt failed: ' + s.lastError.message;
    }
    document.getElementById('status').textContent = st;
    var note = document.getElementById('stale');
    var stale = status && status.status && status.status.state === 'stale';
    note.hidden = !stale;
    if (stale) note.textContent = 'The latest analysis failed (' + status.status.error + '); showing the report from ' + status.status.analyzedAt + '.';
  }

  function renderRootCauses(report) {
    var box = clear('root-causes');
    if (!report) return;
    if (report.rootCauses.length === 0) {
      var healthy = report.verdict === 'healthy';
      box.appendChild(el('p', healthy ? 'ok-note' : 'stale-note', healthy ? 'No root cause: the cluster network is healthy.' : 'No root cause found, but the verdict is ' + report.verdict + ':'));
      (report.coverage.shortfalls || []).forEach(function (s) { box.appendChild(el('p', 'muted', s)); });
      return;
    }
    report.rootCauses.forEach(function (rc) {
      var card = el('article', 'rc');
      card.setAttribute('data-category', rc.category);
      var h = el('h3');
      h.appendChild(el('span', 'category', rc.category));
      h.appendChild(el('span', 'subject', subjectText(rc.subject)));
      h.appendChild(el('span', 'muted', 'confidence ' + Math.round(rc.confidence * 100) + '%'));
      card.appendChild(h);
      card.appendChild(el('p', 'summary', rc.summary));
      if (rc.evidence.length) {
        var t = el('table', 'evidence');
        var hr = el('tr');
        ['source', 'observed', 'expected'].forEach(function (c) { hr.appendChild(el('th', '', c)); });
        t.appendChild(hr);
        rc.evidence.forEach(function (ev) {
          var tr = el('tr');
          tr.appendChild(el('td', '', ev.source));
          tr.appendChild(el('td', 'observed', ev.observed));
          tr.appendChild(el('td', 'expected', ev.expected || ''));
          t.appendChild(tr);
        });
        card.appendChild(t);
      }
      var f = report.findings.find(function (x) { return x.id === rc.finding; });
      if (f && f.traces && f.traces.length) {
        var d = el('details');
        d.appendChild(el('summary', '', 'trace of ' + f.traces[0].probe));
        d.appendChild(el('pre', '', f.traces[0].hops.join('\\n')));
        card.appendChild(d);
      }
      if (rc.remediation.length) card.appendChild(el('p', 'muted', 'repair steps: ' + rc.remediation.join(', ') + ' (netdoctor fix --dry-run shows the plan)'));
      box.appendChild(card);
    });
  }

  function renderHeatmap(view) {
    var box = clear('heatmap');
    if (!view || view.probes.pairs.length === 0) { box.appendChild(el('p', 'muted', 'No pod-to-pod probe results in this report.')); return; }
    var nodes = view.probes.nodes, byPair = {};
    view.probes.pairs.forEach(function (p) { byPair[p.from + '\\u0000' + p.to] = p; });
    var t = el('table', 'heatmap heat');
    var hr = el('tr');
    hr.appendChild(el('th', '', 'from \\\\ to'));
    nodes.forEach(function (n) { hr.appendChild(el('th', '', n)); });
    t.appendChild(hr);
    nodes.forEach(function (from) {
      var tr = el('tr');
      var th = el('th', '', from); th.setAttribute('scope', 'row'); tr.appendChild(th);
      nodes.forEach(function (to) {
        var p = byPair[from + '\\u0000' + to];
        if (!p) { tr.appendChild(el('td', 'cell none', '·')); return; }
        var cls = p.loss === 0 ? 'lat-ok' : p.loss >= 1 ? 'lat-down' : 'lat-lossy';
        var text = Math.round(p.loss * 100) + '%' + (p.rttMs !== undefined ? ' · ' + p.rttMs.toFixed(1) + ' ms' : '');
        var td = el('td', 'cell ' + cls, text);
        td.title = from + ' → ' + to + ': ' + Math.round(p.loss * 100) + '% loss, ' + p.probes + ' probe(s), ' + p.unexpected + ' unexpected';
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    box.appendChild(t);
  }

  function renderTimeline(history) {
    var box = clear('timeline');
    var list = history ? history.incidents : [];
    if (list.length === 0) { box.appendChild(el('p', 'muted', 'No incident recorded.')); return; }
    var ul = el('ul', 'timeline');
    list.forEach(function (i) {
      var li = el('li', i.resolvedAt ? 'resolved' : 'open');
      li.appendChild(el('div', 'mono', i.category + ' on ' + subjectText(i.subject)));
      li.appendChild(el('div', '', i.summary));
      li.appendChild(el('div', 'when', 'appeared ' + i.appearedAt + (i.resolvedAt ? ' · resolved ' + i.resolvedAt : ' · open, last seen ' + i.lastSeenAt)));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function renderNodes(view) {
    var box = clear('nodes');
    if (!view || view.nodes.length === 0) { box.appendChild(el('p', 'muted', 'No node in this report.')); return; }
    var ul = el('ul', 'nodes');
    view.nodes.forEach(function (n) {
      var li = el('li', n.health);
      li.setAttribute('data-node', n.name);
      var head = el('div');
      head.appendChild(el('strong', '', n.name));
      head.appendChild(el('span', 'muted', ' ' + (n.podCIDR || '') + ' · ' + n.health + (n.notCollected ? ' (' + n.notCollected + ')' : '')));
      li.appendChild(head);
      if (n.findings.length) {
        var d = el('details');
        if (n.health === 'problem') d.open = true;
        d.appendChild(el('summary', '', n.findings.length + ' finding(s)'));
        var fl = el('ul');
        n.findings.forEach(function (f) {
          var fi = el('li');
          fi.appendChild(el('span', 'badge ' + f.severity, f.severity));
          fi.appendChild(el('span', '', f.summary));
          fl.appendChild(fi);
        });
        d.appendChild(fl);
        li.appendChild(d);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  var state = { report: null, status: null };
  function refresh(report) {
    state.report = report;
    renderRootCauses(report);
    return Promise.all([getJson('/api/status'), getJson('/api/view'), getJson('/api/history')]).then(function (r) {
      state.status = r[0];
      renderBanner(state.report, state.status);
      renderHeatmap(r[1]);
      renderNodes(r[1]);
      renderTimeline(r[2]);
      document.body.setAttribute('data-rendered', report ? report.generatedAt : 'none');
    });
  }

  getJson('/api/report').then(function (report) { return refresh(report); });
  var events = new EventSource('/api/events');
  events.addEventListener('report', function (e) { refresh(JSON.parse(e.data)); });
  events.addEventListener('status', function (e) {
    state.status = JSON.parse(e.data);
    renderBanner(state.report, state.status);
  });
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netdoctor</title>
<style>${DASHBOARD_STYLE}</style>
</head>
<body>
<header id="banner" class="banner waiting"><div>
<div id="verdict" class="verdict">WAITING</div>
<div id="headline" class="headline">waiting for the first analysis</div>
<div id="status" class="status"></div>
</div></header>
<main>
<p id="stale" class="stale-note" hidden></p>
<section><h2>Root causes</h2><div id="root-causes"></div></section>
<div class="grid2">
<section><h2>Node × node probes</h2><p class="muted">Rows are source nodes, columns destinations: pod-to-pod loss and mean round trip (hover for the probe counts).</p><div id="heatmap"></div></section>
<section><h2>Incident timeline</h2><div id="timeline"></div></section>
</div>
<section><h2>Nodes</h2><div id="nodes"></div></section>
</main>
<footer>netdoctor serve · the same data: <a href="/api/report">/api/report</a> · <a href="/api/history">/api/history</a> · <a href="/metrics">/metrics</a></footer>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/** The dashboard page and the Content-Security-Policy that admits exactly its inline parts. */
export const DASHBOARD = {
  html: PAGE,
  csp: [
    "default-src 'none'",
    `style-src ${sha256(DASHBOARD_STYLE)}`,
    `script-src ${sha256(DASHBOARD_SCRIPT)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
} as const;
