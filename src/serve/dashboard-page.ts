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
.nodes > li > div:first-child { cursor: pointer; }
.nodes > li.selected { background: var(--panel); }
.topo { width: 100%; max-width: 560px; height: auto; display: block; }
.topo line.link { stroke-width: 3; }
.topo line.ok { stroke: var(--ok); }
.topo line.degraded { stroke: var(--warn); stroke-dasharray: 8 4; }
.topo line.down { stroke: var(--bad); stroke-dasharray: 3 5; }
.topo line.unknown { stroke: var(--skip); stroke-dasharray: 1 6; }
.topo g.node { cursor: pointer; }
.topo g.node circle { fill: var(--ok); stroke: var(--bg); stroke-width: 3; }
.topo g.node.problem circle { fill: var(--bad); }
.topo g.node.warning circle { fill: var(--warn); }
.topo g.node.unknown circle { fill: var(--skip); }
.topo g.node.selected circle { stroke: var(--fg); }
.topo text { font-size: 12px; fill: var(--fg); }
.topo text.cidr { font-size: 11px; fill: var(--muted); }
#node-detail table { font-size: 0.86rem; }
#node-detail h3 .badge { margin-left: 8px; }
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

  // A node's findings, each with its severity badge.
  function findingList(findings, cls) {
    var ul = el('ul', cls);
    findings.forEach(function (f) {
      var li = el('li');
      li.appendChild(el('span', 'badge ' + f.severity, f.severity));
      li.appendChild(el('span', '', f.summary));
      ul.appendChild(li);
    });
    return ul;
  }

  function renderNodes(view) {
    var box = clear('nodes');
    if (!view || view.nodes.length === 0) { box.appendChild(el('p', 'muted', 'No node in this report.')); return; }
    var ul = el('ul', 'nodes');
    view.nodes.forEach(function (n) {
      var li = el('li', n.health + (n.name === selected ? ' selected' : ''));
      li.setAttribute('data-node', n.name);
      var head = el('div');
      head.addEventListener('click', function () { showNode(n.name); });
      head.appendChild(el('strong', '', n.name));
      head.appendChild(el('span', 'muted', ' ' + (n.podCIDR || '') + ' · ' + n.health + (n.notCollected ? ' (' + n.notCollected + ')' : '')));
      li.appendChild(head);
      if (n.findings.length) {
        var d = el('details');
        if (n.health === 'problem') d.open = true;
        d.appendChild(el('summary', '', n.findings.length + ' finding(s)'));
        d.appendChild(findingList(n.findings, ''));
        li.appendChild(d);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, cls, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    if (cls) e.setAttribute('class', cls);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function svgText(cls, x, y, text) {
    var t = svg('text', cls, { x: x, y: y, 'text-anchor': 'middle' });
    t.textContent = String(text);
    return t;
  }

  // Nodes on a circle, one line per pair: the overlay path, coloured by its routes and probes
  // both ways. Past the view's full-listing size only the nodes with a problem are drawn.
  function renderTopology(view) {
    var box = clear('topology');
    if (!view || view.nodes.length === 0) { box.appendChild(el('p', 'muted', 'No node in this report.')); return; }
    var links = view.topology.links;
    var nodes = view.nodes;
    if (view.topology.onlyProblems) {
      var involved = {};
      links.forEach(function (l) { involved[l.a] = true; involved[l.b] = true; });
      nodes = nodes.filter(function (n) { return involved[n.name] || n.health !== 'ok'; });
      box.appendChild(el('p', 'muted', view.nodes.length + ' nodes: drawn are the ' + nodes.length + ' with a problem; every other link is healthy.'));
    }
    if (nodes.length === 0) return;
    var W = 560, H = 400, R = nodes.length === 1 ? 0 : Math.min(W, H) / 2 - 70, pos = {};
    nodes.forEach(function (n, i) {
      var a = -Math.PI / 2 + (2 * Math.PI * i) / nodes.length;
      pos[n.name] = { x: Math.round(W / 2 + R * Math.cos(a)), y: Math.round(H / 2 - 10 + R * Math.sin(a)) };
    });
    var pic = svg('svg', 'topo', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'overlay topology' });
    links.forEach(function (l) {
      var a = pos[l.a], b = pos[l.b];
      if (!a || !b) return;
      var line = svg('line', 'link ' + l.state, { x1: a.x, y1: a.y, x2: b.x, y2: b.y, 'data-a': l.a, 'data-b': l.b });
      var tip = svg('title');
      tip.textContent = l.a + ' ↔ ' + l.b + ': ' + l.state + (l.detail.length ? ' (' + l.detail.join('; ') + ')' : '');
      line.appendChild(tip);
      pic.appendChild(line);
    });
    nodes.forEach(function (n) {
      var p = pos[n.name];
      var g = svg('g', 'node ' + n.health + (n.name === selected ? ' selected' : ''), { 'data-node': n.name, tabindex: 0 });
      var tip = svg('title');
      tip.textContent = n.name + ': ' + n.health;
      g.appendChild(tip);
      g.appendChild(svg('circle', '', { cx: p.x, cy: p.y, r: 16 }));
      g.appendChild(svgText('', p.x, p.y + 32, n.name));
      g.appendChild(svgText('cidr', p.x, p.y + 46, n.podCIDR || ''));
      g.addEventListener('click', function () { showNode(n.name); });
      g.addEventListener('keydown', function (e) { if (e.key === 'Enter') showNode(n.name); });
      pic.appendChild(g);
    });
    box.appendChild(pic);
  }

  function table(head, rows) {
    var t = el('table');
    var hr = el('tr');
    head.forEach(function (h) { hr.appendChild(el('th', '', h)); });
    t.appendChild(hr);
    rows.forEach(function (r) {
      var tr = el('tr');
      r.forEach(function (c) { tr.appendChild(el('td', '', c)); });
      t.appendChild(tr);
    });
    return t;
  }
  function pairText(p) { return p ? Math.round(p.loss * 100) + '% loss' + (p.rttMs !== undefined ? ' · ' + p.rttMs.toFixed(1) + ' ms' : '') : '·'; }

  // One node's datapath facts, routes, probes and findings, fetched when chosen and again on
  // every new report while it stays chosen.
  var selected = null;
  function showNode(name) {
    selected = name;
    document.querySelectorAll('[data-node]').forEach(function (e) {
      var on = e.getAttribute('data-node') === name;
      if (e.classList) e.classList.toggle('selected', on);
    });
    return getJson('/api/node?name=' + encodeURIComponent(name)).then(function (d) {
      if (selected === name) renderNodeDetail(name, d);
    });
  }
  function renderNodeDetail(name, d) {
    var box = clear('node-detail');
    box.setAttribute('data-node', name);
    if (!d) { box.appendChild(el('p', 'muted', name + ' is not in the current report.')); return; }
    var h = el('h3', '', d.name);
    h.appendChild(el('span', 'badge ' + (d.health === 'problem' ? 'error' : d.health === 'ok' ? 'info' : 'warning'), d.health));
    box.appendChild(h);
    box.appendChild(el('p', 'muted', 'pod subnet ' + (d.podCIDR || 'unknown') + (d.notCollected ? ' · not collected: ' + d.notCollected : '')));
    var facts = el('div', 'facts');
    facts.appendChild(el('h4', '', 'Datapath facts'));
    if (d.agent && d.agent.facts) {
      var f = d.agent.facts;
      var rows = [['peer routes through the overlay', f.peerRoutes], ['overlay FDB entries', f.fdbEntries]];
      Object.keys(f.mtu).sort().forEach(function (dev) { rows.push(['MTU ' + dev, f.mtu[dev]]); });
      facts.appendChild(table(['fact', 'value'], rows));
      facts.appendChild(el('p', 'muted', "from this node's agent, round " + d.agent.round + ', ' + d.agent.ageSeconds + ' s ago'));
    } else if (d.agent) {
      facts.appendChild(el('p', 'stale-note', "This node's agent could not read its datapath: " + d.agent.gaps.map(function (g) { return g.collector + ' ' + g.reason; }).join(', ')));
    } else {
      facts.appendChild(el('p', 'muted', 'No agent reports for this node; what follows is from the latest analysis.'));
    }
    box.appendChild(facts);
    if (d.agent && (d.agent.services || d.agent.servicesNotProbed)) {
      box.appendChild(el('h4', '', 'Cluster DNS and API server from this node'));
      var svc = d.agent.services || [];
      if (svc.length > 0)
        box.appendChild(table(['service', 'via', 'address', 'probe', 'result'], svc.map(function (p) {
          return [p.service, p.via, p.target, p.kind, p.status === 'ok' ? 'ok · ' + p.rttMs.toFixed(1) + ' ms' : p.status + ': ' + p.detail];
        })));
      (d.agent.servicesNotProbed || []).forEach(function (n) { box.appendChild(el('p', 'stale-note', n.service + ': ' + n.detail)); });
    }
    box.appendChild(el('h4', '', "Routes to the other nodes' pod subnets"));
    if (d.routes.length === 0) box.appendChild(el('p', 'muted', d.routesOnlyProblems ? 'Every route is in place.' : 'No route matrix in this report.'));
    else box.appendChild(table(['to', 'pod subnet', 'state', 'route'], d.routes.map(function (r) { return [r.to, r.podCIDR || '', r.state, r.route || '']; })));
    var peers = {};
    d.probesFrom.forEach(function (p) { (peers[p.to] = peers[p.to] || {}).out = p; });
    d.probesTo.forEach(function (p) { (peers[p.from] = peers[p.from] || {}).in = p; });
    box.appendChild(el('h4', '', 'Pod-to-pod probes'));
    var names = Object.keys(peers).sort();
    if (names.length === 0) box.appendChild(el('p', 'muted', 'No pod-to-pod probe from or to this node.'));
    else box.appendChild(table(['peer', 'to the peer', 'from the peer'], names.map(function (n) { return [n, pairText(peers[n].out), pairText(peers[n].in)]; })));
    box.appendChild(el('h4', '', 'Findings'));
    if (d.findings.length === 0) box.appendChild(el('p', 'muted', 'None.'));
    else box.appendChild(findingList(d.findings, 'findings'));
    var gaps = d.gaps.concat(d.agent ? d.agent.gaps : []);
    if (gaps.length) {
      box.appendChild(el('h4', '', 'Not collected'));
      var gl = el('ul');
      gaps.forEach(function (g) { gl.appendChild(el('li', '', g.collector + ': ' + g.reason + (g.detail ? ' (' + g.detail + ')' : ''))); });
      box.appendChild(gl);
    }
  }

  var state = { report: null, status: null };
  function refresh(report) {
    state.report = report;
    renderRootCauses(report);
    return Promise.all([getJson('/api/status'), getJson('/api/view'), getJson('/api/history')]).then(function (r) {
      state.status = r[0];
      renderBanner(state.report, state.status);
      renderHeatmap(r[1]);
      renderTopology(r[1]);
      renderNodes(r[1]);
      renderTimeline(r[2]);
      return selected ? showNode(selected) : null;
    }).then(function () {
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
<div class="grid2">
<section><h2>Topology</h2><p class="muted">Each node with its pod subnet; a line is the overlay path between two nodes, coloured by the routes and probes of both directions (hover for why). Choose a node for its datapath.</p><div id="topology"></div></section>
<section><h2>Node</h2><div id="node-detail"><p class="muted">Choose a node in the topology or in the list below.</p></div></section>
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
