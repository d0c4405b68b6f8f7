// retinastream live viewer: plain browser JavaScript, no framework. Connects to /viewer/ws (with ?token= from the
// page URL), shows a grid of streams (#/) or one stream (#/stream/ID), and draws each frame's boxes from the
// detection event that came with that frame, so boxes and picture always belong together.
'use strict';
(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  const grid = document.getElementById('grid');
  const empty = document.getElementById('empty');
  const conn = document.getElementById('conn');
  const minScoreEl = document.getElementById('minScore');
  const minScoreOut = document.getElementById('minScoreOut');
  const classesEl = document.getElementById('classes');
  const tiles = new Map(); // stream id -> tile
  const labels = new Map(); // label -> classId
  const hidden = new Set(); // labels switched off
  let shapes = { zones: [], lines: [] }; // the run's zones and lines (hello)
  let minScore = 0;
  let single = null;
  let ws = null;

  /** One colour per class id (golden-angle hues), as [r, g, b]. */
  function colorFor(classId) {
    const h = (classId * 137.508) % 360;
    const s = 0.85;
    const l = 0.55;
    const k = (n) => (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
    return [Math.round(255 * f(0)), Math.round(255 * f(8)), Math.round(255 * f(4))];
  }
  const css = (rgb) => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
  const textOn = (rgb) => (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] > 140 ? '#000' : '#fff');

  // What was drawn, for tests and debugging: the event of the frame on each canvas and the boxes painted for it.
  const api = { colorFor, drawn: 0, frames: 0, last: {}, streams: () => [...tiles.keys()] };
  window.__viewer = api;

  function tile(id) {
    let t = tiles.get(id);
    if (t) return t;
    const el = document.createElement('section');
    el.className = 'tile';
    el.dataset.stream = id;
    el.innerHTML = '<div class="bar"><span class="id"></span><span class="state">unknown</span><span class="stat"></span></div><div class="reason" hidden></div><canvas width="640" height="360"></canvas>';
    el.querySelector('.id').textContent = id;
    el.addEventListener('click', () => {
      if (!single) location.hash = `#/stream/${encodeURIComponent(id)}`;
    });
    t = { id, el, canvas: el.querySelector('canvas'), stateEl: el.querySelector('.state'), statEl: el.querySelector('.stat'), reasonEl: el.querySelector('.reason'), frame: null, seq: 0 };
    tiles.set(id, t);
    grid.appendChild(el);
    layout();
    return t;
  }

  function layout() {
    grid.classList.toggle('single', single !== null);
    for (const t of tiles.values()) t.el.hidden = single !== null && t.id !== single;
    empty.hidden = tiles.size > 0;
  }

  function setState(t, state, reason) {
    t.stateEl.textContent = state.replace('_', ' ');
    t.stateEl.className = `state ${state}`;
    t.reasonEl.hidden = !reason || state === 'live';
    t.reasonEl.textContent = reason || '';
  }

  function addLabel(label, classId) {
    if (labels.has(label)) return;
    labels.set(label, classId);
    const b = document.createElement('button');
    b.className = 'chip';
    b.textContent = label;
    const rgb = colorFor(classId);
    b.style.background = css(rgb);
    b.style.color = textOn(rgb);
    b.addEventListener('click', () => {
      if (hidden.has(label)) hidden.delete(label);
      else hidden.add(label);
      b.classList.toggle('off', hidden.has(label));
      redrawAll();
    });
    classesEl.appendChild(b);
  }

  function draw(t) {
    const f = t.frame;
    if (!f) return;
    const { bitmap, event } = f;
    const c = t.canvas;
    // draw at the canvas's displayed size (device pixels), so lines and labels keep their size on any screen
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.round((c.clientWidth || bitmap.width) * dpr);
    const ch = Math.round((cw * bitmap.height) / bitmap.width);
    if (c.width !== cw) c.width = cw;
    if (c.height !== ch) c.height = ch;
    const ctx = c.getContext('2d');
    ctx.drawImage(bitmap, 0, 0, cw, ch);
    const sx = cw / event.source.width;
    const sy = ch / event.source.height;
    const lw = Math.max(2, Math.round(2 * dpr));
    const fs = Math.round(13 * dpr);
    const th = fs + Math.round(6 * dpr);
    ctx.font = `bold ${fs}px sans-serif`;
    ctx.textBaseline = 'top';
    const shown = event.detections.filter((d) => d.score >= minScore && !hidden.has(d.label)).sort((a, b) => a.score - b.score); // highest on top
    const boxes = [];
    for (const d of shown) {
      const rgb = colorFor(d.classId);
      const x = d.box[0] * sx;
      const y = d.box[1] * sy;
      const w = (d.box[2] - d.box[0]) * sx;
      const h = (d.box[3] - d.box[1]) * sy;
      ctx.lineWidth = lw;
      ctx.strokeStyle = css(rgb);
      ctx.strokeRect(x, y, w, h);
      const text = `${d.trackId !== undefined ? `#${d.trackId} ` : ''}${d.label} ${d.score.toFixed(2)}`;
      const tw = Math.ceil(ctx.measureText(text).width) + 6;
      const lx = Math.min(Math.max(0, x - lw / 2), Math.max(0, cw - tw));
      const ly = y - th >= 0 ? y - th : Math.max(0, y);
      ctx.fillStyle = css(rgb);
      ctx.fillRect(lx, ly, tw, th);
      ctx.fillStyle = textOn(rgb);
      ctx.fillText(text, lx + 3, ly + 3);
      boxes.push({ x, y, w, h, classId: d.classId, label: d.label, score: d.score, trackId: d.trackId, color: rgb, lineWidth: lw });
    }
    drawShapes(ctx, t.id, event.source, sx, sy, lw, fs);
    api.last[t.id] = { event, width: cw, height: ch, image: { width: bitmap.width, height: bitmap.height }, minScore, hidden: [...hidden], boxes };
    api.drawn++;
  }

  // zones (polygons) and lines (arrows from -> to) of the run's config, in source pixels or fractions
  function drawShapes(ctx, streamId, source, sx, sy, lw, fs) {
    const at = (p, units) => (units === 'fraction' ? [p[0] * source.width * sx, p[1] * source.height * sy] : [p[0] * sx, p[1] * sy]);
    ctx.save();
    ctx.lineWidth = lw;
    ctx.font = `${fs}px sans-serif`;
    ctx.textBaseline = 'top';
    for (const z of shapes.zones.filter((z) => z.stream === streamId)) {
      const pts = z.polygon.map((p) => at(p, z.units));
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = 'rgba(255, 220, 0, 0.12)';
      ctx.fill();
      ctx.strokeStyle = 'rgba(255, 220, 0, 0.9)';
      ctx.stroke();
      ctx.fillStyle = 'rgba(255, 220, 0, 1)';
      ctx.fillText(z.name, pts[0][0] + 4, pts[0][1] + 4);
    }
    for (const l of shapes.lines.filter((l) => l.stream === streamId)) {
      const [a, b] = [at(l.from, l.units), at(l.to, l.units)];
      const ang = Math.atan2(b[1] - a[1], b[0] - a[0]);
      const head = 4 * lw;
      ctx.strokeStyle = ctx.fillStyle = 'rgba(0, 230, 255, 0.95)';
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.lineTo(b[0] - head * Math.cos(ang - 0.4), b[1] - head * Math.sin(ang - 0.4));
      ctx.moveTo(b[0], b[1]);
      ctx.lineTo(b[0] - head * Math.cos(ang + 0.4), b[1] - head * Math.sin(ang + 0.4));
      ctx.stroke();
      ctx.fillText(l.name, (a[0] + b[0]) / 2 + 4, (a[1] + b[1]) / 2 + 4);
    }
    ctx.restore();
  }

  function redrawAll() {
    for (const t of tiles.values()) draw(t);
  }

  function onFrame(buf) {
    const view = new DataView(buf);
    const n = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
    const event = header.event;
    const t = tile(event.streamId);
    const seq = ++t.seq;
    api.frames++;
    for (const d of event.detections) addLabel(d.label, d.classId);
    createImageBitmap(new Blob([new Uint8Array(buf, 4 + n)], { type: 'image/jpeg' })).then((bitmap) => {
      if (seq !== t.seq) return bitmap.close(); // a newer frame arrived first
      if (t.frame) t.frame.bitmap.close();
      t.frame = { bitmap, event };
      draw(t);
    });
  }

  function onStreams(list) {
    for (const s of list) {
      const t = tile(s.id);
      setState(t, s.state, s.reason);
      const parts = [`${s.fps.toFixed(1)} fps`];
      if (s.latencyMs !== null) parts.push(`${Math.round(s.latencyMs)} ms`);
      parts.push(`${s.detections} boxes`);
      t.statEl.textContent = parts.join(' · ');
    }
  }

  function sendView() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const maxWidth = single ? Math.round(Math.min(1920, window.innerWidth * (window.devicePixelRatio || 1))) : 640;
    ws.send(JSON.stringify({ op: 'view', streams: single ? [single] : null, fps: single ? 15 : 4, maxWidth }));
  }

  function route() {
    const m = /^#\/stream\/(.+)$/.exec(location.hash);
    single = m ? decodeURIComponent(m[1]) : null;
    if (single) tile(single);
    layout();
    sendView();
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = token ? `?token=${encodeURIComponent(token)}` : '';
    ws = new WebSocket(`${proto}//${location.host}/viewer/ws${q}`);
    ws.binaryType = 'arraybuffer';
    let opened = false;
    ws.onopen = () => {
      opened = true;
      conn.textContent = 'connected';
      conn.className = 'conn';
      sendView();
    };
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') return onFrame(m.data);
      const msg = JSON.parse(m.data);
      if (msg.type === 'hello') {
        shapes = { zones: msg.zones || [], lines: msg.lines || [] };
        document.getElementById('model').textContent = msg.model ? `model ${msg.model}` : '';
        minScore = Math.max(minScore, msg.minScore || 0);
        minScoreEl.min = String(msg.minScore || 0);
        minScoreEl.value = String(minScore);
        minScoreOut.textContent = minScore.toFixed(2);
        onStreams(msg.streams);
      } else if (msg.type === 'streams') onStreams(msg.streams);
      else if (msg.type === 'status') setState(tile(msg.event.streamId), msg.event.state, msg.event.reason);
      else if (msg.type === 'error') console.warn('viewer:', msg.message);
    };
    ws.onclose = (e) => {
      conn.className = 'conn error';
      conn.textContent = opened ? 'disconnected, retrying' : token ? 'cannot connect (wrong token?), retrying' : 'cannot connect (token required? open /?token=...), retrying';
      setTimeout(connect, 2000);
    };
  }

  minScoreEl.addEventListener('input', () => {
    minScore = Number(minScoreEl.value);
    minScoreOut.textContent = minScore.toFixed(2);
    redrawAll();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('resize', redrawAll);
  route();
  connect();
})();
