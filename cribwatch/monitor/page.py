"""The monitor's web page: one HTML document with its script inline (no build step, no files)."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cribwatch monitor</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#111;color:#eee}
header{padding:.5em 1em;background:#222;display:flex;gap:1.5em;align-items:baseline;flex-wrap:wrap}
header h1{font-size:1.1em;margin:0}
main{display:grid;grid-template-columns:minmax(320px,2fr) minmax(260px,1fr);gap:1em;padding:1em}
#live{width:100%;background:#000;border-radius:4px}
.badge{padding:.1em .5em;border-radius:3px;background:#444}
.up{background:#2a6}.down{background:#c33}.ended{background:#777}
#alerts{list-style:none;padding:0;margin:0;max-height:50vh;overflow:auto;font-size:.9em}
#alerts li{padding:.3em .4em;border-bottom:1px solid #333}
#alerts li.alert{background:#512}
#alerts li.status{color:#aaa}
table{font-size:.85em;border-collapse:collapse}td{padding:.1em .5em}
canvas{width:100%;height:120px;background:#1a1a1a;border-radius:4px}
small{color:#999}
</style></head>
<body>
<header><h1>cribwatch</h1>
<span>camera <b id="camera">-</b></span>
<span>stream <span id="stream" class="badge">-</span></span>
<span>mode <b id="mode">-</b></span>
<span>posture <b id="posture">-</b></span>
<span>cry score <b id="cry1">-</b> / verified <b id="cry">-</b></span>
<span><b id="fps">-</b> fps</span>
</header>
<main>
<section>
<img id="live" src="/stream.mjpg" alt="live view">
<h3>Timeline <small>first-stage cry score (red),
posture (blue: supine 0, side 1, prone 2, none -)</small></h3>
<canvas id="timeline" width="800" height="120"></canvas>
<p><small>An aid, not a medical or SIDS device; roll-over detection is not validated on infant
video.</small></p>
</section>
<section>
<h3>Alerts</h3>
<ul id="alerts"></ul>
<h3>Health</h3>
<table id="health"></table>
</section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let lastSeq = 0;
const POST = {supine: 0, side: 1, side_left: 1, side_right: 1, prone: 2};
function text(el, s) { el.textContent = s; }
function addRecord(r) {
  const li = document.createElement("li");
  li.className = r.kind;
  li.dataset.seq = r.seq;
  li.dataset.type = r.type;
  const t = r.wall_time.slice(11, 19);
  li.textContent = `${t}  ${r.type}  (${r.stage}, t=${r.stream_time.toFixed(1)} s, ` +
    `conf ${r.confidence.toFixed(2)})`;
  $("alerts").prepend(li);
  while ($("alerts").children.length > 100) $("alerts").lastChild.remove();
}
function drawTimeline(tl) {
  const c = $("timeline"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  if (tl.length < 2) return;
  const t0 = tl[0][0], t1 = tl[tl.length - 1][0], span = Math.max(t1 - t0, 1);
  const x = (t) => (t - t0) / span * (c.width - 4) + 2;
  g.strokeStyle = "#e44"; g.beginPath();
  tl.forEach((p, i) => { const y = c.height - 4 - p[1] * (c.height - 8);
    i ? g.lineTo(x(p[0]), y) : g.moveTo(x(p[0]), y); });
  g.stroke();
  g.fillStyle = "#48f";
  tl.forEach((p) => { const v = POST[p[2]]; if (v === undefined) return;
    g.fillRect(x(p[0]), c.height - 6 - v * (c.height - 12) / 2, 2, 4); });
}
function showHealth(h) {
  text($("stream"), h.stream); $("stream").className = "badge " + h.stream;
  text($("mode"), h.mode); text($("posture"), h.posture);
  text($("cry"), h.cry_score.toFixed(2));
  text($("cry1"), h.cry_first_score.toFixed(2)); text($("fps"), h.processed_fps.toFixed(1));
  const rows = [["frames processed / dropped", `${h.frames_processed} / ${h.frames_dropped}`],
    ["audio samples in / done", `${h.audio_samples_in} / ${h.audio_samples_done}`],
    ["audio backlog", `${h.audio_backlog_s.toFixed(2)} s`],
    ["errors", h.errors ? `${h.errors} (${h.last_error})` : "0"],
    ["stream time", `${h.stream_time.toFixed(1)} s`], ["colour",
      h.colour_status !== undefined ? h.colour_status : (h.colour ? "on" : "off")]];
  for (const [k, v] of Object.entries(h.stages))
    rows.push([`stage ${k} p50 / p90`, `${v.p50_ms} / ${v.p90_ms} ms`]);
  for (const [k, v] of Object.entries(h.readers))
    rows.push([`${k} reader`,
      `${v.state}, reconnects ${v.reconnects}, corrupt ${v.corrupt_packets}`]);
  const tb = $("health"); tb.replaceChildren();
  for (const [k, v] of rows) {
    const tr = tb.insertRow(); text(tr.insertCell(), k); text(tr.insertCell(), v);
  }
}
async function poll() {
  try {
    const r = await fetch("/api/state", {cache: "no-store", credentials: "same-origin"});
    if (r.ok) {
      const s = await r.json();
      text($("camera"), s.camera);
      for (const rec of s.records) if (rec.seq > lastSeq) { addRecord(rec); lastSeq = rec.seq; }
      showHealth(s.health);
      drawTimeline(s.timeline);
    } else { text($("stream"), "HTTP " + r.status); }
  } catch (e) { text($("stream"), "no connection"); $("stream").className = "badge down"; }
  setTimeout(poll, 500);
}
$("live").addEventListener("error", () => setTimeout(() => {
  $("live").src = "/stream.mjpg?" + Date.now();
}, 1000));
poll();
</script>
</body></html>
"""
